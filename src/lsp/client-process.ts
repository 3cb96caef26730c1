import { type ChildProcess, spawn } from 'node:child_process';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

/**
 * The server's process: spawned in its own process group (so a wrapper script's children go with
 * it), its stderr drained into a short tail for messages, and killed when hunkwise exits however it
 * exits. Nothing here speaks LSP beyond creating the connection.
 */

const detached = process.platform !== 'win32';
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

const isRunning = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/** Kills the process (and its group) at once. Safe to call on a process that has gone. */
export function killProcess(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    if (detached) process.kill(-pid, 'SIGKILL');
    else if (isRunning(child)) child.kill('SIGKILL');
  } catch {
    if (isRunning(child)) child.kill('SIGKILL');
  }
}

/** How a process ended ("exited with code 1", "was killed by SIGKILL") and the end of its stderr. */
export interface ExitInfo {
  how: string;
  stderr: string;
}

export const describeExit = (exit: ExitInfo): string => (exit.stderr ? `${exit.how}: ${exit.stderr}` : exit.how);

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly connection: MessageConnection;
  /** Resolves when the process has exited (or could not be started). */
  readonly exited: Promise<ExitInfo>;
  /** Rejects when the process could not be spawned (ENOENT, EACCES). */
  readonly spawnFailed: Promise<never>;
  stderrSummary(): string;
}

export function spawnServer(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): ServerProcess {
  const child = spawn(command, args, {
    cwd,
    env: env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached,
    windowsHide: true,
  });
  let head = '';
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (head.length < 2000) head = (head + chunk).slice(0, 2000);
    tail = (tail + chunk).slice(-2000);
  });
  child.stdin?.on('error', () => {});
  child.stdout?.on('error', () => {});
  // What the server said last, or its first error line when it ended with a backtrace.
  const stderrSummary = (): string => {
    const lines = [...head.split('\n'), ...tail.split('\n')].map((line) => line.trim()).filter(Boolean);
    const error = lines.find((line) => /^(error|fatal|panic)\b|^\w*(Error|Exception):/i.test(line));
    return (error ?? lines.at(-1) ?? '').slice(0, 300);
  };

  let onSpawnError: (error: Error) => void = () => {};
  const spawnFailed = new Promise<never>((_, reject) => {
    onSpawnError = reject;
  });
  spawnFailed.catch(() => {});
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (error) => {
      onSpawnError(error);
      resolve({ how: `could not be started (${error.message})`, stderr: '' });
    });
    child.once('exit', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      setImmediate(() => resolve({ how, stderr: stderrSummary() }));
    });
  });

  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const running of live) killProcess(running);
    });
  }

  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  connection.onError(() => {});
  return { child, connection, exited, spawnFailed, stderrSummary };
}

/** Waits for the process to exit for at most `ms`; true when it did. */
export async function waitForExit(server: ServerProcess, ms: number): Promise<boolean> {
  if (!isRunning(server.child)) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([server.exited.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}
