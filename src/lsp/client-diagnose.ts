import { readFile } from 'node:fs/promises';
import { DidCloseTextDocumentNotification } from 'vscode-languageserver-protocol';
import { toDiagnostic } from './client-convert.js';
import { type PublishedDiagnostics, pullDiagnostics } from './client-diagnostics.js';
import type { Documents, OpenDocument } from './client-documents.js';
import type { PathMapper } from './client-paths.js';
import type { ServerSession } from './client-session.js';
import type { DiagnosticsResult } from './types.js';
import { messageOf } from '../errors.js';

export interface DiagnoseContext {
  paths: PathMapper;
  docs: Documents;
  published: PublishedDiagnostics;
  ms: number;
  signal?: AbortSignal | undefined;
  send(kind: 'open' | 'change', doc: OpenDocument): void;
}

/**
 * One file's diagnostics: pulled when the server offers `diagnosticProvider`, else the pushed
 * report of the synced text. A push server reports only on open files, so a file nobody synced is
 * opened from disk for the question and closed after it. Never rejects: a failure or an abort is
 * `unavailable`, a wait past `ms` is `timeout`.
 */
export async function diagnosticsOf(session: ServerSession, path: string, ctx: DiagnoseContext): Promise<DiagnosticsResult> {
  const started = Date.now();
  const key = ctx.paths.toAbsolute(path);
  const uri = ctx.paths.toUri(key);
  const relative = ctx.paths.fromUri(uri) ?? path;
  try {
    let items: Awaited<ReturnType<typeof pullDiagnostics>>;
    if (session.capabilities.diagnosticProvider) {
      items = await pullDiagnostics(session, uri, ctx.ms, ctx.signal);
    } else {
      let doc = ctx.docs.get(key);
      const temporary = !doc;
      if (!doc) {
        const text = await readFile(key, 'utf8');
        const step = ctx.docs.update(key, uri, text, ctx.published.mark());
        doc = step.doc;
        ctx.send('open', doc);
      }
      try {
        items = await ctx.published.await(doc, () => ctx.docs.all(), ctx.ms, ctx.signal);
      } finally {
        if (temporary) {
          ctx.docs.remove(key);
          ctx.published.forget(key, false);
          session.notify(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
        }
      }
    }
    if (ctx.signal?.aborted) return { status: 'unavailable', reason: 'interrupted' };
    if (items === undefined) return { status: 'timeout', waitedMs: Date.now() - started };
    return { status: 'ok', diagnostics: items.map((d) => toDiagnostic(d, relative)) };
  } catch (error) {
    return { status: 'unavailable', reason: messageOf(error) };
  }
}
