import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import { processRuns } from '../process-runs.js';
import { loadTask, type TaskRecord, taskDir } from './task-store.js';

/**
 * One process at a time runs a task, or merges, undoes or aborts it: a second `agent task
 * --resume` of the same task would interleave steps, and a merge during a model turn would merge
 * half the task. The lock file holds the owner's pid; a lock whose process is gone (killed) is
 * taken over. `then` says what to do once the other process has ended.
 */
export function lockTask(commonDir: string, id: string, then = 'resume the task'): () => void {
  const file = join(taskDir(commonDir, id), 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processRuns(owner)) {
        throw new AgentError(`Task ${id} is running in another process (pid ${owner}).`, {
          hint: `Wait for it to end, or stop it (Ctrl-C in its terminal, or kill ${owner}); then ${then}.`,
        });
      }
      rmSync(file, { force: true });
    }
  }
  throw new AgentError(`Could not take the lock of task ${id} (${file}).`, { hint: 'Remove that file if no agent runs.' });
}

/**
 * Runs `work` holding the task's lock (merge, undo, abort), on the task's record as it is once the
 * lock is held: refused while another process runs the task.
 */
export async function whileLocked<T>(
  commonDir: string,
  task: TaskRecord,
  then: string,
  work: (task: TaskRecord) => Promise<T>,
): Promise<T> {
  const unlock = lockTask(commonDir, task.id, then);
  try {
    return await work(loadTask(commonDir, task.id) ?? task);
  } finally {
    unlock();
  }
}
