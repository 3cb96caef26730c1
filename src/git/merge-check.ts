import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import { git } from './exec.js';
import type { Repo } from './repo.js';
import { ask, ignoredPaths } from './queries.js';

/**
 * What of the user's own work a merge would touch, found by looking only: no git process here
 * writes the index or a file (`GIT_OPTIONAL_LOCKS=0` keeps `git diff` from refreshing the index).
 */

/** How the merge changes a path of the checkout: git's letter (A added, M modified, D deleted, T type changed). */
export interface MergeWrite {
  path: string;
  status: string;
}

export interface InTheWay {
  /** Changes in the index: the merge commit is made from the task's tree, and git's merge would refuse them. */
  staged: string[];
  /** Changes not staged in files the merge writes (or deletes). */
  unstaged: string[];
  /** Files git does not track, at paths the merge creates (or in folders it makes into files). */
  untracked: string[];
  /** The same, ignored by the repository (`.env.local`): the user's own, not the task's. */
  ignored: string[];
}

/** The paths of the checkout the merge writes: what differs between HEAD's tree and the merged tree. */
export async function mergeWrites(repo: Repo, head: string, tree: string): Promise<MergeWrite[]> {
  const { stdout } = await git(['diff-tree', '-r', '-z', '--no-renames', '--name-status', head, tree], { cwd: repo.root });
  const fields = stdout.split('\0');
  const writes: MergeWrite[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) writes.push({ status: fields[i] ?? '', path: fields[i + 1] ?? '' });
  return writes;
}

/** The user's work the merge would overwrite or take, by kind. */
export async function findInTheWay(repo: Repo, head: string, writes: MergeWrite[]): Promise<InTheWay> {
  const [staged, unstaged] = await Promise.all([
    nulList(repo, ['diff-index', '--cached', '-z', '--name-only', '--no-renames', head]),
    // Porcelain diff: compares contents, so a file only touched (new mtime) is not a change.
    nulList(repo, ['diff', '-z', '--name-only', '--no-renames', '--no-ext-diff', '--ignore-submodules=dirty']),
  ]);
  const written = new Set(writes.map((write) => write.path));
  const notTracked = untrackedInTheWay(repo.root, writes).filter((path) => !staged.includes(path));
  const ignored = notTracked.length ? new Set(await ignoredOf(repo, notTracked)) : new Set<string>();
  return {
    staged,
    unstaged: unstaged.filter((path) => written.has(path)),
    untracked: notTracked.filter((path) => !ignored.has(path)),
    ignored: notTracked.filter((path) => ignored.has(path)),
  };
}

export const nothingInTheWay = (found: InTheWay): boolean =>
  found.staged.length + found.unstaged.length + found.untracked.length + found.ignored.length === 0;

/**
 * Paths in the checkout where the merge creates something git does not track there: the path
 * itself (a file, or a folder of untracked files), or a parent the merge needs as a folder that
 * is a file or a link.
 */
function untrackedInTheWay(root: string, writes: MergeWrite[]): string[] {
  const tracked = new Set(writes.filter((write) => write.status !== 'A').map((write) => write.path));
  const found = new Set<string>();
  for (const { path, status } of writes) {
    if (status !== 'A') continue;
    const parts = path.split('/');
    let depth = 1;
    let kind = kindAt(join(root, parts[0] ?? ''));
    while (depth < parts.length && kind === 'folder') kind = kindAt(join(root, ...parts.slice(0, ++depth)));
    if (kind === 'none') continue;
    // The path itself, or the first parent that is not a folder (a file, a link to elsewhere).
    const at = parts.slice(0, depth).join('/');
    if (!tracked.has(at)) found.add(at);
  }
  return [...found];
}

function kindAt(path: string): 'none' | 'folder' | 'other' {
  try {
    return lstatSync(path).isDirectory() ? 'folder' : 'other';
  } catch {
    return 'none';
  }
}

async function ignoredOf(repo: Repo, paths: string[]): Promise<string[]> {
  return ask(ignoredPaths(paths), { cwd: repo.root });
}

async function nulList(repo: Repo, args: string[]): Promise<string[]> {
  const { stdout } = await git(args, { cwd: repo.root });
  return stdout.split('\0').filter(Boolean);
}

/** The refusal: each kind of the user's work in the way, its files, and what to do about it. */
export function inTheWayError(taskId: string, into: string, found: InTheWay): AgentError {
  const list = (paths: string[]): string => paths.map((path) => `    ${JSON.stringify(path).slice(1, -1)}`).join('\n');
  const parts: string[] = [];
  const todo: string[] = [];
  if (found.staged.length) {
    parts.push(`  staged changes (a merge must not mix them into its commit):\n${list(found.staged)}`);
    todo.push('commit or stash the staged changes (git commit, or git stash)');
  }
  if (found.unstaged.length) {
    parts.push(`  changes not staged, in files the merge writes:\n${list(found.unstaged)}`);
    todo.push('commit or stash your changes to those files (git stash push -- <file>)');
  }
  if (found.untracked.length) {
    parts.push(`  untracked files where the merge writes:\n${list(found.untracked)}`);
    todo.push('move the untracked files away or commit them');
  }
  if (found.ignored.length) {
    parts.push(`  ignored files of yours where the merge writes (the task's version would replace them):\n${list(found.ignored)}`);
    todo.push('move the ignored files away (or undo the step that made them: agent undo)');
  }
  return new AgentError(
    `Merging task ${taskId} into ${into} would overwrite work of yours:\n${parts.join('\n')}\nNothing was merged; your files, index, branches and stash are as they were.`,
    { hint: `${capitalize(todo.join('; '))}; then run agent merge ${taskId} again.` },
  );
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
