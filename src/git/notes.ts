import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDiskFull } from '../errors.js';
import { processRuns } from '../process-runs.js';
import { git, GitError, gitOut } from './exec.js';
import { ask, commitAndParent, deleteRef, EXIT } from './queries.js';

/**
 * The notes of step commits (the conversation behind each step) under refs/notes/hunkwise, written
 * with compare-and-swap: several tasks of one repository, each in its own process, add notes at
 * once, and `git notes add` alone moves the ref without looking at what it held, so a note made on
 * an older tip would drop the notes other tasks added meanwhile.
 */

export const NOTES_REF = 'refs/notes/hunkwise';

/** What an added note did to the notes ref: the notes commit it made and the tip it was made on. */
export interface NoteWrite {
  /** The notes commit holding the note. */
  commit: string;
  /** The notes tip it was made on; '' when there were no notes yet. */
  before: string;
}

export interface NoteOptions {
  /**
   * The notes commit's date (`<seconds> <+hhmm>`), so that the same note on the same tip is the same
   * notes commit: its objects can be written again, identical, after a `git gc` took them.
   */
  date?: string;
}

/**
 * Tries before a note is given up: enough for several tasks writing notes at once on a loaded
 * machine (12 were not: four tasks of 40 steps each under a full test run lost one), each wait
 * random up to a cap, so the writers spread out.
 */
const ATTEMPTS = 40;
const MAX_WAIT_MS = 400;

/**
 * Adds (or replaces) the note of `commit`. The notes commit is made on a ref of this call's own
 * (refs/notes/hunkwise-tmp/<pid>-<random>: `git notes` writes only under refs/notes/) set to the
 * notes tip, then the notes ref moves to it only if it still holds that tip. When another process
 * moved it meanwhile, the note is made again on the new tip, after a short random wait, up to 40
 * times. Four git processes when nothing competes: update-ref, notes, log, update-ref.
 */
export async function addNote(cwd: string, commit: string, note: string, options: NoteOptions = {}): Promise<NoteWrite> {
  const temp = `${NOTES_REF}-tmp/${process.pid}-${randomBytes(4).toString('hex')}`;
  let last: GitError | undefined;
  try {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (attempt > 1) await sleep(Math.random() * Math.min(MAX_WAIT_MS, 5 * 2 ** attempt));
      // The tip read and the notes commit's parent are one and the same: the temporary ref's value.
      const start = await git(['update-ref', '--no-deref', temp, NOTES_REF], { cwd, okCodes: [EXIT.fatal] });
      if (start.code !== 0 && !/not a valid SHA1/i.test(start.stderr)) {
        last = new GitError(['update-ref', '--no-deref', temp, NOTES_REF], start.code, start.stderr);
        if (retryable(last)) continue;
        throw last;
      }
      // No notes yet: the notes commit is a root, so the temporary ref must not hold an earlier attempt's.
      if (start.code !== 0 && attempt > 1) await ask(deleteRef(temp), { cwd });
      await git(['notes', `--ref=${temp}`, 'add', '-f', '-F', '-', commit], { cwd, input: note, env: dated(options.date) });
      // The notes commit and its parent (none when it is the first): a gc that took it says "bad object".
      const { commit: made, parent: before } = await ask(commitAndParent(temp), { cwd });
      // Any id of the repository's length (SHA-1 or SHA-256) of zeros: the ref must not exist yet.
      const expected = before || '0'.repeat(made.length);
      const swap = await git(['update-ref', '--stdin'], {
        cwd,
        input: `update ${NOTES_REF} ${made} ${expected}\ndelete ${temp} ${made}\n`,
        okCodes: [EXIT.fatal],
      });
      if (swap.code === 0) return { commit: made, before };
      last = new GitError(['update-ref', '--stdin'], swap.code, swap.stderr);
      if (!retryable(last)) throw last;
    }
  } catch (error) {
    await ask(deleteRef(temp), { cwd }).catch(() => {});
    throw error;
  }
  await ask(deleteRef(temp), { cwd }).catch(() => {});
  throw new Error(
    `the note of ${commit} could not be added: ${NOTES_REF} kept moving (${ATTEMPTS} attempts; other tasks write notes too)`,
    { cause: last },
  );
}

/**
 * A ref update worth trying again: another process moved the ref or holds its lock (another
 * task's note, a `git gc` packing refs), or a gc took the notes commit just made.
 */
const retryable = (error: GitError): boolean => !isDiskFull(error) && /cannot lock ref|nonexistent object/i.test(error.stderr);

/**
 * Writes the objects of a note added before (its blob, trees and notes commit) again, without
 * moving any ref: the same note on the same tip with the same date is the same notes commit.
 * Returns the notes commit made, which is `written.commit` unless something differs.
 */
export async function rewriteNote(cwd: string, commit: string, note: string, written: NoteWrite, options: NoteOptions = {}): Promise<string> {
  const temp = `${NOTES_REF}-tmp/${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    if (written.before) await git(['update-ref', '--no-deref', temp, written.before], { cwd });
    await git(['notes', `--ref=${temp}`, 'add', '-f', '-F', '-', commit], { cwd, input: note, env: dated(options.date) });
    return await gitOut(['rev-parse', temp], { cwd });
  } finally {
    await ask(deleteRef(temp), { cwd }).catch(() => {});
  }
}

/** The author and committer date of a commit, unless the user's environment sets them. */
export function dated(date: string | undefined): Record<string, string> {
  if (!date) return {};
  return {
    GIT_AUTHOR_DATE: process.env.GIT_AUTHOR_DATE ?? date,
    GIT_COMMITTER_DATE: process.env.GIT_COMMITTER_DATE ?? date,
  };
}

/** A date as git writes it in a commit: seconds since the epoch and the local offset, `1700000000 +0100`. */
export function gitDate(at: Date): string {
  const offset = -at.getTimezoneOffset();
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${Math.floor(at.getTime() / 1000)} ${zone}`;
}

/**
 * Deletes the temporary notes refs of processes that no longer run (a task killed while it added a
 * note). One git process when there are none.
 */
export async function pruneNoteTemps(cwd: string): Promise<void> {
  const refs = (await gitOut(['for-each-ref', '--format=%(refname)', `${NOTES_REF}-tmp/`], { cwd })).split('\n').filter(Boolean);
  const dead = refs.filter((ref) => {
    const pid = Number(ref.slice(ref.lastIndexOf('/') + 1).split('-')[0]);
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processRuns(pid);
  });
  if (dead.length > 0) await git(['update-ref', '--stdin'], { cwd, input: dead.map((ref) => `delete ${ref}\n`).join('') });
}
