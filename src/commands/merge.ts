import { findTask } from '../git/find-task.js';
import { changedPaths } from '../git/read-files.js';
import { type MergeMode, mergeTask } from '../git/merge.js';
import { openRepo } from '../git/repo.js';
import { whileLocked } from '../git/task-lock.js';
import { saveTask } from '../git/task-store.js';
import { dropMergedBranch, mergedRef } from '../git/task-refs.js';
import { git } from '../git/exec.js';
import { removeTaskWorktree } from '../git/worktree.js';
import { AgentError } from '../errors.js';
import { existsSync } from 'node:fs';

export interface MergeOptions {
  squash?: boolean;
  ffOnly?: boolean;
  json?: boolean;
}

export async function mergeCommand(query: string, options: MergeOptions): Promise<void> {
  const repo = await openRepo(process.cwd());
  const task = findTask(repo.commonDir, query);
  if (task.status === 'merged' || task.status === 'aborted') {
    throw new AgentError(`Task ${task.id} is already ${task.status}.`, { kind: 'usage' });
  }
  const mode: MergeMode = options.squash ? 'squash' : options.ffOnly ? 'ff-only' : 'no-ff';
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
