import { Conversation } from '../agent/conversation.js';
import { findTask } from '../git/find-task.js';
import { openRepo } from '../git/repo.js';
import { undoStep } from '../git/task-refs.js';
import { saveTask } from '../git/task-store.js';

export async function undoCommand(query: string, options: { json?: boolean }): Promise<void> {
  const repo = await openRepo(process.cwd());
  const task = findTask(repo.commonDir, query);
  const undone = await undoStep(repo, task);
  task.steps = undone.step - 1;
  saveTask(repo.commonDir, task);
  Conversation.open(repo.commonDir, task.id).append({
    role: 'user',
    content: `[hunkwise] The user undid step ${undone.step} (${undone.subject}): its changes are no longer in the files.`,
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ task: task.id, ...undone })}\n`);
    return;
  }
  process.stdout.write(
    `Dropped step ${undone.step} of task ${task.id} (${undone.subject}). It is kept at ${undone.keptAt}.\n`,
  );
}
