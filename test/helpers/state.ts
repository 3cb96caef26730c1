import { afterEach } from 'vitest';

/** What a test opens: closed after each test, whatever the test got to. */
export interface TestState {
  server?: { close(): Promise<void> };
  repo?: { cleanup(): void };
  /** A pseudo-terminal (helpers/pty.ts), killed. */
  pty?: { kill(signal?: string): void };
}

/** The state of a file of tests, with the afterEach that kills the terminal and closes the rest. */
export function testState(): TestState {
  const state: TestState = {};
  afterEach(async () => {
    state.pty?.kill('SIGKILL');
    await state.server?.close();
    state.repo?.cleanup();
    state.pty = undefined;
    state.server = undefined;
    state.repo = undefined;
  });
  return state;
}
