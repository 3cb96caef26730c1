import { lstatSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { faultPoint } from '../fault.js';
import { git, gitOut } from './exec.js';
import { addNote, dated, type NoteWrite } from './notes.js';
import { writeFileAtomic } from './task-store.js';
import { requireWorktree, WORKTREE_CONFIG } from './worktree.js';
import { ask, EXIT, refreshIndex } from './queries.js';

/**
 * Stages and commits one approved step in a task worktree with a fixed number of git processes,
 * however many files and hunks the step has: hash-object, update-index, write-tree, commit-tree,
 * update-ref, the note (four: notes.ts), and a final index refresh. No `git apply`: the approved
 * content is computed exactly beforehand, so the user's `apply.whitespace` or `core.autocrlf`
 * cannot change it. The step's date is fixed beforehand too: made again from the same journal,
 * its commit and notes commit are the same objects (step-objects.ts writes them again after a gc).
 */

/** A file of a step as approved: its whole new content, or null when it is deleted. */
export interface ApprovedFile {
  path: string;
  content: string | null;
}

export interface IndexEntry {
  path: string;
  /** '100644' or '100755', or '0' to remove the path from the index. */
  mode: string;
  blob: string;
}

/** Everything needed to finish a step; written to the task's journal before the commit. */
export interface PreparedStep {
  branch: string;
  parent: string;
  entries: IndexEntry[];
  message: string;
  note: string;
  /** The author and committer date of the step commit and its notes commit: `<seconds> <+hhmm>`. */
  date: string;
}

/** Writes the approved files into the worktree and their blobs into the object database. */
export async function prepareStep(
  worktree: string,
  files: ApprovedFile[],
  step: Omit<PreparedStep, 'entries'>,
): Promise<PreparedStep> {
  requireWorktree(worktree);
  const written = files.filter((file) => file.content !== null);
  for (const file of files) {
    const abs = join(worktree, file.path);
    if (file.content === null) {
      rmSync(abs, { force: true });
      continue;
    }
    mkdirSync(dirname(abs), { recursive: true });
    // Whole or not at all: a full disk leaves the file as it was, never half of the new content.
    // The temporary name is fixed, so that a kill between write and rename leaves a file the next
    // attempt at this step (on resume, from the journal) overwrites and renames.
    writeFileAtomic(abs, file.content, { mode: permissionsOf(abs), tmp: `${abs}.hunkwise-tmp` });
  }
  const blobs = written.length
    ? (
        await gitOut([...WORKTREE_CONFIG, 'hash-object', '-w', '--stdin-paths'], {
          cwd: worktree,
          input: written.map((file) => `${stdinPath(file.path)}\n`).join(''),
        })
      ).split('\n')
    : [];
  const entries = files.map((file): IndexEntry => {
    // Any id of the repository's length (SHA-1 or SHA-256) removes the path; the parent's has it.
    if (file.content === null) return { path: file.path, mode: '0', blob: '0'.repeat(step.parent.length) };
    const blob = blobs[written.indexOf(file)];
    if (!blob) throw new Error(`git hash-object gave no blob for ${file.path}`);
    const executable = (lstatSync(join(worktree, file.path)).mode & 0o111) !== 0;
    return { path: file.path, mode: executable ? '100755' : '100644', blob };
  });
  return { ...step, entries };
}

/**
 * A path as `hash-object --stdin-paths` reads it, one per line: C-quoted when it holds a newline,
 * a backslash or a leading double quote (which git would take for quoting), as is otherwise.
 */
function stdinPath(path: string): string {
  if (!/[\n\\]|^"/.test(path)) return path;
  const escapes: Record<string, string> = { '\n': '\\n', '\\': '\\\\', '"': '\\"', '\t': '\\t', '\r': '\\r' };
  return `"${path.replace(/[\n\\"\t\r]/g, (c) => escapes[c] ?? c)}"`;
}

/** The permission bits of an existing file (kept when it is replaced), undefined for a new one. */
function permissionsOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}

/**
 * Stages the prepared entries and writes the step's tree and commit, moving no ref. Made again
 * from the same prepared step, it writes the same objects and returns the same commit.
 */
export async function writeStepCommit(worktree: string, prepared: PreparedStep): Promise<string> {
  const index = prepared.entries.map((entry) => `${entry.mode} ${entry.blob}\t${entry.path}\0`).join('');
  await git(['update-index', '-z', '--index-info'], { cwd: worktree, input: index });
  faultPoint('step:staged');
  const tree = await gitOut(['write-tree'], { cwd: worktree });
  return gitOut(['commit-tree', '--no-gpg-sign', tree, '-p', prepared.parent, '-F', '-'], {
    cwd: worktree,
    input: prepared.message,
    env: dated(prepared.date),
  });
}

/**
 * Stages the prepared entries, commits them on the branch (only if it still points at the
 * parent: a compare-and-swap) and attaches the note. Returns the new commit and what the note did.
 */
export async function finishStep(worktree: string, prepared: PreparedStep): Promise<{ commit: string; note: NoteWrite }> {
  const commit = await writeStepCommit(worktree, prepared);
  await git(['update-ref', '-m', 'hunkwise: step', `refs/heads/${prepared.branch}`, commit, prepared.parent], {
    cwd: worktree,
  });
  faultPoint('step:ref-updated');
  const note = await addNote(worktree, commit, prepared.note, { date: prepared.date });
  await ask(refreshIndex(WORKTREE_CONFIG), { cwd: worktree });
  return { commit, note };
}

/** Restores files of the worktree to the branch tip: used when a kill left a step half written. */
export async function restoreFromHead(worktree: string, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  // Paths, not patterns: a file named `*.ts` is that file alone.
  const env = { GIT_LITERAL_PATHSPECS: '1' };
  await git([...WORKTREE_CONFIG, 'reset', '-q', 'HEAD', '--', ...paths], { cwd: worktree, env, okCodes: [EXIT.no] });
  const tracked = await gitOut(['ls-tree', '-z', '--name-only', 'HEAD', '--', ...paths], { cwd: worktree, env });
  const inHead = new Set(tracked.split('\0').filter(Boolean));
  for (const path of paths) if (!inHead.has(path)) rmSync(join(worktree, path), { force: true });
  if (inHead.size > 0) {
    await git([...WORKTREE_CONFIG, 'checkout', '-q', 'HEAD', '--', ...inHead], { cwd: worktree, env });
  }
}

