import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AgentError } from '../errors.js';
import { git } from './exec.js';
import type { Repo } from './repo.js';
import { lexists } from '../lexists.js';

/**
 * A task's worktree: a checkout of its branch outside the user's working tree. Our git commands
 * in it turn off end-of-line conversion so that the bytes in the worktree are the bytes of the
 * blobs whatever `core.autocrlf` the user set (CRLF files stay CRLF, LF files stay LF). Like every git
 * process of ours they run no hooks (exec.ts): the worktree is the agent's scratch space, not the user's act.
 */
/**
 * A task's worktree that is made when there is time for it: a new task starts making it once its
 * first model request is on its way (the model reads for a while; git works meanwhile).
 */
export interface TaskWorktree {
  /** Starts making it unless it is made or being made; resolves once it is there. */
  start(): Promise<void>;
  /** Resolves once it is there, without starting it. */
  ready: Promise<void>;
}

export const WORKTREE_CONFIG = ['-c', 'core.autocrlf=false', '-c', 'core.eol=lf', '-c', 'core.safecrlf=false'];

/** Folders the project needs but git ignores: shared with the task so its tools and tests run. */
export const DEPENDENCY_FOLDERS: ReadonlySet<string> = new Set(['node_modules', '.venv', 'venv', 'vendor']);

/** Checks `branch` out at `path`; with `startAt`, the branch is created there first (it must not exist). */
export async function addTaskWorktree(repo: Repo, path: string, branch: string, startAt?: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const target = startAt ? ['-b', branch, path, startAt] : [path, branch];
  await git([...WORKTREE_CONFIG, 'worktree', 'add', '--quiet', ...target], {
    cwd: repo.root,
  });
}

/**
 * Makes the main checkout's ignored dependency folders (node_modules at any depth, .venv, an ignored
 * vendor) visible in the worktree. Each becomes a real folder whose entries are links to the
 * originals, so that a `.gitignore` line such as `node_modules/` ignores it there too. Returns the
 * folders it linked, relative to the root.
 */
export async function linkDependencyFolders(repo: Repo, worktree: string): Promise<string[]> {
  const linked = await dependencyFolders(repo.root);
  for (const folder of linked) mirrorFolder(join(repo.root, folder), join(worktree, folder));
  return linked;
}

/** The ignored dependency folders of a checkout (node_modules at any depth, .venv, vendor), relative to it. */
export async function dependencyFolders(checkout: string): Promise<string[]> {
  const { stdout } = await git(['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], {
    cwd: checkout,
  });
  return stdout
    .split('\0')
    .filter((entry) => entry.endsWith('/') && DEPENDENCY_FOLDERS.has(basename(entry.slice(0, -1))))
    .map((entry) => entry.slice(0, -1));
}

/**
 * Where tools keep caches and temporary files inside a dependency folder (vite's `.vite` and
 * `.vite-temp`, babel's and others' `.cache`): not linked, so that a tool in the task writes its
 * own in the worktree. Linked, they would lead into the user's folder, which a sandboxed command
 * may not write (vite then fails to load its config), and an unsandboxed one should not.
 */
const TOOL_CACHES = new Set(['.vite', '.vite-temp', '.cache']);

function mirrorFolder(source: string, target: string): void {
  mkdirSync(target, { recursive: true });
  for (const name of readdirSync(source)) {
    const link = join(target, name);
    if (TOOL_CACHES.has(name) || lexists(link)) continue;
    symlinkSync(join(source, name), link);
  }
}

/**
 * A task's worktree that is no longer there: deleted by hand (rm -rf) while or after the task
 * ran. Its branch holds every step, so `agent task --resume` makes it again.
 */
export class WorktreeMissingError extends AgentError {
  readonly folder: string;

  constructor(folder: string) {
    super(`The task's worktree ${folder} no longer exists: it was deleted by hand.`, {
      hint: 'Its branch holds every approved step; agent task --resume <task> makes the worktree again from it.',
    });
    this.folder = folder;
  }
}

/** Whether `path` is still a git worktree (its folder and its `.git` file are there). */
export const worktreeExists = (path: string): boolean => existsSync(join(path, '.git'));

/** Refuses to write into a worktree that was deleted: writing would make a folder git does not know. */
export function requireWorktree(path: string): void {
  if (!worktreeExists(path)) throw new WorktreeMissingError(path);
}

/** Removes a task's worktree (its files, not its branch). Tolerates one deleted by hand. */
export async function removeTaskWorktree(repo: Repo, path: string): Promise<void> {
  if (lexists(path)) {
    await git(['worktree', 'remove', '--force', '--force', path], { cwd: repo.root });
  } else {
    await git(['worktree', 'prune'], { cwd: repo.root });
  }
}
