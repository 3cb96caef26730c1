import { openRepo } from '../git/repo.js';
import { indexMissingObjects } from '../git/step-objects.js';
import { isClosed, loadTasks, type TaskRecord } from '../git/task-store.js';
import { worktreeExists } from '../git/worktree.js';
import { type Check, fail, ok } from './check.js';

/**
 * The worktrees of the repository's open tasks: an index there that names objects git no longer
 * has (a `git gc --prune=now` took them during a step) makes every `git gc` of the user fail,
 * and the task's next step too. No line when the repository has no open task; reads only.
 */
export async function taskWorktreeChecks(repoRoot: string | undefined): Promise<Check[]> {
  if (!repoRoot) return [];
  const repo = await openRepo(repoRoot).catch(() => undefined);
  if (!repo) return [];
  const open = loadTasks(repo.commonDir).filter(
    (task) => !isClosed(task) && worktreeExists(task.worktree),
  );
  if (open.length === 0) return [];
  const found = await Promise.all(
    open.map(async (task) => ({ task, lost: await indexMissingObjects(task.worktree).catch(() => []) })),
  );
  const broken = found.filter(({ lost }) => lost.length > 0);
  if (broken.length === 0) {
    return [ok('task worktrees', `${open.length} open task${open.length === 1 ? '' : 's'}; every index entry's object is there`)];
  }
  return [
    fail(
      'task worktrees',
      broken.map(({ task, lost }) => describe(task, lost)).join('\n'),
      broken.map(({ task }) => `agent task --resume ${task.id} (it repairs the index first), or git -C ${task.worktree} read-tree HEAD`).join('\n'),
    ),
  ];
}

function describe(task: TaskRecord, lost: string[]): string {
  const named = lost.length > 3 ? `${lost.slice(0, 3).join(', ')} and ${lost.length - 3} more` : lost.join(', ');
  return `task ${task.id}: the index of its worktree ${task.worktree} names objects git no longer has (${named}); every git gc fails until it is repaired`;
}
