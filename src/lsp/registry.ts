import type { LspTimeouts, StartedLanguageClient } from './client-options.js';
import { findServer, findServerRoot, installHintOf, languageOf, type LspOverrides, type ServerSpec } from './servers.js';
import type { LanguageClient } from './types.js';
import { messageOf } from '../errors.js';
import { worktreeCompileCommands } from './compile-commands.js';

export interface LanguageServersOptions {
  /** The task's worktree: the paths asked about and answered are relative to it. */
  root: string;
  /** The user's checkout the worktree was made from, where generated files such as a compile_commands.json are. */
  checkout?: string;
  /** The config's `lsp` key. */
  overrides?: LspOverrides;
  /** A message for the user: a server missing, failing to start, or crashing. Each said once. */
  onNotice?: (message: string) => void;
  timeouts?: LspTimeouts;
  /** The servers' environment: the task's clean one, without provider keys and secret-looking variables. */
  env?: NodeJS.ProcessEnv;
  /**
   * Runs a server that runs the project's code in the command sandbox: its command line wrapped,
   * and what to do once it is stopped for good. Undefined where no sandbox runs.
   */
  confine?: (argv: string[]) => Promise<{ argv: string[]; cleanup: () => void } | undefined>;
}

export interface LanguageServers {
  /** The running server for the file's language, started at the first question; undefined when there is none. */
  forPath(path: string): Promise<LanguageClient | undefined>;
  started(): LanguageClient[];
  /** Stops every server (and any still starting); forPath answers undefined after it. */
  shutdownAll(): Promise<void>;
}

const fallback = (language: string): string =>
  `Until then the text tools (read_file, grep, edit_file) still work; the symbol tools and diagnostics are off for ${language} files.`;

/**
 * One language server per language for a task, started lazily: concurrent first questions share
 * one start, and a language whose server is missing or failed to start is never tried again (the
 * user is told once). A server that crashed twice counts as gone.
 */
export function createLanguageServers(options: LanguageServersOptions): LanguageServers {
  const starts = new Map<string, Promise<StartedLanguageClient | undefined>>();
  const clients: StartedLanguageClient[] = [];
  const gone = new Set<string>();
  let closed = false;
  const notice = (message: string): void => {
    try {
      options.onNotice?.(message);
    } catch {
      // A view that fails to show a notice must not stop the task.
    }
  };

  const cleanups: (() => void)[] = [];
  /** Each language's server as found (or undefined, said once), before any is started. */
  const specs = new Map<string, Promise<ServerSpec | undefined>>();
  function specOf(language: string): Promise<ServerSpec | undefined> {
    let found = specs.get(language);
    if (!found) {
      found = findServer(language, options.overrides, options.root).then((spec) => {
        if (!spec) {
          const configured = options.overrides?.[language];
          const hint = configured
            ? `its configured command ${configured.command} was not found. Fix "lsp.${language}.command" in your config (a program on PATH, or a path from the repository root).`
            : `no server was found. ${installHintOf(language)}`;
          notice(`No ${language} language server: ${hint} ${fallback(language)}`);
        }
        return spec;
      });
      specs.set(language, found);
    }
    return found;
  }

  async function start(language: string, found: ServerSpec, serverRoot: string, path: string, key: string): Promise<StartedLanguageClient | undefined> {
    const spec = found.runsProjectCode ? await confined(withCompileCommands(found)) : withCompileCommands(found);
    try {
      // Loaded at the first start: a task that never asks a language server never loads the client.
      const { startLanguageServer } = await import('./client.js');
      const client = await startLanguageServer({
        language,
        command: spec.command,
        args: spec.args,
        root: options.root,
        ...(options.checkout ? { checkout: options.checkout } : {}),
        serverRoot,
        ...(spec.settings ? { settings: spec.settings } : {}),
        ...(spec.readyLog ? { readyLog: spec.readyLog } : {}),
        seedPaths: [path],
        installHint: spec.installHint,
        ...(spec.openFilesIndex ? { openFilesIndex: true } : {}),
        onCrash: (message, final) => {
          if (final) gone.add(key);
          const check = `If it keeps crashing, check it outside hunkwise (agent doctor shows the command), or turn it off with "lsp": { "${language}": false }.`;
          notice(final ? `${message} The text tools (read_file, grep, edit_file) still work. ${check}` : message);
        },
        ...(options.timeouts ? { timeouts: options.timeouts } : {}),
        ...(options.env ? { env: options.env } : {}),
      });
      if (closed) {
        await client.shutdown();
        return undefined;
      }
      clients.push(client);
      return client;
    } catch (error) {
      notice(`${messageOf(error)} ${fallback(language)}`);
      return undefined;
    }
  }

  /** clangd pointed at the checkout's compile_commands.json, its paths moved into the worktree. */
  function withCompileCommands(spec: ServerSpec): ServerSpec {
    if (!spec.compileCommands || !options.checkout) return spec;
    const commands = worktreeCompileCommands(options.checkout, options.root);
    if (!commands) return spec;
    cleanups.push(commands.cleanup);
    return { ...spec, args: [...spec.args, `--compile-commands-dir=${commands.dir}`] };
  }

  /** The spec with its command line in the sandbox, when one runs; its private folder kept to the end. */
  async function confined(spec: ServerSpec): Promise<ServerSpec> {
    const wrapped = await options.confine?.([spec.command, ...spec.args]);
    if (!wrapped) return spec;
    cleanups.push(wrapped.cleanup);
    const [command = spec.command, ...args] = wrapped.argv;
    return { ...spec, command, args };
  }

  return {
    async forPath(path) {
      const language = languageOf(path, options.overrides);
      if (closed || !language || options.overrides?.[language] === false) return undefined;
      const spec = await specOf(language);
      if (!spec || closed) return undefined;
      // A server per project where it reads the project from its root (pyright, gopls); one for
      // the whole worktree where it follows each file's own project itself (TypeScript, clangd).
      const serverRoot = findServerRoot(path, options.root, spec.rootMarkers);
      const key = spec.perProject ? `${language}\0${serverRoot}` : language;
      if (gone.has(key)) return undefined;
      let starting = starts.get(key);
      if (!starting) {
        starting = start(language, spec, serverRoot, path, key);
        starts.set(key, starting);
      }
      const client = await starting;
      return closed || gone.has(key) ? undefined : client;
    },
    started: () => [...clients],
    async shutdownAll() {
      closed = true;
      await Promise.allSettled(starts.values());
      await Promise.allSettled(clients.map((client) => client.shutdown()));
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
  };
}
