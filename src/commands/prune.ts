import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../git/exec.js';
import { changedPaths } from '../git/read-files.js';
import { openRepo } from '../git/repo.js';
import { dropMergedBranch } from '../git/task-refs.js';
import { isClosed, loadTasks, taskDir } from '../git/task-store.js';
import { removeTaskWorktree, worktreeExists } from '../git/worktree.js';
import { missingWorktreeNote } from './list.js';

export interface PruneReport {
  removedWorktrees: string[];
  clearedState: string[];
  /** Open tasks whose worktree was deleted by hand: `agent task --resume` makes it again. */
  missingWorktrees: { id: string; branch: string; worktree: string }[];
  /** Worktrees of finished tasks kept because they hold changes no step has (removed with --force). */
  keptWorktrees: { id: string; worktree: string; changes: string[] }[];
  /** Branches of merged tasks deleted once their worktree was gone (the steps stay under refs/hunkwise/merged/). */
  deletedBranches: string[];
}

/**
 * Removes what finished tasks no longer need: their worktrees and their conversation files (the
 * audit log is in git and stays). Worktrees deleted by hand are forgotten by git. A worktree with
 * changes no step holds (made by hand, or by a command after the last step) is kept unless `force`.
 */
export async function pruneTasks(cwd: string, force = false): Promise<PruneReport> {
  const repo = await openRepo(cwd);
  await git(['worktree', 'prune'], { cwd: repo.root });
  const report: PruneReport = { removedWorktrees: [], clearedState: [], missingWorktrees: [], keptWorktrees: [], deletedBranches: [] };
  for (const task of loadTasks(repo.commonDir)) {
    const done = isClosed(task);
    if (!done) {
      if (!worktreeExists(task.worktree)) {
        report.missingWorktrees.push({ id: task.id, branch: task.branch, worktree: task.worktree });
      }
      continue;
    }
    if (existsSync(task.worktree)) {
      const changes = force ? [] : await changedPaths(task.worktree);
      if (changes.length) {
        report.keptWorktrees.push({ id: task.id, worktree: task.worktree, changes });
        continue;
      }
      await removeTaskWorktree(repo, task.worktree);
      report.removedWorktrees.push(task.worktree);
    }
    if (task.status === 'merged' && (await dropMergedBranch(repo, task))) report.deletedBranches.push(task.branch);
    const conversation = join(taskDir(repo.commonDir, task.id), 'conversation.jsonl');
    if (existsSync(conversation)) {
      rmSync(conversation);
      rmSync(join(taskDir(repo.commonDir, task.id), 'journal.json'), { force: true });
      report.clearedState.push(task.id);
    }
  }
  return report;
}

export async function pruneCommand(options: { json?: boolean; force?: boolean }): Promise<void> {
  const report = await pruneTasks(process.cwd(), options.force);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const lines = [
    ...report.removedWorktrees.map((path) => `removed worktree ${path}`),
    ...report.deletedBranches.map((branch) => `deleted the branch ${branch} of a merged task (its steps: agent show)`),
    ...report.clearedState.map((id) => `cleared the conversation of finished task ${id}`),
    ...report.missingWorktrees.map(missingWorktreeNote),
    ...report.keptWorktrees.map(
      (kept) =>
        `kept the worktree of task ${kept.id} (${kept.worktree}): it has changes no step holds (${kept.changes.join(', ')}); copy what you need, then agent prune --force removes it`,
    ),
  ];
  process.stdout.write(`${lines.length ? lines.join('\n') : 'Nothing to prune.'}\n`);
}
