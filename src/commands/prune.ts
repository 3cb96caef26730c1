import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../git/exec.js';
import { openRepo } from '../git/repo.js';
import { loadTasks, taskDir } from '../git/task-store.js';
import { removeTaskWorktree, worktreeExists } from '../git/worktree.js';
import { missingWorktreeNote } from './list.js';

export interface PruneReport {
  removedWorktrees: string[];
  clearedState: string[];
  /** Open tasks whose worktree was deleted by hand: `agent task --resume` makes it again. */
  missingWorktrees: { id: string; branch: string; worktree: string }[];
}

/**
 * Removes what finished tasks no longer need: their worktrees and their conversation files (the
 * audit log is in git and stays). Worktrees deleted by hand are forgotten by git.
 */
export async function pruneTasks(cwd: string): Promise<PruneReport> {
  const repo = await openRepo(cwd);
  await git(['worktree', 'prune'], { cwd: repo.root });
  const report: PruneReport = { removedWorktrees: [], clearedState: [], missingWorktrees: [] };
  for (const task of loadTasks(repo.commonDir)) {
    const done = task.status === 'merged' || task.status === 'aborted';
    if (!done) {
      if (!worktreeExists(task.worktree)) {
        report.missingWorktrees.push({ id: task.id, branch: task.branch, worktree: task.worktree });
      }
      continue;
    }
    if (existsSync(task.worktree)) {
      await removeTaskWorktree(repo, task.worktree);
      report.removedWorktrees.push(task.worktree);
    }
    const conversation = join(taskDir(repo.commonDir, task.id), 'conversation.jsonl');
    if (existsSync(conversation)) {
      rmSync(conversation);
      rmSync(join(taskDir(repo.commonDir, task.id), 'journal.json'), { force: true });
      report.clearedState.push(task.id);
    }
  }
  return report;
}

export async function pruneCommand(options: { json?: boolean }): Promise<void> {
  const report = await pruneTasks(process.cwd());
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const lines = [
    ...report.removedWorktrees.map((path) => `removed worktree ${path}`),
    ...report.clearedState.map((id) => `cleared the conversation of finished task ${id}`),
    ...report.missingWorktrees.map(missingWorktreeNote),
  ];
  process.stdout.write(`${lines.length ? lines.join('\n') : 'Nothing to prune.'}\n`);
}
