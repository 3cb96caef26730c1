import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import {
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  type NotificationType,
  type PublishDiagnosticsParams,
  type RequestParam,
  type RequestType,
  type ServerCapabilities,
  ShutdownRequest,
} from 'vscode-languageserver-protocol';
import { answerServer, CAPABILITIES } from './client-answers.js';
import { describeExit, type ExitInfo, killProcess, type ServerProcess, spawnServer, waitForExit } from './client-process.js';
import { ProgressTracker } from './client-progress.js';
import { LspError } from './types.js';
import { messageOf } from '../errors.js';

/** One run of a server process: initialized, answering the server's own requests, stopped once. */

export interface SessionOptions {
  language: string;
  command: string;
  args: string[];
  /** The folder the server is started on (real path): its rootUri and working directory. */
  serverRoot: string;
  env?: NodeJS.ProcessEnv;
  initializationOptions?: unknown;
  /** Answers to `workspace/configuration`, by section ('js/ts', 'python.analysis'); null where absent. */
  settings?: Record<string, unknown>;
  requestMs: number;
  readyLog?: RegExp;
  onPublish(params: PublishDiagnosticsParams): void;
  /** The process exited while nobody was stopping it; never called for a session that failed to start. */
  onUnexpectedExit(description: string): void;
}

/** A request that got no answer in time; `method` names it. */
export class LspTimeoutError extends LspError {
  constructor(readonly language: string, readonly method: string, readonly ms: number) {
    super(`The ${language} language server did not answer ${method} within ${ms} ms.`);
  }
}

export class ServerSession {
  capabilities: ServerCapabilities = {};
  readonly progress: ProgressTracker;
  private stopping: Promise<void> | undefined;
  private exitedAs: string | undefined;
  private readonly pending = new Set<(exit: ExitInfo) => void>();

  private constructor(private readonly server: ServerProcess, private readonly o: SessionOptions) {
    this.progress = new ProgressTracker(o.readyLog);
  }

  get pid(): number | undefined {
    return this.server.child.pid;
  }

  get running(): boolean {
    return this.exitedAs === undefined;
  }

  /** Spawns and initializes the server; rejects with the reason (spawn error, exit, initialize failure or timeout). */
  static async start(o: SessionOptions): Promise<ServerSession> {
    const server = spawnServer(o.command, o.args, o.serverRoot, o.env);
    const session = new ServerSession(server, o);
    let started = false;
    void server.exited.then((exit) => {
      session.exitedAs = describeExit(exit);
      for (const reject of [...session.pending]) reject(exit);
      if (started && !session.stopping) o.onUnexpectedExit(session.exitedAs);
    });
    session.listen();
    const rootUri = pathToFileURL(o.serverRoot).href;
    try {
      const result = await Promise.race([
        server.spawnFailed,
        session.race(
          'initialize',
          server.connection.sendRequest(InitializeRequest.type, {
            processId: process.pid,
            clientInfo: { name: 'hunkwise' },
            rootUri,
            rootPath: o.serverRoot,
            workspaceFolders: [{ uri: rootUri, name: basename(o.serverRoot) }],
            capabilities: CAPABILITIES,
            initializationOptions: o.initializationOptions ?? null,
          }),
          o.requestMs,
        ),
      ]);
      session.capabilities = result.capabilities;
      session.notify(InitializedNotification.type, {});
      started = true;
      return session;
    } catch (error) {
      session.stopping = Promise.resolve();
      killProcess(server.child);
      server.connection.dispose();
      const spawnError = error instanceof Error && 'code' in error;
      const reason = !spawnError && session.exitedAs ? session.exitedAs : messageOf(error);
      throw new LspError(reason, { cause: error });
    }
  }

  /** Rejects with an LspError on an error answer, the process's death, the timeout, or `signal`'s abort. */
  request<P, R, E>(type: RequestType<P, R, E>, params: RequestParam<P>, timeoutMs = this.o.requestMs, signal?: AbortSignal): Promise<R> {
    if (this.exitedAs !== undefined) {
      return Promise.reject(new LspError(`The ${this.o.language} language server ${this.exitedAs}; ${type.method} was not sent.`));
    }
    const source = new CancellationTokenSource();
    const answer = this.server.connection.sendRequest(type, params, source.token);
    return this.race(type.method, answer, timeoutMs, () => source.cancel(), signal).finally(() => source.dispose());
  }

  notify<P>(type: NotificationType<P>, params: RequestParam<P>): void {
    if (this.exitedAs === undefined) this.server.connection.sendNotification(type, params).catch(() => {});
  }

  /** `shutdown`, then `exit`, then a kill if the process is still there 2 s later. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.exitedAs === undefined) {
        await this.race('shutdown', this.server.connection.sendRequest(ShutdownRequest.type), 2000).catch(() => {});
        this.server.connection.sendNotification(ExitNotification.type).catch(() => {});
        if (!(await waitForExit(this.server, 2000))) killProcess(this.server.child);
        await waitForExit(this.server, 2000);
      }
      killProcess(this.server.child);
      this.server.connection.dispose();
    })();
    return this.stopping;
  }

  /** Kills the process without the protocol's goodbye (tests, and a parent that is going away). */
  kill(): void {
    killProcess(this.server.child);
  }

  /** `answer` with a deadline and the process's death as rejections, both LspErrors naming `method`. */
  private race<R>(method: string, answer: Promise<R>, ms: number, cancel?: () => void, signal?: AbortSignal): Promise<R> {
    const language = this.o.language;
    return new Promise<R>((resolve, reject) => {
      const fail = (error: LspError): void => {
        clearTimeout(timer);
        this.pending.delete(die);
        signal?.removeEventListener('abort', abort);
        reject(error);
      };
      const abort = (): void => {
        cancel?.();
        fail(new LspError(`${method} was interrupted.`));
      };
      const die = ({ how, stderr }: ExitInfo): void =>
        fail(new LspError(`The ${language} language server ${how} while answering ${method}${stderr ? `: ${stderr}` : ''}.`));
      const timer = setTimeout(() => {
        cancel?.();
        fail(new LspTimeoutError(language, method, ms));
      }, ms);
      this.pending.add(die);
      if (signal?.aborted) abort();
      else signal?.addEventListener('abort', abort, { once: true });
      answer.then(
        (value) => {
          clearTimeout(timer);
          this.pending.delete(die);
          signal?.removeEventListener('abort', abort);
          resolve(value);
        },
        (error: unknown) => {
          const message = messageOf(error);
          fail(new LspError(`The ${language} language server answered ${method} with an error: ${message}`, { cause: error }));
        },
      );
    });
  }

  private listen(): void {
    const { connection } = this.server;
    const folders = [{ uri: pathToFileURL(this.o.serverRoot).href, name: basename(this.o.serverRoot) }];
    connection.onRequest((method: string, params: unknown) => answerServer(method, params, this.o.settings, folders));
    // vscode-jsonrpc routes `$/progress` itself: tokens nobody registered come here.
    connection.onUnhandledProgress(({ token, value }) => this.progress.progress(token, value));
    connection.onNotification((method: string, params: unknown) => {
      if (method === 'window/logMessage') {
        this.progress.log(String((params as { message?: unknown }).message ?? ''));
      } else if (method === 'textDocument/publishDiagnostics') {
        this.o.onPublish(params as PublishDiagnosticsParams);
      }
    });
    connection.listen();
  }
}
