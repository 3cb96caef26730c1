import { readFile } from 'node:fs/promises';
import {
  DefinitionRequest,
  DidCloseTextDocumentNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  PrepareRenameRequest,
  ReferencesRequest,
  RenameRequest,
  type ServerCapabilities,
  WorkspaceSymbolRequest,
} from 'vscode-languageserver-protocol';
import { flattenSymbols, toFileEdits, toLocations } from './client-convert.js';
import { Documents, type OpenDocument } from './client-documents.js';
import { diagnosticsOf } from './client-diagnose.js';
import { PublishedDiagnostics } from './client-diagnostics.js';
import { createPathMapper, type PathMapper } from './client-paths.js';
import { ServerSession, type SessionOptions } from './client-session.js';
import { type LanguageServerOptions, type LspTimeouts, reasonOf, type StartedLanguageClient, startFailure } from './client-options.js';
import { resolveWorkspaceSymbols } from './client-symbols.js';
import { type DiagnosticsResult, type FileEdits, type Location, LspError, type Position, type SymbolInfo } from './types.js';
import { messageOf } from '../errors.js';

export type { LanguageServerOptions, LspTimeouts, StartedLanguageClient } from './client-options.js';

/**
 * Starts a language server on stdio and initializes it. Rejects with an LspError that names the
 * command and what to do when it cannot start (missing, exits at once, initialize fails or times
 * out); no process is left behind then. The handle restarts a crashed server once; after a second
 * crash every call rejects and `diagnostics` answers `unavailable`.
 */
export async function startLanguageServer(options: LanguageServerOptions): Promise<StartedLanguageClient> {
  const client = new Client(options);
  try {
    await client.boot();
  } catch (error) {
    throw new LspError(startFailure(options, error), { cause: error });
  }
  return client;
}

class Client implements StartedLanguageClient {
  readonly language: string;
  readonly openFilesIndex: boolean;
  private readonly paths: PathMapper;
  private readonly docs = new Documents();
  private readonly published = new PublishedDiagnostics();
  private session: ServerSession | undefined;
  private restarting: Promise<void> | undefined;
  private crashes = 0;
  private dead: string | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly o: LanguageServerOptions) {
    this.language = o.language;
    this.openFilesIndex = o.openFilesIndex === true;
    this.paths = createPathMapper(o.root, o.checkout);
  }

  get pid(): number | undefined {
    return this.session?.pid;
  }

  get capabilities(): ServerCapabilities {
    return this.session?.capabilities ?? {};
  }

  private get timeouts(): Required<LspTimeouts> {
    const t = this.o.timeouts ?? {};
    return { requestMs: t.requestMs ?? 15_000, readyMs: t.readyMs ?? 20_000, diagnosticsMs: t.diagnosticsMs ?? 10_000, settleMs: t.settleMs ?? 250 };
  }

  /** Starts a process; after a crash, tells it every synced document again. */
  async boot(): Promise<void> {
    const options: SessionOptions = {
      ...this.o,
      serverRoot: this.paths.toAbsolute(this.o.serverRoot ?? this.o.root),
      requestMs: this.timeouts.requestMs,
      onPublish: ({ uri, version, diagnostics }) => {
        const key = this.paths.keyOfUri(uri);
        if (key !== undefined) this.published.receive(key, version ?? undefined, diagnostics);
      },
      onUnexpectedExit: (description) => this.crashed(description),
    };
    const session = await ServerSession.start(options);
    if (this.stopped) {
      await session.stop();
      return;
    }
    this.session = session;
    for (const doc of this.docs.all()) this.send(session, 'open', doc);
    for (const path of this.o.seedPaths ?? []) this.seed(session, path);
  }

  /**
   * Asks for a file's symbols in the background: TypeScript 7 loads a project at the first request
   * for one of its files, and `ready()` waits for that answer.
   */
  private seed(session: ServerSession, path: string): void {
    if (!session.capabilities.documentSymbolProvider) return;
    const textDocument = { uri: this.paths.toUri(path) };
    session.progress.hold(session.request(DocumentSymbolRequest.type, { textDocument }).catch(() => null));
  }

  private crashed(description: string): void {
    this.session = undefined;
    if (this.stopped) return;
    this.crashes += 1;
    if (this.crashes >= 2) {
      this.dead = `The ${this.language} language server crashed twice (last: ${description}); ${this.language} language features are off for the rest of this task.`;
      this.o.onCrash?.(this.dead, true);
      return;
    }
    this.o.onCrash?.(`The ${this.language} language server crashed (${description}); restarting it.`, false);
    this.restarting = this.boot()
      .catch((error: unknown) => {
        this.dead = `The ${this.language} language server crashed (${description}) and could not be restarted: ${reasonOf(error, this.o)}.`;
        this.o.onCrash?.(this.dead, true);
      })
      .finally(() => {
        this.restarting = undefined;
      });
  }

  /** The running session, after a restart in progress; rejects once the server is gone for good. */
  private async live(): Promise<ServerSession> {
    if (this.restarting) await this.restarting;
    if (this.dead) throw new LspError(this.dead);
    if (this.stopped || !this.session) throw new LspError(`The ${this.language} language server has been shut down.`);
    return this.session;
  }

  private send(session: ServerSession, kind: 'open' | 'change', doc: OpenDocument): void {
    const sync = session.capabilities.textDocumentSync;
    if (sync === 0 || (typeof sync === 'object' && !sync.openClose && !sync.change)) return;
    doc.syncMark = this.published.mark();
    if (kind === 'open') {
      this.published.opened(doc.key);
      const { uri, languageId, version, text } = doc;
      session.notify(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version, text } });
    } else {
      session.notify(DidChangeTextDocumentNotification.type, { textDocument: { uri: doc.uri, version: doc.version }, contentChanges: [{ text: doc.text }] });
    }
  }

  /**
   * A file seen for the first time with a text other than the disk's is opened with the disk's
   * text and then changed: pyright rechecks the files that import it only on a change.
   */
  async sync(path: string, text: string): Promise<void> {
    const session = await this.live();
    const key = this.paths.toAbsolute(path);
    const uri = this.paths.toUri(key);
    if (!this.docs.get(key)) {
      const disk = await readFile(key, 'utf8').catch(() => undefined);
      if (disk !== undefined && disk !== text) this.send(session, 'open', this.docs.update(key, uri, disk, this.published.mark()).doc);
    }
    const step = this.docs.update(key, uri, text, this.published.mark());
    if (step.kind !== 'same') this.send(session, step.kind, step.doc);
  }

  async refresh(): Promise<string[]> {
    const session = await this.live().catch(() => undefined);
    if (!session) return [];
    const changed: string[] = [];
    for (const doc of this.docs.all()) {
      const disk = await readFile(doc.key, 'utf8').catch(() => undefined);
      if (disk === doc.text) continue;
      const path = this.paths.fromUri(doc.uri) ?? doc.key;
      changed.push(path);
      if (disk === undefined) await this.close(path);
      else this.send(session, 'change', this.docs.update(doc.key, doc.uri, disk, this.published.mark()).doc);
    }
    return changed;
  }

  /** Never rejects: closing a file of a server that is gone has nothing left to do. */
  async close(path: string): Promise<void> {
    const key = this.paths.toAbsolute(path);
    const doc = this.docs.remove(key);
    this.published.forget(key, doc !== undefined);
    const session = await this.live().catch(() => undefined);
    if (doc && session) session.notify(DidCloseTextDocumentNotification.type, { textDocument: { uri: doc.uri } });
  }

  async ready(signal?: AbortSignal): Promise<boolean> {
    const started = Date.now();
    const session = await this.live().catch(() => undefined);
    if (!session) return false;
    const { readyMs, settleMs } = this.timeouts;
    return session.progress.ready(Math.max(0, readyMs - (Date.now() - started)), settleMs, signal);
  }

  private async capable(provider: keyof ServerCapabilities, what: string): Promise<ServerSession> {
    const session = await this.live();
    if (!session.capabilities[provider]) throw new LspError(`The ${this.language} language server does not offer ${what}.`);
    return session;
  }

  async documentSymbols(path: string): Promise<SymbolInfo[]> {
    const session = await this.capable('documentSymbolProvider', 'document symbols');
    const uri = this.paths.toUri(path);
    const answer = await session.request(DocumentSymbolRequest.type, { textDocument: { uri } });
    return flattenSymbols(answer, this.paths.fromUri(uri) ?? path);
  }

  async workspaceSymbols(query: string): Promise<SymbolInfo[]> {
    const session = await this.capable('workspaceSymbolProvider', 'workspace symbols');
    const answer = await session.request(WorkspaceSymbolRequest.type, { query });
    return resolveWorkspaceSymbols(answer ?? [], this.paths, (path) => this.documentSymbols(path));
  }

  async definition(path: string, position: Position): Promise<Location[]> {
    const session = await this.capable('definitionProvider', 'definitions');
    const answer = await session.request(DefinitionRequest.type, { textDocument: { uri: this.paths.toUri(path) }, position });
    return toLocations(answer, this.paths);
  }

  async references(path: string, position: Position, includeDeclaration: boolean): Promise<Location[]> {
    const session = await this.capable('referencesProvider', 'references');
    const answer = await session.request(ReferencesRequest.type, {
      textDocument: { uri: this.paths.toUri(path) },
      position,
      context: { includeDeclaration },
    });
    return toLocations(answer, this.paths);
  }

  async rename(path: string, position: Position, newName: string): Promise<FileEdits[]> {
    const session = await this.capable('renameProvider', 'renames');
    const textDocument = { uri: this.paths.toUri(path) };
    const provider = session.capabilities.renameProvider;
    if (typeof provider === 'object' && provider.prepareProvider) {
      const prepared = await session.request(PrepareRenameRequest.type, { textDocument, position });
      if (!prepared) {
        throw new LspError(`The ${this.language} language server cannot rename anything at ${path}:${position.line + 1}:${position.character + 1}.`);
      }
    }
    const edit = await session.request(RenameRequest.type, { textDocument, position, newName });
    return toFileEdits(edit, this.paths);
  }

  async diagnostics(path: string, signal?: AbortSignal): Promise<DiagnosticsResult> {
    const session = await this.live().catch((error: unknown) => messageOf(error));
    if (typeof session === 'string') return { status: 'unavailable', reason: session };
    return diagnosticsOf(session, path, {
      paths: this.paths,
      docs: this.docs,
      published: this.published,
      ms: this.timeouts.diagnosticsMs,
      signal,
      send: (kind, doc) => this.send(session, kind, doc),
    });
  }

  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      await this.restarting;
      await this.session?.stop();
      this.session = undefined;
    })();
    return this.stopped;
  }
}
