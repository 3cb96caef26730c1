import type { IPty } from '@lydell/node-pty';
import { spawn } from '@lydell/node-pty';
import xterm from '@xterm/headless';

/**
 * A program in a real pseudo-terminal, its output fed into a headless xterm so tests can read the
 * screen as a person would see it (colours, cursor moves and erased lines applied). Waits poll the
 * terminal only after every write so far has been parsed (xterm's write callback).
 */

export interface PtyOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  cols?: number;
  rows?: number;
}

export interface PtyExit {
  exitCode: number;
  signal?: number;
}

export interface PtySession {
  /** The visible screen, one line per row, trailing spaces and trailing empty rows trimmed. */
  screen(): string;
  /** Everything the program wrote so far, escape codes included. */
  output(): string;
  /** Sends keys as typed: "y", "\r" for Enter, "\x1b[B" for arrow down, "\x03" for Ctrl-C. */
  type(keys: string): void;
  /** Resolves once the screen matches; rejects with the screen in the message after `timeoutMs`. */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<PtyExit>;
  kill(signal?: string): void;
}

export const DEFAULT_TIMEOUT_MS = 20_000;
const POLL_MS = 25;

export function spawnPty(command: string, args: string[], options: PtyOptions): PtySession {
  const cols = options.cols ?? 100;
  const rows = options.rows ?? 40;
  const term = new xterm.Terminal({ cols, rows, scrollback: 5000, allowProposedApi: true });
  const env = Object.fromEntries(
    Object.entries({ TERM: 'xterm-256color', ...options.env }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  const child: IPty = spawn(command, args, { name: 'xterm-256color', cols, rows, cwd: options.cwd, env });
  let raw = '';
  let pending = 0;
  let flushed: Array<() => void> = [];
  child.onData((data) => {
    raw += data;
    pending += 1;
    term.write(data, () => {
      pending -= 1;
      if (pending === 0) {
        const waiting = flushed;
        flushed = [];
        for (const resolve of waiting) resolve();
      }
    });
  });
  const exited = new Promise<PtyExit>((resolve) => {
    child.onExit(({ exitCode, signal }) => resolve(signal ? { exitCode, signal } : { exitCode }));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const settled = (): Promise<void> =>
    pending === 0 ? Promise.resolve() : new Promise((resolve) => flushed.push(resolve));

  const screen = (): string => {
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < term.rows; y++) {
      lines.push((buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '').trimEnd());
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n');
  };

  const matches = (pattern: string | RegExp): boolean => {
    const text = screen();
    return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
  };

  const waitFor = async (pattern: string | RegExp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await settled();
      if (matches(pattern)) return;
      if (Date.now() > deadline) {
        const state = done ? ' (the program has exited)' : '';
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}${state}; screen:\n${screen()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  return {
    screen,
    output: () => raw,
    type: (keys) => child.write(keys),
    waitFor,
    exited,
    kill: (signal) => {
      if (!done) child.kill(signal);
    },
  };
}
