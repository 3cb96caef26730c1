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

export const usageError = (message: string, hint?: string): AgentError =>
  new AgentError(message, { kind: 'usage', hint });

export const exitCodeOf = (kind: ErrorKind): number =>
  kind === 'usage' ? 2 : kind === 'interrupted' ? 130 : 1;
