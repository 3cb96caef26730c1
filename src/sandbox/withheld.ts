import { statSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../git/exec.js';

/**
 * The worktree's files that commands may not read, tracked or not (ignored ones too: a `.env` is
 * usually ignored). Tracked ones change only when hunkwise commits a step, so they are listed once
 * per state of the worktree's index (its inode, size and time: only hunkwise writes that index, a
 * command gets a copy); untracked ones are listed before every command, outside the dependency
 * folders (thousands of files a command may have installed, never the user's).
 */

export interface WithheldFile {
  path: string;
  tracked: boolean;
}

export interface WithheldOptions {
  worktree: string;
  /** The worktree's git folder, whose index says what is tracked. */
  gitDir: string;
  /** Git pathspecs of the candidates, and the test of each path found. */
  pathspecs: string[];
  hides: (rel: string) => boolean;
}

export function createWithheldFinder(options: WithheldOptions): (skip: string[]) => Promise<WithheldFile[]> {
  let tracked: { key: string; files: Promise<string[]> } | undefined;
  const list = async (args: string[]): Promise<string[]> => {
    const { stdout } = await git(['ls-files', '-z', ...args], { cwd: options.worktree });
    return stdout.split('\0').filter((path) => path !== '' && options.hides(path));
  };
  return async (skip) => {
    if (options.pathspecs.length === 0) return [];
    const key = indexKey(join(options.gitDir, 'index'));
    if (tracked?.key !== key) tracked = { key, files: list(['--cached', '--', ...options.pathspecs]) };
    const excluded = skip.map((rel) => `:(exclude,literal)${rel}`);
    const [inIndex, others] = await Promise.all([tracked.files, list(['--others', '--', ...options.pathspecs, ...excluded])]);
    const known = new Set(inIndex);
    return [...inIndex.map((path) => ({ path, tracked: true })), ...others.filter((path) => !known.has(path)).map((path) => ({ path, tracked: false }))];
  };
}

function indexKey(index: string): string {
  try {
    const stat = statSync(index);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'none';
  }
}
