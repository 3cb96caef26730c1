import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeText, isBinary } from '../git/text.js';
import type { ProposedFile } from './tool.js';

/**
 * The current content of changed worktree paths, as an edit proposal: text files with their
 * content, missing files as deletions. Binary files, links and non-UTF-8 files cannot be proposed
 * as hunks: they are listed apart (the caller restores them).
 */
export function worktreeChanges(root: string, paths: string[]): { files: ProposedFile[]; binary: string[] } {
  const files: ProposedFile[] = [];
  const binary: string[] = [];
  for (const path of paths) {
    const abs = join(root, path);
    let stat: ReturnType<typeof lstatSync> | undefined;
    try {
      stat = lstatSync(abs);
    } catch {
      files.push({ path, content: null });
      continue;
    }
    if (!stat.isFile()) {
      binary.push(path);
      continue;
    }
    const bytes = readFileSync(abs);
    const text = isBinary(bytes) ? null : decodeText(bytes);
    if (text === null) binary.push(path);
    else files.push({ path, content: text });
  }
  return { files, binary };
}
