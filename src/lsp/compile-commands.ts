import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * clangd learns how each file is compiled from a compile_commands.json, in a folder above the file
 * or in its `build/`. A project generates it, usually ignored by git and naming the files of the
 * checkout it was made in: a task's worktree has none. The checkout's (at its top or in `build/`)
 * is copied with its paths moved into the worktree, into a private folder clangd is pointed at
 * (`--compile-commands-dir`). Undefined when the worktree has its own, or the checkout none.
 */
export function worktreeCompileCommands(checkout: string, worktree: string): { dir: string; cleanup: () => void } | undefined {
  const places = ['compile_commands.json', join('build', 'compile_commands.json')];
  if (places.some((place) => existsSync(join(worktree, place)))) return undefined;
  const found = places.map((place) => join(checkout, place)).find((file) => existsSync(file));
  if (!found) return undefined;
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(found, 'utf8'));
  } catch {
    return undefined; // clangd says what it makes of a broken one; the worktree's flags are its defaults then
  }
  if (!Array.isArray(entries)) return undefined;
  const moved = (value: unknown): unknown =>
    typeof value === 'string' ? (value === checkout ? worktree : value.split(`${checkout}/`).join(`${worktree}/`)) : Array.isArray(value) ? value.map(moved) : value;
  const rewritten = entries.map((entry) =>
    entry && typeof entry === 'object' ? Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, moved(value)])) : entry,
  );
  const dir = mkdtempSync(join(tmpdir(), 'hunkwise-clangd-'));
  writeFileSync(join(dir, 'compile_commands.json'), JSON.stringify(rewritten, null, 2));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
