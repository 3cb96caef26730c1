import { ResponseError } from 'vscode-jsonrpc/node';
import { type Diagnostic, DocumentDiagnosticRequest, LSPErrorCodes } from 'vscode-languageserver-protocol';
import type { OpenDocument } from './client-documents.js';
import { LspTimeoutError, type ServerSession } from './client-session.js';

/**
 * Diagnostics both ways a server gives them. Pulled (`textDocument/diagnostic`, TypeScript 7):
 * asked for and answered. Pushed (`publishDiagnostics`, pyright, gopls...): a report counts only
 * when it is of the text last synced: its version is at least the synced one, or, from a server
 * that gives no versions, it arrived after the sync. `undefined` always means the wait timed out.
 */

interface Report {
  version: number | undefined;
  items: Diagnostic[];
  /** Arrival order, comparable with OpenDocument.syncMark. */
  seq: number;
  at: number;
}

const isCurrent = (report: Report, doc: OpenDocument): boolean =>
  report.version !== undefined ? report.version >= doc.version : report.seq > doc.syncMark;

export class PublishedDiagnostics {
  private readonly reports = new Map<string, Report>();
  /** Files closed, with the counter and time then: the server goes back to their disk text. */
  private readonly closes = new Map<string, { mark: number; at: number }>();
  private seq = 0;
  private readonly listeners = new Set<() => void>();

  /** The arrival counter now; reports that arrive later have a greater `seq`. */
  mark(): number {
    return this.seq;
  }

  receive(key: string, version: number | undefined, items: Diagnostic[]): void {
    this.reports.set(key, { version, items, seq: ++this.seq, at: Date.now() });
    for (const listener of [...this.listeners]) listener();
  }

  opened(key: string): void {
    this.closes.delete(key);
  }

  /** Drops a closed file's report; a `change` of what the server sees (not a look at the disk text) is remembered. */
  forget(key: string, change: boolean): void {
    this.reports.delete(key);
    if (change) this.closes.set(key, { mark: this.seq, at: Date.now() });
  }

  /**
   * The diagnostics of `doc`'s synced text, or undefined when they did not come within `ms`. When
   * other files changed (or closed) after the report arrived, it also waits for the server's reports
   * on the changed ones (it has then rechecked), and takes a fresher report of `doc` if one comes
   * within `graceMs` of that: servers report on the files that import a change in the same pass.
   */
  async await(doc: OpenDocument, openDocs: () => OpenDocument[], ms: number, signal?: AbortSignal): Promise<Diagnostic[] | undefined> {
    const graceMs = 300;
    const deadline = Date.now() + ms;
    const left = (): number => (signal?.aborted ? 0 : deadline - Date.now());
    const current = (d: OpenDocument): Report | undefined => {
      const report = this.reports.get(d.key);
      return report && isCurrent(report, d) ? report : undefined;
    };
    const own = await this.until(() => current(doc), left(), signal);
    if (!own) return undefined;
    const changed = openDocs().filter((d) => d.key !== doc.key && d.syncMark >= own.seq);
    const closed = [...this.closes].filter(([key, close]) => key !== doc.key && close.mark >= own.seq).map(([, close]) => close);
    if (changed.length === 0 && closed.length === 0) return own.items;
    const reports = await this.until(() => {
      const all = changed.map(current);
      return all.every((r) => r !== undefined) ? (all as Report[]) : undefined;
    }, left(), signal);
    if (!reports) return undefined;
    const lastChange = Math.max(...changed.map((d) => d.syncMark), ...closed.map((c) => c.mark));
    const settled = Math.max(...reports.map((r) => r.at), ...closed.map((c) => c.at));
    const fresher = await this.until(() => {
      const report = this.reports.get(doc.key);
      return report && report.seq > lastChange ? report : undefined;
    }, Math.min(settled + graceMs - Date.now(), left()), signal);
    return (fresher ?? this.reports.get(doc.key) ?? own).items;
  }

  /** Re-evaluates `check` at every report until it gives a value, or `ms` passes, or `signal` aborts. */
  private until<T>(check: () => T | undefined, ms: number, signal?: AbortSignal): Promise<T | undefined> {
    const now = check();
    if (now !== undefined || ms <= 0 || signal?.aborted) return Promise.resolve(now);
    return new Promise((resolve) => {
      const finish = (value: T | undefined): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        signal?.removeEventListener('abort', abort);
        resolve(value);
      };
      const abort = (): void => finish(undefined);
      signal?.addEventListener('abort', abort, { once: true });
      const listener = (): void => {
        const value = check();
        if (value !== undefined) finish(value);
      };
      const timer = setTimeout(() => finish(check()), ms);
      this.listeners.add(listener);
    });
  }
}

const retryable = (error: unknown): boolean => {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof ResponseError && (cause.code === LSPErrorCodes.ServerCancelled || cause.code === LSPErrorCodes.ContentModified);
};

/** Pulls a file's diagnostics, retrying while the server says it cancelled; undefined when `ms` ran out or `signal` aborted. */
export async function pullDiagnostics(session: ServerSession, uri: string, ms: number, signal?: AbortSignal): Promise<Diagnostic[] | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 || signal?.aborted) return undefined;
    try {
      const report = await session.request(DocumentDiagnosticRequest.type, { textDocument: { uri } }, left, signal);
      // We never send a previousResultId, so the server has nothing to call unchanged.
      return report.kind === 'full' ? report.items : [];
    } catch (error) {
      if (error instanceof LspTimeoutError) return undefined;
      if (!retryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(0, deadline - Date.now()))));
    }
  }
}
