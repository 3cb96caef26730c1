import { findTask } from '../git/find-task.js';
import { openRepo } from '../git/repo.js';
import { whileLocked } from '../git/task-lock.js';
import { abortedRef, abortTask } from '../git/task-refs.js';
import { saveTask } from '../git/task-store.js';

export async function abortCommand(query: string, options: { json?: boolean }): Promise<void> {
  const repo = await openRepo(process.cwd());
  const task = findTask(repo.commonDir, query);
  const tip = await whileLocked(repo.commonDir, task, `run agent abort ${task.id} again`, async (current) => {
    const kept = await abortTask(repo, current);
    saveTask(repo.commonDir, { ...current, status: 'aborted' });
    return kept;
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ task: task.id, branch: task.branch, keptAt: abortedRef(task.id), tip })}\n`);
    return;
  }
  process.stdout.write(
    tip
      ? `Aborted task ${task.id}: removed its worktree and ${task.branch}. Its history is kept at ${abortedRef(task.id)} (git log ${abortedRef(task.id)}).\n`
      : `Aborted task ${task.id}: its branch ${task.branch} had been deleted already, so there was no history to keep.\n`,
  );
}
