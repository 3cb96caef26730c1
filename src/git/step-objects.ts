import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDiskFull } from '../errors.js';
import { processRuns } from '../process-runs.js';
import { git, GitError, gitOut } from './exec.js';
import type { NoteWrite } from './notes.js';
import { WORKTREE_CONFIG } from './worktree.js';
import { ask, refreshIndex } from './queries.js';

/**
 * A step's objects against a `git gc --prune=now` the user runs meanwhile. Between `hash-object`
 * and `update-index` a step's blobs are reachable from nothing, and so are its trees and commit
 * until the branch moves (git's own documentation of `gc --prune=now`: a risk of corruption when
 * another process writes to the repository). What a step does about it:
 *
 * - nothing waits between writing an object and making it reachable: the blobs go into the
 *   worktree's index in the next process (gc keeps what any worktree's index names, and the trees
 *   `write-tree` records there), the commit onto the branch in the one after;
 * - a gc whose marking came before an object was written still deletes it (by its own clock, in
 *   the same second): so once the gc running at the end of a step is over, the step's new objects
 *   are checked (`requireStepObjects`), and what is missing is written again from the step's
 *   journal, identical (the step's date is fixed);
 * - a worktree index that names a lost object (which makes every later `git gc` of the user fail)
 *   is set back to the branch tip (`resetIndexToHead`, `repairIndex`); `agent doctor` finds one.
 */

/** An object a step wrote is gone, taken by a `git gc` most likely. */
export class MissingObjectsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MissingObjectsError';
  }
}

/** What git says when an object it was given, or one it reached, is not in the object database. */
const MISSING =
  /invalid object [0-7]+ [0-9a-f]+ for|is not a valid object|nonexistent object|bad object|bad tree object|unable to read (?:tree \(?)?[0-9a-f]{40,}|could not read [0-9a-f]{40,}|does not point to a valid object|missing (?:blob|tree|commit) object|failed to unpack tree object|unable to parse object|invalid sha1 pointer/i;

/** What git says when an object folder it was writing into was removed under it (prune removes empty ones). */
const FOLDER_GONE = /(?:unable to write|unable to create|failed to create|couldn't (?:write|create)).*no such file or directory/i;

/**
 * Whether a failure is what a concurrent gc does to a step: an object gone missing, or a write into
 * an object folder the gc removed. Writing the step again mends both; a full disk is not this.
 */
export function isGcLoss(error: unknown): boolean {
  if (error instanceof MissingObjectsError) return true;
  if (!(error instanceof GitError) || isDiskFull(error)) return false;
  return MISSING.test(error.stderr) || FOLDER_GONE.test(error.stderr);
}

/**
 * Waits until the `git gc` running in the repository (its gc.pid) is over, up to `timeoutMs`;
 * at once when none runs or the one named there is dead. A gc that starts later marks what the
 * step made reachable before it started, so it takes nothing of it.
 */
export async function gcSettled(commonDir: string, timeoutMs = 5000): Promise<void> {
  const file = join(commonDir, 'gc.pid');
  const running = readGcPid(file);
  if (running === undefined || !alive(running) || stale(file)) return;
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    await sleep(10);
    if (readGcPid(file) !== running) return;
  }
}

function readGcPid(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** As git decides it: a gc.pid older than 12 hours is left over (from a gc killed on another machine). */
function stale(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > 12 * 3600 * 1000;
  } catch {
    return true;
  }
}

/** gc.pid holds `<pid> <host>`: a process of this machine that no longer runs holds no gc. */
function alive(content: string): boolean {
  const [pid = '', host = ''] = content.split(' ');
  return host !== hostname() || !/^\d+$/.test(pid) || processRuns(Number(pid));
}

/** A committed step as far as its objects go: its commit on `parent`, and its note. */
export interface WrittenStep {
  commit: string;
  parent: string;
  note: NoteWrite;
}

/**
 * Throws MissingObjectsError unless every object the step added is there: its commit with the
 * trees and blobs its parent does not have, its notes commit with what the notes before it do not
 * have. One git process (rev-list), walking only what the step changed.
 */
export async function requireStepObjects(cwd: string, step: WrittenStep): Promise<void> {
  const args = ['rev-list', '--objects', '--no-object-names', '--missing=print', step.commit, step.note.commit, '--not', step.parent];
  if (step.note.before) args.push(step.note.before);
  let listed: string;
  try {
    listed = await gitOut(args, { cwd });
  } catch (error) {
    if (!isGcLoss(error)) throw error;
    throw new MissingObjectsError(`objects of step commit ${step.commit} are missing`, { cause: error });
  }
  const missing = listed.split('\n').filter((line) => line.startsWith('?'));
  if (missing.length > 0) {
    throw new MissingObjectsError(`objects of step commit ${step.commit} are missing: ${missing.map((line) => line.slice(1)).join(', ')}`);
  }
}

/**
 * The paths of a worktree's index whose blobs the object database does not have (gitlinks name
 * commits of another repository and are not looked for). Two git processes; reads only.
 */
export async function indexMissingObjects(worktree: string): Promise<string[]> {
  const listed = (await git(['ls-files', '-s', '-z'], { cwd: worktree })).stdout.split('\0').filter(Boolean);
  const entries = listed
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', blob = ''] = line.slice(0, tab).split(' ');
      return { mode, blob, path: line.slice(tab + 1) };
    })
    .filter((entry) => entry.mode !== '160000');
  if (entries.length === 0) return [];
  const answers = (
    await git(['cat-file', '--batch-check=%(objectname)'], { cwd: worktree, input: entries.map((e) => `${e.blob}\n`).join('') })
  ).stdout.split('\n');
  return entries.filter((_, i) => answers[i]?.endsWith(' missing')).map((entry) => entry.path);
}

/**
 * Sets a worktree's index to its branch tip (`read-tree HEAD`, then a refresh): no entry names a
 * lost object any more. The files stay as they are; what differs from the tip is a change again.
 */
export async function resetIndexToHead(worktree: string): Promise<void> {
  await git([...WORKTREE_CONFIG, 'read-tree', 'HEAD'], { cwd: worktree });
  await ask(refreshIndex(WORKTREE_CONFIG), { cwd: worktree });
}

/** On resume: an index that names lost objects is set to the branch tip. Returns the paths that named them. */
export async function repairIndex(worktree: string): Promise<string[]> {
  const missing = await indexMissingObjects(worktree);
  if (missing.length > 0) await resetIndexToHead(worktree);
  return missing;
}
