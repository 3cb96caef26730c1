import { Conversation } from '../agent/conversation.js';
import { findTask } from '../git/find-task.js';
import { openRepo } from '../git/repo.js';
import { whileLocked } from '../git/task-lock.js';
import { undoStep } from '../git/task-refs.js';
import { saveTask } from '../git/task-store.js';

export async function undoCommand(query: string, options: { json?: boolean }): Promise<void> {
  const repo = await openRepo(process.cwd());
  const task = findTask(repo.commonDir, query);
  const undone = await whileLocked(repo.commonDir, task, `run agent undo ${task.id} again`, async (current) => {
    const dropped = await undoStep(repo, current);
    saveTask(repo.commonDir, { ...current, steps: dropped.step - 1 });
    Conversation.open(repo.commonDir, task.id).append({
      role: 'user',
      content: `[hunkwise] The user undid step ${dropped.step} (${dropped.subject}): its changes are no longer in the files.`,
    });
    return dropped;
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ task: task.id, ...undone })}\n`);
    return;
  }
  process.stdout.write(
    `Dropped step ${undone.step} of task ${task.id} (${undone.subject}). It is kept at ${undone.keptAt}.\n`,
  );
}
