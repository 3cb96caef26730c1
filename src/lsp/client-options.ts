import type { ServerCapabilities } from 'vscode-languageserver-protocol';
import type { LanguageClient } from './types.js';
import { messageOf } from '../errors.js';

/** The options of startLanguageServer (./client.ts), what it returns, and how it says it failed. */

export interface LspTimeouts {
  /** Every request (default 15 s); a request past it rejects with an LspError naming its method. */
  requestMs?: number;
  /** The cap of `ready()` (default 20 s). */
  readyMs?: number;
  /** How long `diagnostics()` waits for a report (default 10 s) before it answers `timeout`. */
  diagnosticsMs?: number;
  /** Quiet time after the start or the last progress before `ready()` says yes (default 250 ms). */
  settleMs?: number;
}

export interface LanguageServerOptions {
  /** The registry's name for it: `typescript`, `python`... */
  language: string;
  command: string;
  args: string[];
  /** The workspace: the paths given and returned are relative to it. */
  root: string;
  /** The user's checkout the worktree was made from: its files linked into the worktree are answered by their worktree paths. */
  checkout?: string;
  /** The folder the server is started on (its rootUri), when not `root`. */
  serverRoot?: string;
  /** The server's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  initializationOptions?: unknown;
  /** Answers to the server's `workspace/configuration`, by section. */
  settings?: Record<string, unknown>;
  /** The server knows only the files it is told of and its own index lists (see ServerSpec). */
  openFilesIndex?: boolean;
  /** A log line that says the server has loaded the project, for servers without progress (pyright). */
  readyLog?: RegExp;
  /** Files opened and closed at start so that project-based servers load the project. */
  seedPaths?: string[];
  /** What to tell the user to do when the server cannot start. */
  installHint?: string;
  /** Told of each crash, with a message for a person: restarted, or off for good (`final`). */
  onCrash?: (message: string, final: boolean) => void;
  timeouts?: LspTimeouts;
}

/** The handle, plus what tests and the registry want to see of it. */
export interface StartedLanguageClient extends LanguageClient {
  /** The current server process; another one after a restart. */
  readonly pid: number | undefined;
  readonly capabilities: ServerCapabilities;
}

/** Why a start failed, for a person: "gopls was not found" rather than "spawn gopls ENOENT". */
export function reasonOf(error: unknown, options: { language: string; command: string }): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
  if (code === 'ENOENT') return `${options.command} was not found`;
  if (code === 'EACCES') return `${options.command} is not executable`;
  const message = messageOf(error);
  return message.replace(`The ${options.language} language server `, '').replace(/\.$/, '');
}

export function startFailure(options: LanguageServerOptions, error: unknown): string {
  const commandLine = [options.command, ...options.args].join(' ');
  const hint = options.installHint ??
    `Install it, or set the command in the "lsp" section of the config ("lsp": { "${options.language}": { "command": ... } }, or false to turn it off).`;
  return `The ${options.language} language server could not be started (${commandLine}): ${reasonOf(error, options)}. ${hint}`;
}
