import { findTask } from '../git/find-task.js';
import { changedPaths } from '../git/read-files.js';
import { type MergeMode, mergeTask } from '../git/merge.js';
import { openRepo } from '../git/repo.js';
import { whileLocked } from '../git/task-lock.js';
import { isClosed, saveTask } from '../git/task-store.js';
import { dropMergedBranch, mergedRef } from '../git/task-refs.js';
import { git } from '../git/exec.js';
import { removeTaskWorktree } from '../git/worktree.js';
import { AgentError } from '../errors.js';
import { existsSync } from 'node:fs';
import type { Repo } from '../git/repo.js';
import type { TaskRecord } from '../git/task-store.js';
import { isPromptCancelled } from '../ui/key-prompt-cancel.js';

export interface MergeOptions {
  squash?: boolean;
  ffOnly?: boolean;
  json?: boolean;
  /** Merge even when the branch adds errors. */
  force?: boolean;
}

export async function mergeCommand(query: string, options: MergeOptions): Promise<void> {
  const repo = await openRepo(process.cwd());
  const task = findTask(repo.commonDir, query);
  if (isClosed(task)) {
    throw new AgentError(`Task ${task.id} is already ${task.status}.`, { kind: 'usage' });
  }
  const mode: MergeMode = options.squash ? 'squash' : options.ffOnly ? 'ff-only' : 'no-ff';
  await checkBranchErrors(repo, task, options);
  const result = await whileLocked(repo.commonDir, task, `run agent merge ${task.id} again`, async (current) => {
    const merged = await mergeTask(repo, current, mode);
    // The steps are kept where show finds them, whatever becomes of the branch.
    await git(['update-ref', mergedRef(task.id), `refs/heads/${task.branch}`], { cwd: repo.root });
    saveTask(repo.commonDir, { ...current, status: 'merged' });
    return merged;
  });
  if (result.hookOutput) process.stderr.write(result.hookOutput);
  let worktree = 'removed';
  if (existsSync(task.worktree)) {
    const leftovers = await changedPaths(task.worktree);
    if (leftovers.length) worktree = `kept: it has changes no step holds (${leftovers.join(', ')})`;
    else await removeTaskWorktree(repo, task.worktree);
  } else {
    // Deleted by hand: git is told to forget it.
    await removeTaskWorktree(repo, task.worktree);
    worktree = 'was already deleted by hand';
  }
  // Tidy: the branch goes with its worktree (agent prune takes it once a kept worktree goes).
  const branchDropped = !existsSync(task.worktree) && (await dropMergedBranch(repo, { ...task, status: 'merged' }));
  if (options.json) {
    const { hookOutput: _shown, ...merged } = result;
    process.stdout.write(`${JSON.stringify({ task: task.id, branch: task.branch, ...merged, worktree, branchDeleted: branchDropped })}\n`);
    return;
  }
  const branch = branchDropped ? ` Branch ${task.branch} deleted (its steps: agent show ${task.id}).` : '';
  process.stdout.write(
    `Merged ${task.branch} into ${result.into} (${mode}) at ${result.commit.slice(0, 8)}. Worktree ${worktree}.${branch}\n`,
  );
}

/**
 * A branch that adds errors (the language servers', against its base) is not merged unasked: on a
 * terminal the person is asked, without one it is refused unless --force. Nothing is written first.
 */
async function checkBranchErrors(repo: Repo, task: TaskRecord, options: MergeOptions): Promise<void> {
  const { branchErrors } = await import('../agent/branch-errors.js');
  const { loadConfig } = await import('../config/load.js');
  const errors = await branchErrors(repo, task, loadConfig(repo.root));
  if (!errors || errors.added.length === 0) return;
  const count = `${errors.added.length} error${errors.added.length === 1 ? '' : 's'}`;
  const listed = errors.added.slice(0, 10).map((line) => `  ${line}`).join('\n');
  const more = errors.added.length > 10 ? `\n  ...and ${errors.added.length - 10} more (agent review ${task.id})` : '';
  const said = `${task.branch} adds ${count} against ${task.base.ref}:\n${listed}${more}`;
  if (options.force) {
    process.stderr.write(`Merging all the same (--force): ${said}\n`);
    return;
  }
  const terminal = process.stdin.isTTY && process.stderr.isTTY && !options.json;
  if (!terminal) {
    throw new AgentError(`Not merged: ${said}`, { hint: `Fix them (agent task --resume ${task.id} "fix the errors"), or merge anyway: agent merge ${task.id} --force` });
  }
  process.stderr.write(`${said}\n`);
  const { askChoice } = await import('../ui/key-prompt.js');
  const { createColors } = await import('../ui/color.js');
  const merge = await askChoice(
    {
      message: 'Merge anyway?',
      choices: [
        { key: 'n', label: 'No, leave it unmerged', value: false },
        { key: 'y', label: 'Yes, merge with these errors', value: true },
      ],
      colors: createColors(process.stderr),
    },
    { output: process.stderr },
  ).catch((error: unknown) => {
    if (isPromptCancelled(error)) throw new AgentError('Interrupted.', { kind: 'interrupted' });
    throw error;
  });
  if (!merge) throw new AgentError('Not merged: you chose to leave it.', { hint: `agent task --resume ${task.id} "fix the errors"` });
}
