import { git, gitBytes } from './exec.js';
import { WORKTREE_CONFIG } from './worktree.js';

/**
 * Reads files of a commit with one `git cat-file --batch` process: path → bytes, or null where the
 * commit has no such file (or it is not a regular file).
 */
export async function readFilesAt(cwd: string, rev: string, paths: string[]): Promise<Map<string, Buffer | null>> {
  const files = new Map<string, Buffer | null>();
  if (paths.length === 0) return files;
  // NUL-separated names: a path may hold a newline.
  const { stdout } = await gitBytes(['cat-file', '--batch', '-z'], {
    cwd,
    input: paths.map((path) => `${rev}:${path}\0`).join(''),
  });
  let at = 0;
  for (const path of paths) {
    // A missing one is echoed back, newlines and all, before " missing".
    const missing = Buffer.from(`${rev}:${path} missing\n`);
    if (stdout.subarray(at, at + missing.length).equals(missing)) {
      files.set(path, null);
      at += missing.length;
      continue;
    }
    const end = stdout.indexOf(0x0a, at);
    const header = stdout.subarray(at, end).toString('utf8');
    at = end + 1;
    const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!match) {
      files.set(path, null);
      continue;
    }
    const size = Number(match[2]);
    files.set(path, match[1] === 'blob' ? stdout.subarray(at, at + size) : null);
    at += size + 1;
  }
  return files;
}

/**
 * Paths of the worktree that differ from its HEAD: modified, deleted and new (untracked, not
 * ignored) files, as `git status` sees them with end-of-line conversion off.
 */
export async function changedPaths(worktree: string): Promise<string[]> {
  const { stdout } = await git(
    [...WORKTREE_CONFIG, 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'],
    { cwd: worktree },
  );
  return stdout
    .split('\0')
    .filter((entry) => entry.length > 3)
    .map((entry) => entry.slice(3));
}
