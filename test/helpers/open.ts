import { afterEach } from 'vitest';

/** Something a test opens: a fake server (close) or a repository (cleanup). */
type Closable = { close(): Promise<void> } | { cleanup(): void };

/**
 * What the tests of a file open, closed after each test whatever the test got to, the last
 * opened first. `add` returns what it is given: `const server = open.add(await startFakeOllama())`.
 */
export function closeAfterEach(): { add<T extends Closable>(thing: T): T } {
  const opened: Closable[] = [];
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) {
      if ('close' in thing) await thing.close();
      else thing.cleanup();
    }
  });
  return {
    add(thing) {
      opened.push(thing);
      return thing;
    },
  };
}
