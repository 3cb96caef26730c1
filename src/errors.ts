/**
 * Errors meant for a person. Layers below the CLI throw (or return) these; only src/cli.ts turns
 * them into a message and an exit code. `message` says what happened, `hint` what to run next.
 */
export type ErrorKind = 'usage' | 'failed' | 'interrupted';

export class AgentError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; kind?: ErrorKind; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AgentError';
    this.kind = options.kind ?? 'failed';
    this.hint = options.hint;
  }
}

/**
 * A fault that stops a task whatever the model would do next (the disk full, the worktree deleted
 * by hand): the loop does not hand it to the model as a failed tool call, it ends the task.
 */
export class TaskFault extends AgentError {}

/** What an error says, whatever was thrown. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const usageError = (message: string, hint?: string): AgentError =>
  new AgentError(message, { kind: 'usage', hint });

export const exitCodeOf = (kind: ErrorKind): number =>
  kind === 'usage' ? 2 : kind === 'interrupted' ? 130 : 1;

const GIT_DISK_FULL = /no space left on device|disk quota exceeded|out of diskspace|couldn't write '.*\.lock'/i;

/**
 * Whether an error is the file system saying it is full (or that the user's quota is used up):
 * Node's ENOSPC or EDQUOT, or git's messages for it, on the error or one of its causes. git says
 * "No space left on device" where it reports errno, "Out of diskspace" when it writes an index,
 * and only "couldn't write '<file>.lock'" when a ref cannot be written.
 */
export function isDiskFull(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, stderr, cause } = current as { code?: unknown; stderr?: unknown; cause?: unknown };
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
    if (typeof stderr === 'string' && GIT_DISK_FULL.test(stderr)) return true;
    current = cause;
  }
  return false;
}

/** What was being written when the disk filled up, for a person: a file, or a git command. */
export function whereDiskFull(error: unknown): string {
  const { path, subcommand } = (error ?? {}) as { path?: unknown; subcommand?: unknown };
  if (typeof path === 'string') return `writing ${path}`;
  if (typeof subcommand === 'string' && subcommand) return `in git ${subcommand}`;
  return 'writing a file';
}
