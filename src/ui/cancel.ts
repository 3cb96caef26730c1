/**
 * True when a prompt ended without an answer because the person pressed Ctrl-C (inquirer's
 * ExitPromptError) or the prompt's AbortSignal fired (AbortPromptError): the caller stops the task.
 * Compares names, not classes, so that checking costs no import of @inquirer at start-up.
 */
export function isPromptCancelled(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return ['ExitPromptError', 'AbortPromptError', 'CancelPromptError'].includes(err.name);
}
