import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { messageOf } from '../errors.js';
import type { Locality } from '../task-model.js';
import { GitError, git, gitOut } from './exec.js';
import type { Repo } from './repo.js';
import { newTaskId, saveTask, type TaskRecord, taskDir } from './task-store.js';
import { taskCommitMessage } from './trailers.js';
import { addTaskWorktree, linkDependencyFolders } from './worktree.js';
import { ask, deleteRef, EXIT, objectExists, refExists } from './queries.js';

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
  const task = createTaskRecord(options);
  await makeTaskWorktree(options.repo, task);
  return task;
}

/**
 * The task's state alone: no git process runs. The first model request needs no more, so the
 * task's branch (its first commit records the task) and its worktree are made by
 * makeTaskWorktree while the model reads its prompt.
 */
export function createTaskRecord(options: CreateTaskOptions): TaskRecord {
  const { repo } = options;
  const id = newTaskId((candidate) => existsSync(taskDir(repo.commonDir, candidate)));
  const slug = slugify(options.instruction);
  const branch = `agent/${id}-${slug}`;
  const worktree = join(options.worktreesDir, `${id}-${slug}`);
  const now = new Date().toISOString();
  const record: TaskRecord = {
    id,
    branch,
    instruction: options.instruction,
    base: options.base,
    root: '',
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
 * Checks the task branch out in the task's worktree and links the dependency folders into it.
 * A branch not made yet is made by the same `git worktree add`, at the task's first commit (made
 * first when the task has none). `branchExists`: known by the caller, else asked of git.
 */
export async function makeTaskWorktree(repo: Repo, task: TaskRecord, branchExists?: boolean): Promise<void> {
  const exists =
    branchExists ?? (await ask(refExists(`refs/heads/${task.branch}`), { cwd: repo.root }));
  if (!exists && !task.root) {
    task.root = await commitTask(repo, task);
    saveTask(repo.commonDir, task);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await addTaskWorktree(repo, task.worktree, task.branch, exists ? undefined : task.root);
      break;
    } catch (error) {
      if (attempt === 5) throw error;
      // Another task's `git worktree add` half done: git read its registration while it was being
      // written. Of this one only the branch `-b` made may exist (taken back); tried again a moment later.
      if (readOthersRegistration(error)) {
        if (!exists) await ask(deleteRef(`refs/heads/${task.branch}`, task.root), { cwd: repo.root });
        await sleep(20 + Math.random() * 200);
        continue;
      }
      // A `git gc` meanwhile may have taken what the add needed: the task's first commit, reachable
      // from nothing until the branch holds it, or the worktree's registration under
      // .git/worktrees/, which its `git worktree prune` removes while `worktree add` still writes it.
      const lost = !exists && !(await ask(objectExists(`${task.root}^{commit}`), { cwd: repo.root }));
      if (!lost && !registrationPruned(error)) throw error;
      // What the failed attempt made (a half-made worktree; a branch it made at the lost commit) goes first.
      await clearFailedAttempt(repo, task, exists);
      if (lost) {
        task.root = await commitTask(repo, task);
        saveTask(repo.commonDir, task);
      }
    }
  }
  await linkDependencyFolders(repo, task.worktree);
}

/**
 * A `git worktree add` that failed under a `git gc` may have registered the worktree and, with
 * `-b`, made the branch at the task's first commit: both are taken back (the branch only if the add
 * made it, `keepBranch` false, and it still points there), so that the next attempt starts clean.
 */
async function clearFailedAttempt(repo: Repo, task: TaskRecord, keepBranch: boolean): Promise<void> {
  // Not registered (nothing was made) is no failure here.
  await git(['worktree', 'remove', '--force', task.worktree], { cwd: repo.root, okCodes: [EXIT.no, EXIT.fatal] });
  rmSync(task.worktree, { recursive: true, force: true });
  await git(['worktree', 'prune'], { cwd: repo.root });
  if (!keepBranch) await ask(deleteRef(`refs/heads/${task.branch}`, task.root), { cwd: repo.root });
}

/** `git worktree add` failed reading another worktree's registration, half written by a concurrent add. */
const readOthersRegistration = (error: unknown): boolean =>
  error instanceof GitError && /failed to read [^\n]*worktrees\/[^\n]*\/(commondir|gitdir)/.test(error.stderr);

/** `git worktree add` failed because the worktree's folder under .git/worktrees/ went while it wrote there. */
const registrationPruned = (error: unknown): boolean =>
  error instanceof GitError && /'[^']*worktrees\/[^']*'[^\n]*No such file or directory/.test(error.stderr);

/**
 * The first commit of a task's branch: the base's tree, and a message that records the task. A
 * `git gc --prune=now` can remove an empty object folder just as git writes into it (git then
 * fails "unable to write file ...: No such file or directory"): written again, up to three times.
 */
async function commitTask(repo: Repo, task: TaskRecord): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeTaskCommit(repo, task);
    } catch (error) {
      const text = messageOf(error);
      if (attempt === 3 || !/unable to write .*No such file or directory/.test(text)) throw error;
    }
  }
}

function writeTaskCommit(repo: Repo, task: TaskRecord): Promise<string> {
  const message = taskCommitMessage({
    task: task.id,
    instruction: task.instruction,
    model: task.models[0] ?? '',
    locality: task.locality,
    baseRef: task.base.ref,
    baseCommit: task.base.commit,
  });
  return gitOut(['commit-tree', '--no-gpg-sign', `${task.base.commit}^{tree}`, '-p', task.base.commit, '-F', '-'], {
    cwd: repo.root,
    input: message,
  });
}
