import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ApprovedFile } from '../git/commit-step.js';
import { taskDir, writeJsonAtomic } from '../git/task-store.js';

/**
 * The journal of the step being committed: written after the user approved and before anything
 * is written, removed once the step's result is in the conversation. A task killed anywhere in
 * between finds it on resume and completes the step from it: nothing approved is lost, and the
 * step is not made twice.
 */
export interface StepJournal {
  step: number;
  branch: string;
  parent: string;
  files: ApprovedFile[];
  message: string;
  note: string;
  /**
   * The step commit's date (`<seconds> <+hhmm>`), fixed when it was approved: made again from the
   * journal, the commit is the same object. Absent in journals of older versions.
   */
  date?: string;
  /** The tool result the model gets for the call that made this step. */
  outcome: string;
  /** The action, for the step_committed event. */
  action: string;
  approved: number;
  refused: number;
  /** Paths of the proposal that were refused whole: restored to the branch tip. */
  restore: string[];
}

const journalFile = (commonDir: string, taskId: string): string => join(taskDir(commonDir, taskId), 'journal.json');

export function writeJournal(commonDir: string, taskId: string, journal: StepJournal): void {
  writeJsonAtomic(journalFile(commonDir, taskId), journal);
}

export function readJournal(commonDir: string, taskId: string): StepJournal | undefined {
  try {
    return JSON.parse(readFileSync(journalFile(commonDir, taskId), 'utf8')) as StepJournal;
  } catch {
    return undefined;
  }
}

export function clearJournal(commonDir: string, taskId: string): void {
  rmSync(journalFile(commonDir, taskId), { force: true });
}
