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

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly connection: MessageConnection;
  /** Resolves when the process has exited, with a description ("exited with code 1: <stderr>"). */
  readonly exited: Promise<string>;
  /** Rejects when the process could not be spawned (ENOENT, EACCES). */
  readonly spawnFailed: Promise<never>;
  stderrTail(): string;
}

export function spawnServer(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): ServerProcess {
  const child = spawn(command, args, {
    cwd,
    env: env ? { ...process.env, ...env } : process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached,
    windowsHide: true,
  });
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-2000);
  });
  child.stdin?.on('error', () => {});
  child.stdout?.on('error', () => {});
  const stderrTail = (): string => tail.trim().split('\n').slice(-5).join('\n');

  let onSpawnError: (error: Error) => void = () => {};
  const spawnFailed = new Promise<never>((_, reject) => {
    onSpawnError = reject;
  });
  spawnFailed.catch(() => {});
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => {
      onSpawnError(error);
      resolve(`could not be started: ${error.message}`);
    });
    child.once('exit', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      setImmediate(() => resolve(stderrTail() ? `${how}: ${stderrTail()}` : how));
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
  return { child, connection, exited, spawnFailed, stderrTail };
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
