import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TaskRecord } from '../../src/git/task-store.js';
import { type AgentRun, runAgent } from './agent.js';
import type { TestRepo } from './repo.js';

/** A task's state folder in the repository's git directory. */
export const taskStateDir = (repo: TestRepo, id: string): string => join(repo.root, '.git', 'hunkwise', 'tasks', id);

/** The ids of the repository's tasks (none before the first task). */
export function taskIds(repo: TestRepo): string[] {
  try {
    return readdirSync(join(repo.root, '.git', 'hunkwise', 'tasks'));
  } catch {
    return [];
  }
}

/** A task's record as the agent saved it (`task.json`). */
export const readTask = (repo: TestRepo, id: string): TaskRecord =>
  JSON.parse(readFileSync(join(taskStateDir(repo, id), 'task.json'), 'utf8'));

/** The repository's only task (the first, when there are several). */
export const onlyTask = (repo: TestRepo): TaskRecord => readTask(repo, taskIds(repo)[0] ?? '');

/** Every task of the repository. */
export const allTasks = (repo: TestRepo): TaskRecord[] => taskIds(repo).map((id) => readTask(repo, id));

/** A port nothing listens on: one the system just gave out and took back. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Runs one task to its end without a terminal, every class approved; its run and its record. */
export async function runTaskToEnd(repo: TestRepo, env: NodeJS.ProcessEnv, instruction: string): Promise<{ run: AgentRun; task: TaskRecord }> {
  const known = new Set(taskIds(repo));
  const run = await runAgent(['task', instruction, '--approve', 'all'], { cwd: repo.root, env });
  return { run, task: readTask(repo, taskIds(repo).find((id) => !known.has(id)) ?? '') };
}
