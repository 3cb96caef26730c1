import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Locality } from '../model/types.js';
import { git, gitOut } from './exec.js';
import type { Repo } from './repo.js';
import { newTaskId, saveTask, type TaskRecord, taskDir } from './task-store.js';
import { taskCommitMessage } from './trailers.js';
import { addTaskWorktree, linkDependencyFolders } from './worktree.js';

export interface CreateTaskOptions {
  repo: Repo;
  instruction: string;
  base: { ref: string; commit: string };
  /** `provider/model`. */
  model: string;
  locality: Locality;
  /** The folder under which the worktree is made. */
  worktreesDir: string;
}

/** Lower-case words of the instruction joined by '-', at most 40 characters, safe in a ref name. */
export function slugify(text: string): string {
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word;
    if (next.length > 40) break;
    slug = next;
  }
  return slug || (words[0]?.slice(0, 40) ?? '') || 'task';
}

/**
 * Creates the task: its branch, its worktree with the dependency folders linked into it, and its
 * state. Touches nothing of the user's checkout.
 */
export async function createTask(options: CreateTaskOptions): Promise<TaskRecord> {
  const task = await createTaskRecord(options);
  await makeTaskWorktree(options.repo, task);
  return task;
}

/**
 * The task without its branch and worktree yet: the first commit of its branch
 * `agent/<id>-<slug>`, which records the task, and its state. The first model request needs no
 * more, so the branch and the worktree are made (makeTaskWorktree, one git process) while the
 * model reads its prompt.
 */
export async function createTaskRecord(options: CreateTaskOptions): Promise<TaskRecord> {
  const { repo } = options;
  const id = newTaskId((candidate) => existsSync(taskDir(repo.commonDir, candidate)));
  const slug = slugify(options.instruction);
  const branch = `agent/${id}-${slug}`;
  const message = taskCommitMessage({
    task: id,
    instruction: options.instruction,
    model: options.model,
    locality: options.locality,
    baseRef: options.base.ref,
    baseCommit: options.base.commit,
  });
  const root = await gitOut(
    ['commit-tree', '--no-gpg-sign', `${options.base.commit}^{tree}`, '-p', options.base.commit, '-F', '-'],
    { cwd: repo.root, input: message },
  );
  const worktree = join(options.worktreesDir, `${id}-${slug}`);
  const now = new Date().toISOString();
  const record: TaskRecord = {
    id,
    branch,
    instruction: options.instruction,
    base: options.base,
    root,
    models: [options.model],
    locality: options.locality,
    worktree,
    status: 'active',
    steps: 0,
    createdAt: now,
    updatedAt: now,
  };
  saveTask(repo.commonDir, record);
  return record;
}

/**
 * Checks the task branch out in the task's worktree (creating the branch at the task's first
 * commit when it does not exist yet) and links the dependency folders into it.
 */
export async function makeTaskWorktree(repo: Repo, task: TaskRecord): Promise<void> {
  const branch = await git(['rev-parse', '-q', '--verify', `refs/heads/${task.branch}`], { cwd: repo.root, okCodes: [1] });
  await addTaskWorktree(repo, task.worktree, task.branch, branch.code === 0 ? undefined : task.root);
  await linkDependencyFolders(repo, task.worktree);
}
