import { spawnSync } from 'node:child_process';

/**
 * The programs only some tests need (the shells of the completion tests, the language servers of
 * Go and C), with the Debian package that brings each. A missing one skips its tests, named in
 * their titles and at the start of the run, unless HUNKWISE_TEST_TOOLS=required (as .ci/run sets
 * it): then it is a failure.
 */
export const OPTIONAL_TOOLS: Record<string, string> = { zsh: 'zsh', fish: 'fish', gopls: 'gopls golang-go', clangd: 'clangd' };

export const installed = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** Whether `command` is here; throws when it is not and the run requires it. */
export function toolHere(command: string): boolean {
  const found = installed(command);
  if (!found && process.env.HUNKWISE_TEST_TOOLS === 'required') {
    throw new Error(`${command} is not installed, and HUNKWISE_TEST_TOOLS=required: install it (apt-get install ${OPTIONAL_TOOLS[command] ?? command}).`);
  }
  return found;
}

/** What a test's title says when `command` is missing: that it is skipped, and what to install. */
export const missingNote = (command: string): string =>
  toolHere(command) ? '' : ` (skipped: ${command} is not installed; apt-get install ${OPTIONAL_TOOLS[command] ?? command} to run it)`;
