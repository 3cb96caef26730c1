import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, ErrorCodes, ResponseError } from 'vscode-jsonrpc/node';
import {
  type ClientCapabilities,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  type NotificationType,
  type PublishDiagnosticsParams,
  type RequestParam,
  type RequestType,
  type ServerCapabilities,
  type SymbolKind,
  ShutdownRequest,
} from 'vscode-languageserver-protocol';
import { killProcess, type ServerProcess, spawnServer, waitForExit } from './client-process.js';
import { ProgressTracker } from './client-progress.js';
import { LspError } from './types.js';

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

const SYMBOL_KINDS = Array.from({ length: 26 }, (_, i) => i + 1) as SymbolKind[];

const CAPABILITIES: ClientCapabilities = {
  general: { positionEncodings: ['utf-16'] },
  window: { workDoneProgress: true },
  workspace: {
    workspaceEdit: { documentChanges: true, resourceOperations: [] },
    configuration: true,
    workspaceFolders: true,
    symbol: { symbolKind: { valueSet: SYMBOL_KINDS } },
  },
  textDocument: {
    synchronization: { didSave: false, willSave: false },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true, symbolKind: { valueSet: SYMBOL_KINDS } },
    rename: { prepareSupport: true },
    references: {},
    definition: { linkSupport: true },
    diagnostic: { relatedDocumentSupport: false },
    publishDiagnostics: { versionSupport: true },
  },
};

const lookup = (settings: Record<string, unknown> | undefined, section: string | undefined): unknown => {
  if (!settings) return null;
  if (section === undefined) return settings;
  if (section in settings) return settings[section];
  let value: unknown = settings;
  for (const key of section.split('.')) {
    if (typeof value !== 'object' || value === null || !(key in value)) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return value ?? null;
};

export class ServerSession {
  capabilities: ServerCapabilities = {};
  readonly progress: ProgressTracker;
  private stopping: Promise<void> | undefined;
  private exitedAs: string | undefined;
  private readonly pending = new Set<(error: LspError) => void>();

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
    void server.exited.then((description) => {
      session.exitedAs = description;
      for (const reject of [...session.pending]) reject(new LspError(`The ${o.language} language server ${description}.`));
      if (started && !session.stopping) o.onUnexpectedExit(description);
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
      const reason = error instanceof Error ? error.message : String(error);
      throw new LspError(reason, { cause: error });
    }
  }

  request<P, R, E>(type: RequestType<P, R, E>, params: RequestParam<P>, timeoutMs = this.o.requestMs): Promise<R> {
    if (this.exitedAs !== undefined) {
      return Promise.reject(new LspError(`The ${this.o.language} language server ${this.exitedAs}; ${type.method} was not sent.`));
    }
    const source = new CancellationTokenSource();
    const answer = this.server.connection.sendRequest(type, params, source.token);
    return this.race(type.method, answer, timeoutMs, () => source.cancel()).finally(() => source.dispose());
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
  private race<R>(method: string, answer: Promise<R>, ms: number, onTimeout?: () => void): Promise<R> {
    const language = this.o.language;
    return new Promise<R>((resolve, reject) => {
      const fail = (error: LspError): void => {
        clearTimeout(timer);
        this.pending.delete(die);
        reject(error);
      };
      const die = (error: LspError): void => fail(new LspError(`${error.message.replace(/\.$/, '')} while answering ${method}.`));
      const timer = setTimeout(() => {
        onTimeout?.();
        fail(new LspTimeoutError(language, method, ms));
      }, ms);
      this.pending.add(die);
      answer.then(
        (value) => {
          clearTimeout(timer);
          this.pending.delete(die);
          resolve(value);
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          fail(new LspError(`The ${language} language server answered ${method} with an error: ${message}`, { cause: error }));
        },
      );
    });
  }

  private listen(): void {
    const { connection } = this.server;
    const folders = [{ uri: pathToFileURL(this.o.serverRoot).href, name: basename(this.o.serverRoot) }];
    connection.onRequest((method: string, params: unknown) => {
      switch (method) {
        case 'workspace/configuration': {
          const items = (params as { items?: { section?: string }[] } | undefined)?.items ?? [];
          return items.map((item) => lookup(this.o.settings, item.section));
        }
        case 'workspace/workspaceFolders':
          return folders;
        case 'workspace/applyEdit':
          return { applied: false, failureReason: 'hunkwise applies edits itself, as hunks the user approves.' };
        case 'window/showDocument':
          return { success: false };
        case 'window/workDoneProgress/create':
        case 'client/registerCapability':
        case 'client/unregisterCapability':
        case 'window/showMessageRequest':
          return null;
        default:
          if (method.endsWith('/refresh')) return null;
          return new ResponseError(ErrorCodes.MethodNotFound, `hunkwise does not handle ${method}`);
      }
    });
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
