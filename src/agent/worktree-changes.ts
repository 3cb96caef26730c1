import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { restoreFromHead } from '../git/commit-step.js';
import { changedPaths } from '../git/read-files.js';
import { decodeText, isBinary } from '../git/text.js';
import type { ProposedFile, ToolContext } from './tool.js';

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

/**
 * What a command (or the user's hand) changed in the worktree goes through hunk approval like any
 * edit: proposed as one step named `action`; binary changes are reverted. `known`: the changed
 * paths, when the caller has them. Undefined when nothing changed.
 */
export async function proposeWorktreeChanges(ctx: ToolContext, action: string, known?: string[]): Promise<string | undefined> {
  const paths = known ?? (await changedPaths(ctx.root));
  if (paths.length === 0) return undefined;
  const { files, binary } = worktreeChanges(ctx.root, paths);
  const outcome = files.length ? await ctx.propose({ action, files }) : undefined;
  await restoreFromHead(ctx.root, binary);
  const notes = binary.map((path) => `${path} was changed by the command but is binary: the change was reverted.`);
  return [`The command changed files in the worktree.`, outcome?.content, ...notes].filter(Boolean).join('\n');
}
