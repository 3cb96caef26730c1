import { realpathSync } from 'node:fs';
import path from 'node:path';
import { DEPENDENCY_FOLDERS } from '../git/worktree.js';
import { lexists } from '../lexists.js';

/**
 * Confines the paths the model names to the task's worktree. A path is accepted only when it is
 * relative, stays inside the root after normalisation, names nothing under a `.git` folder, and
 * does not reach outside the root through a symlink. Errors are written for the model: they say
 * how to correct the call.
 */

export type ResolvedPath = { abs: string; rel: string } | { error: string };

const EXAMPLE = 'use a path relative to the repository root, e.g. src/index.ts';

/**
 * Resolves `input` inside `root`. `rel` uses '/' separators and is '.' for the root itself;
 * `abs` is `root` joined with `rel` (symlinks are not resolved in it). Never touches the
 * file system beyond lstat/realpath of existing ancestors.
 */
export function resolveInside(root: string, input: string): ResolvedPath {
  const raw = input.trim();
  if (raw.includes('\0')) return { error: `path contains a NUL character; ${EXAMPLE}` };
  if (path.isAbsolute(raw) || /^[A-Za-z]:[\\/]/.test(raw) || raw.startsWith('~')) {
    return { error: `"${input}" is not a relative path; ${EXAMPLE}` };
  }
  const rel = normalise(raw);
  if (rel === '..' || rel.startsWith('../')) {
    return { error: `"${input}" leads outside the repository; ${EXAMPLE}` };
  }
  if (underGit(rel)) {
    return { error: `"${input}" is inside .git, which tools may not touch; ${EXAMPLE}` };
  }
  const abs = rel === '.' ? root : path.join(root, rel);
  const escaped = symlinkEscape(root, abs);
  const dependency = rel.split('/').find((segment) => DEPENDENCY_FOLDERS.has(segment));
  if (escaped && dependency) {
    return { error: `"${input}" is in ${dependency}, a dependency the worktree shows from your checkout: hunkwise does not touch it; change the project's own code instead` };
  }
  if (escaped) return { error: `"${input}" ${escaped}; ${EXAMPLE}` };
  return { abs, rel };
}

/** `./a`, `a//b`, `a/`, `a/./b` → `a`, `a/b`; the root is '.'. */
function normalise(raw: string): string {
  if (raw === '') return '.';
  let rel = path.posix.normalize(raw);
  while (rel.length > 1 && rel.endsWith('/')) rel = rel.slice(0, -1);
  return rel === '' ? '.' : rel;
}

function underGit(rel: string): boolean {
  return rel.split('/').some((segment) => segment.toLowerCase() === '.git');
}

/**
 * Why `abs` escapes the root through a symlink, or undefined when it does not. The realpath of the
 * nearest existing ancestor (lstat: a dangling symlink counts as existing) must stay inside the
 * realpath of the root, and not land under its `.git`.
 */
function symlinkEscape(root: string, abs: string): string | undefined {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return 'cannot be checked: the repository root does not exist';
  }
  let existing = abs;
  while (!lexists(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) return undefined;
    existing = parent;
  }
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    return 'is a symlink whose target does not exist';
  }
  const inside = path.relative(realRoot, real);
  if (inside === '') return undefined;
  if (inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    return 'leads outside the repository through a symlink';
  }
  if (underGit(inside.split(path.sep).join('/'))) return 'leads into .git through a symlink';
  return undefined;
}

/**
 * The path relative to `root` that `rel` really names once the symlinks inside the root on its
 * way are followed (`lib/x.ts` with `lib -> src` is `src/x.ts`); `rel` when none is. For a path
 * resolveInside accepted: it does not leave the root.
 */
export function realRelative(root: string, rel: string): string {
  const parts = rel.split('/');
  for (let depth = parts.length; depth > 0; depth--) {
    const existing = path.join(root, ...parts.slice(0, depth));
    if (!lexists(existing)) continue;
    let real: string;
    try {
      real = realpathSync(existing);
    } catch {
      return rel;
    }
    const inside = path.relative(realpathSync(root), real).split(path.sep).join('/');
    return [inside, ...parts.slice(depth)].filter((part) => part !== '').join('/') || '.';
  }
  return rel;
}

