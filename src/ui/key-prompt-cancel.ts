/**
 * Telling a cancelled prompt from a failure, without loading `@inquirer` (the CLI imports this at
 * start-up; the prompts themselves load at the first question).
 */

/** Names of inquirer's errors for a prompt that ended without an answer. */
const CANCELLED = new Set(['ExitPromptError', 'AbortPromptError', 'CancelPromptError']);

/**
 * True when a prompt ended without an answer because the person pressed Ctrl-C (inquirer's
 * ExitPromptError) or the prompt's AbortSignal fired (AbortPromptError): the caller stops the task;
 * `signal.aborted` tells the two apart. Compares names, not classes, so errors from another copy of
 * `@inquirer/core` count too.
 */
export function isPromptCancelled(err: unknown): boolean {
  return err instanceof Error && CANCELLED.has(err.name);
}
