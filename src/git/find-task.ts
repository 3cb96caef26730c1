import { AgentError } from '../errors.js';
import { loadTasks, type TaskRecord } from './task-store.js';

/**
 * A task named by its id, a unique prefix of its id, or its branch name (with or without
 * `refs/heads/`). No match and several matches are both errors that list what there is.
 */
export function findTask(commonDir: string, query: string): TaskRecord {
  const tasks = loadTasks(commonDir);
  const name = query.replace(/^refs\/heads\//, '');
  const exact = tasks.find((task) => task.id === name || task.branch === name);
  if (exact) return exact;
  const matches = tasks.filter((task) => task.id.startsWith(name) || task.branch.startsWith(name));
  if (matches.length === 1 && matches[0]) return matches[0];
  const listing = (list: TaskRecord[]): string =>
    list.map((task) => `  ${task.id}  ${task.branch}  (${task.status})`).join('\n');
  if (matches.length > 1) {
    throw new AgentError(`'${query}' matches ${matches.length} tasks:\n${listing(matches)}`, {
      hint: 'Give more characters of the id, or the whole branch name.',
      kind: 'usage',
    });
  }
  throw new AgentError(
    tasks.length
      ? `No task of this repository is named '${query}'. The tasks are:\n${listing(tasks)}`
      : `No task of this repository is named '${query}': it has no tasks yet.`,
    { hint: 'agent list shows the tasks; start one with agent task "<instruction>".', kind: 'usage' },
  );
}
