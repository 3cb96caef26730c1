import type { Locality } from '../task-model.js';

/**
 * The audit trailers of task commits (SPEC section 3), written and read back. Values are kept to one
 * line so that `git log --format='%(trailers)'` and git's own trailer parsing read them as written.
 */

export interface StepAudit {
  task: string;
  step: number;
  model: string;
  locality: Locality;
  action: string;
  approved: number;
  refused: number;
  /** What the model used in the turns that led to the step; absent when none was counted. */
  usage?: ModelUsage;
  /** Each refused hunk, `src/a.ts hunk 2/3: the reason` (an `Agent-Refused` trailer each). */
  refusals?: string[];
}

/** The model's work over some turns: tokens it read (the prompts) and wrote, and the time the turns took. */
export interface ModelUsage {
  promptTokens: number;
  generatedTokens: number;
  ms: number;
}

export const addUsage = (a: ModelUsage | undefined, b: ModelUsage): ModelUsage => ({
  promptTokens: (a?.promptTokens ?? 0) + b.promptTokens,
  generatedTokens: (a?.generatedTokens ?? 0) + b.generatedTokens,
  ms: (a?.ms ?? 0) + b.ms,
});

const oneLine = (value: string): string => value.replace(/\s*[\r\n]+\s*/g, ' ').trim();

/** Control characters but tab and newline: C0, DEL and C1. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text from the model (or anyone) made fit for a commit message or a note: git refuses a NUL in a
 * message ("a NUL byte in commit log message not allowed"), and an escape sequence would act on
 * the terminal of whoever runs `git log`. Each control character but tab and newline is written
 * out as `\xNN`.
 */
export const gitMessageText = (text: string): string =>
  text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

const clip = (value: string, max: number): string => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

/** More refusal trailers than this would bury the log: the rest are counted. */
const MAX_REFUSED_TRAILERS = 20;

export function stepCommitMessage(audit: StepAudit, explanation: string): string {
  // A proposal refused whole is a step of its own in the log, with nothing changed.
  const refusedWhole = audit.approved === 0 && audit.refused > 0;
  const subject = clip(`agent step ${audit.step}: ${refusedWhole ? 'refused: ' : ''}${oneLine(audit.action)}`, 72);
  const refusals = audit.refusals ?? [];
  const refusedTrailers = refusals.slice(0, MAX_REFUSED_TRAILERS).map((refusal) => `Agent-Refused: ${oneLine(refusal)}`);
  if (refusals.length > MAX_REFUSED_TRAILERS) refusedTrailers.push(`Agent-Refused: and ${refusals.length - MAX_REFUSED_TRAILERS} more hunks`);
  const body = explanation.trim() ? `${explanation.trim()}\n\n` : '';
  return gitMessageText(`${subject}\n\n${body}${[
    `Agent-Task: ${audit.task}`,
    `Agent-Step: ${audit.step}`,
    `Agent-Model: ${audit.model}`,
    `Agent-Locality: ${audit.locality}`,
    `Agent-Action: ${oneLine(audit.action)}`,
    `Agent-Hunks: ${audit.approved} approved, ${audit.refused} refused`,
    ...refusedTrailers,
    ...(audit.usage ? [`Agent-Usage: ${usageText(audit.usage)}`] : []),
  ].join('\n')}\n`);
}

const usageText = (u: ModelUsage): string =>
  `${Math.round(u.promptTokens)} prompt tokens, ${Math.round(u.generatedTokens)} generated, ${(u.ms / 1000).toFixed(1)} s`;

/** `Agent-Usage: 5120 prompt tokens, 230 generated, 41.2 s` → the usage; undefined when absent or malformed. */
export function parseUsage(value: string | undefined): ModelUsage | undefined {
  const match = /^(\d+) prompt tokens, (\d+) generated, (\d+(?:\.\d+)?) s$/.exec(value?.trim() ?? '');
  if (!match) return undefined;
  return { promptTokens: Number(match[1]), generatedTokens: Number(match[2]), ms: Math.round(Number(match[3]) * 1000) };
}

export interface TaskAudit {
  task: string;
  instruction: string;
  model: string;
  locality: Locality;
  baseRef: string;
  baseCommit: string;
}

export function taskCommitMessage(audit: TaskAudit): string {
  const subject = clip(`agent task: ${oneLine(audit.instruction)}`, 72);
  return gitMessageText(`${subject}\n\n${audit.instruction.trim()}\n\n${[
    `Agent-Task: ${audit.task}`,
    'Agent-Step: 0',
    `Agent-Model: ${audit.model}`,
    `Agent-Locality: ${audit.locality}`,
    `Agent-Base: ${oneLine(audit.baseRef)} ${audit.baseCommit}`,
    'Agent-Action: task',
  ].join('\n')}\n`);
}

/** A commit of a task branch as `git log` gives it, trailers parsed. */
export interface AuditedCommit {
  commit: string;
  subject: string;
  date: string;
  trailers: Record<string, string>;
}

/** `git log` format for parseAuditLog: fields split by NUL, records by RS, trailers by SOH. */
export const AUDIT_LOG_FORMAT = '--format=%H%x00%s%x00%aI%x00%(trailers:unfold,separator=%x01)%x1e';

export function parseAuditLog(output: string): AuditedCommit[] {
  return output
    .split('\x1e')
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record.length > 0)
    .map((record) => {
      const [commit = '', subject = '', date = '', trailerText = ''] = record.split('\x00');
      const trailers: Record<string, string> = {};
      for (const line of trailerText.split('\x01')) {
        const colon = line.indexOf(':');
        if (colon > 0) trailers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
      return { commit, subject, date, trailers };
    });
}

/** `Agent-Hunks: 2 approved, 1 refused` → counts; zeros when absent or malformed. */
export function parseHunkCounts(value: string | undefined): { approved: number; refused: number } {
  const match = /(\d+) approved, (\d+) refused/.exec(value ?? '');
  return { approved: Number(match?.[1] ?? 0), refused: Number(match?.[2] ?? 0) };
}
