import { copyFileSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SANDBOX_GIT_COMMON } from './bwrap-args.js';

/**
 * The repository's git directory as a sandboxed command sees it. Git in the worktree works — it
 * reads history, refreshes and writes its index, stages (`git add`) — but nothing it writes lands
 * in the user's repository: the worktree's git folder is a throwaway copy, new objects go to a
 * throwaway object folder that borrows the real one read-only (git's alternates), and everything
 * else (refs, config, hooks, packed-refs) is a link to the real file, read-only in the sandbox.
 * So `git commit`, `git stash`, `git branch -D`, `git config` fail there, and the user's branches,
 * stash, config and hooks stay as they were. The layout is git-new-workdir's, made for one command.
 */

/** Entries of the git directory that the view does not link: its own versions, or not git's. */
const NOT_LINKED = new Set(['objects', 'index', 'hunkwise', 'commondir']);

/** Files of the worktree's git folder that the copy leaves out (rewritten, or a lock). */
const NOT_COPIED = new Set(['commondir', 'locked']);

export interface GitViewOptions {
  /** The worktree's git folder, `<common>/worktrees/<name>`. */
  gitDir: string;
  commonDir: string;
  /** An empty folder of the command's own, where the view is made. */
  into: string;
  /** False when history must stay out of reach (the repository tracks a file commands may not read). */
  history: boolean;
}

/** Makes the view; returns the folders to mount at the worktree's git folder and at SANDBOX_GIT_COMMON. */
export function makeGitView(options: GitViewOptions): { gitDir: string; commonDir: string } {
  const gitDir = join(options.into, 'worktree');
  const commonDir = join(options.into, 'common');
  mkdirSync(gitDir, { recursive: true });
  mkdirSync(join(commonDir, 'objects', 'info'), { recursive: true });
  for (const name of readdirSync(options.gitDir)) {
    if (NOT_COPIED.has(name) || !lstatSync(join(options.gitDir, name)).isFile()) continue;
    copyFileSync(join(options.gitDir, name), join(gitDir, name));
  }
  writeFileSync(join(gitDir, 'commondir'), `${SANDBOX_GIT_COMMON}\n`);
  for (const name of readdirSync(options.commonDir)) {
    if (!NOT_LINKED.has(name) && !name.endsWith('.lock')) symlinkSync(join(options.commonDir, name), join(commonDir, name));
  }
  if (options.history) writeFileSync(join(commonDir, 'objects', 'info', 'alternates'), `${join(options.commonDir, 'objects')}\n`);
  return { gitDir, commonDir };
}
