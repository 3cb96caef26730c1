import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Locality, ThinkSetting } from '../task-model.js';
import { byCodeUnits } from '../order.js';
import type { ModelUsage } from './trailers.js';

/**
 * Task state that must outlive the process, kept in the repository's git directory
 * (`.git/hunkwise/tasks/<id>/`): nothing of it is in the user's working tree or index.
 * Every write is atomic (write a temporary file, then rename), so a kill leaves the old or the
 * new state, never half of one.
 */

export type TaskStatus = 'active' | 'ready' | 'merged' | 'aborted';

/** A task that is over, merged or aborted: nothing more is done in it (an open one is active or ready). */
export const isClosed = (task: { status: string }): boolean => task.status === 'merged' || task.status === 'aborted';

export interface TaskRecord {
  id: string;
  branch: string;
  instruction: string;
  /** The ref the task started from (e.g. `main`) and its commit then. */
  base: { ref: string; commit: string };
  /** The first commit of the task branch, which records the task; empty until the branch is made. */
  root: string;
  /** `provider/model` of every model the task used, the first one first. */
  models: string[];
  locality: Locality;
  worktree: string;
  status: TaskStatus;
  /** Step commits so far (Agent-Step of the last one). */
  steps: number;
  numCtx?: number;
  /** A command started and its result is not kept yet: stopped now, whether it ran is unknown. */
  commandStarted?: boolean;
  /** The `think` sent on every request of the task, decided at its start; absent: not sent. */
  think?: ThinkSetting;
  /** Reads and commands the user allowed for the rest of this task. */
  allowances?: { class: 'read' | 'run'; pattern: string; network?: boolean }[];
  /** Index of the first message not yet in a step's git note. */
  noteFrom?: number;
  /** What the model used since the last step: the next step's Agent-Usage trailer. */
  usage?: ModelUsage;
  /** `text` when the model's tools are described in the prompt (it does not call tools natively). */
  toolProtocol?: 'native' | 'text';
  /** Indexes of conversation messages shortened to fit the context window (they stay shortened). */
  shortened?: number[];
  createdAt: string;
  updatedAt: string;
}

export const tasksDir = (commonDir: string): string => join(commonDir, 'hunkwise', 'tasks');
export const taskDir = (commonDir: string, id: string): string => join(tasksDir(commonDir), id);

export function newTaskId(taken: (id: string) => boolean): string {
  for (;;) {
    const id = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);
    if (!taken(id)) return id;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes a file whole or not at all: into a temporary file beside it (`tmp`, by default named
 * after this process), then renamed over it. A failed write (the disk full) removes the temporary
 * file and leaves the old file as it was; the error names the file. `mode` sets the new file's
 * permission bits.
 */
export function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  { mode, tmp = `${file}.${process.pid}.tmp` }: { mode?: number; tmp?: string } = {},
): void {
  try {
    writeFileSync(tmp, content, mode === undefined ? {} : { mode });
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    if (error instanceof Error && !(error as NodeJS.ErrnoException).path) Object.assign(error, { path: file });
    throw error;
  }
}

export function saveTask(commonDir: string, record: TaskRecord): void {
  const dir = taskDir(commonDir, record.id);
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, 'task.json'), { ...record, updatedAt: new Date().toISOString() });
}

export function loadTask(commonDir: string, id: string): TaskRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(taskDir(commonDir, id), 'task.json'), 'utf8')) as TaskRecord;
  } catch {
    return undefined;
  }
}

/** Every task of the repository, oldest first. */
export function loadTasks(commonDir: string): TaskRecord[] {
  let ids: string[];
  try {
    ids = readdirSync(tasksDir(commonDir));
  } catch {
    return [];
  }
  return ids
    .map((id) => loadTask(commonDir, id))
    .filter((task): task is TaskRecord => task !== undefined)
    .sort((a, b) => byCodeUnits(a.createdAt, b.createdAt));
}

/** Appends one JSON value as a line; a torn last line (killed mid-write) is skipped on reading. */
export function appendJsonLine(file: string, value: unknown): void {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // A new file.
  }
  try {
    appendFileSync(file, `${JSON.stringify(value)}\n`);
  } catch (error) {
    // A line cut by a failed write (the disk full) is taken back, so the file ends on a whole line.
    try {
      truncateSync(file, size);
    } catch {
      // Nothing was written.
    }
    if (error instanceof Error && !(error as NodeJS.ErrnoException).path) Object.assign(error, { path: file });
    throw error;
  }
}

export function readJsonLines<T>(file: string): T[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const values: T[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      values.push(JSON.parse(line) as T);
    } catch {
      // A line cut by a kill mid-write: everything before it is whole.
    }
  }
  return values;
}

/** Cuts a torn last line (a kill in the middle of an append), so that appends start on a new line. */
export function repairJsonLines(file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  if (text === '' || text.endsWith('\n')) return;
  truncateSync(file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
}
