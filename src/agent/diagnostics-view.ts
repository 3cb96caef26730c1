import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { compareDiagnostics, formatDiagnostic } from '../lsp/diagnostics-format.js';
import type { LanguageServers } from '../lsp/registry.js';
import { languageOf } from '../lsp/servers.js';
import type { Diagnostic, LanguageClient } from '../lsp/types.js';
import type { Permissions } from '../permissions.js';
import { type LeftOut, leaveOut, leftOutWords, withheldFiles } from './tools/symbol-shared.js';
import { ask, filesMatching } from '../git/queries.js';

/**
 * The language server's view of an edit before anyone approves it: the diagnostics of the
 * touched files and of the files that import them, before and after the proposal, compared by
 * file, code and message. `compare` moves the server's view to the contents given, so calling it
 * last with what was committed takes refused hunks back out of the server's view. Diagnostics of
 * files the read rules withhold never leave the view, only their count: their messages quote
 * their lines.
 */

export interface DiagnosticsDelta {
  added: Diagnostic[];
  removed: Diagnostic[];
  /** Files whose diagnostics could not be had (timed out, no server): unknown, not clean. */
  unknown: string[];
  /** Diagnostics added and removed in files the model may not read: only counted. */
  withheld: { added: LeftOut; removed: LeftOut };
  /** Files that use the change beyond those checked (MAX_IMPORTERS). */
  unchecked?: number;
}

/** A delta with no diagnostics: where no server can tell, or it failed (`unknown`). */
export function emptyDelta(unknown: string[] = []): DiagnosticsDelta {
  const none = { count: 0, files: 0 };
  return { added: [], removed: [], unknown, withheld: { added: none, removed: none } };
}

export interface DiagnosticsView {
  compare(contents: Map<string, string | null>): Promise<DiagnosticsDelta>;
}

/** Importers checked at most, besides the touched files. */
const MAX_IMPORTERS = 20;

/**
 * `before`: what the touched files held before the proposal (the branch tip: null for a file it
 * creates), when the disk already holds something else, as it does after a command changed them;
 * without it the disk is the baseline.
 */
export async function openDiagnosticsView(
  servers: LanguageServers,
  root: string,
  touched: string[],
  permissions: Permissions,
  before?: ReadonlyMap<string, string | null>,
  changedLines?: ReadonlyMap<string, readonly LineSpan[]>,
): Promise<DiagnosticsView | undefined> {
  const known = touched.filter((path) => languageOf(path));
  if (known.length === 0) return undefined;
  const clients = new Map<string, LanguageClient>();
  const serve = async (files: string[]): Promise<void> => {
    for (const file of files) {
      const client = await servers.forPath(file);
      if (client) clients.set(file, client);
    }
  };
  await serve(known);
  if (clients.size === 0) return undefined;
  const withheld = withheldFiles(permissions, 'read');
  const read = async (path: string): Promise<string | null> => readFile(`${root}/${path}`, 'utf8').catch(() => null);

  const collect = async (skip: ReadonlySet<string> = new Set()): Promise<{ diagnostics: Diagnostic[]; unknown: string[] }> => {
    const diagnostics: Diagnostic[] = [];
    const unknown: string[] = [];
    for (const [file, client] of clients) {
      if (skip.has(file)) continue;
      const result = await client.diagnostics(file);
      if (result.status === 'ok') diagnostics.push(...result.diagnostics);
      else unknown.push(file);
    }
    return { diagnostics, unknown };
  };
  /** Shows the server `contents` (the rest as on disk); the files it closed, having none. */
  const show = async (contents: Map<string, string | null>): Promise<string[]> => {
    const closed: string[] = [];
    for (const [file, client] of clients) {
      const text = contents.has(file) ? contents.get(file) : await read(file);
      if (text === null || text === undefined) {
        await client.close(file);
        closed.push(file);
      } else await client.sync(file, text);
    }
    return closed;
  };

  // The touched files as the branch tip has them; files that do not exist yet (the proposal creates
  // them) have no diagnostics before it: none, not unknown.
  const absent = new Set(await show(new Map(before ?? [])));
  await Promise.all([...new Set(clients.values())].map((client) => client.ready()));
  // The files that use what the proposal changes, as the server finds them (through re-exports
  // too), then those whose imports name a touched module; at most MAX_IMPORTERS, and said when cut.
  const found = await referencingFiles(root, clients, changedLines ?? new Map(), known);
  const named = await importersOf(root, known);
  const importers = [...new Set([...found, ...named])].filter((path) => !known.includes(path) && languageOf(path));
  await serve(importers.slice(0, MAX_IMPORTERS));
  await show(new Map(before ?? []));
  await Promise.all([...new Set(clients.values())].map((client) => client.ready()));
  const baseline = await collect(absent);
  const unchecked = Math.max(0, importers.length - MAX_IMPORTERS);
  return {
    async compare(contents) {
      await show(contents);
      const after = await collect();
      const { added, removed } = compareDiagnostics(baseline.diagnostics, after.diagnostics);
      const shownAdded = leaveOut(withheld, added, (d) => d.path, 'diagnostic');
      const shownRemoved = leaveOut(withheld, removed, (d) => d.path, 'diagnostic');
      return {
        added: shownAdded.kept,
        removed: shownRemoved.kept,
        unknown: [...new Set([...baseline.unknown, ...after.unknown])],
        withheld: { added: shownAdded.left, removed: shownRemoved.left },
        ...(unchecked > 0 ? { unchecked } : {}),
      };
    },
  };
}

/** One line per change of the diagnostics, for the hunk view and for the model. */
export function describeDelta(delta: DiagnosticsDelta): string[] {
  return [
    ...delta.added.map((d) => `adds ${formatDiagnostic(d)}`),
    ...delta.removed.map((d) => `removes ${formatDiagnostic(d)}`),
    ...(['added', 'removed'] as const)
      .filter((way) => delta.withheld[way].count > 0)
      .map((way) => `${way === 'added' ? 'adds' : 'removes'} ${leftOutWords('read', delta.withheld[way], 'diagnostic')} (not shown)`),
    ...delta.unknown.map((path) => `the errors of ${path} are unknown: the language server did not answer in time`),
    ...(delta.unchecked ? [`${delta.unchecked} more file${delta.unchecked === 1 ? '' : 's'} use the change: not checked (${MAX_IMPORTERS} are at most)`] : []),
  ];
}

/** Files whose import lines name one of the touched modules (by file stem). */
async function importersOf(root: string, touched: string[]): Promise<string[]> {
  const stems = [...new Set(touched.map((path) => basename(path, extname(path))).filter((stem) => /^[\w.-]+$/.test(stem)))];
  if (stems.length === 0) return [];
  const pattern = `(import|from|require|use|include).*[^A-Za-z0-9_](${stems.map((s) => s.replace(/[.]/g, '\\.')).join('|')})([^A-Za-z0-9_]|$)`;
  return ask(filesMatching(['-I', '-E', '--untracked', '-e', pattern]), { cwd: root });
}

/** A span of 0-based old lines a proposal changes in a file. */
export interface LineSpan {
  start: number;
  end: number;
}

/** Declarations asked about at most, per proposal: each is one references request. */
const MAX_CHANGED_DECLARATIONS = 10;

/**
 * The files that refer to the top-level declarations the proposal changes (those whose lines it
 * touches), as each touched file's server finds them: through re-exports and aliases, which no
 * text search follows. The server is shown the touched files as the branch tip has them.
 */
async function referencingFiles(
  root: string,
  clients: ReadonlyMap<string, LanguageClient>,
  changedLines: ReadonlyMap<string, readonly LineSpan[]>,
  touched: string[],
): Promise<string[]> {
  const found = new Set<string>();
  let asked = 0;
  for (const file of touched) {
    const client = clients.get(file);
    const spans = changedLines.get(file);
    if (!client || !spans?.length) continue;
    const symbols = await client.documentSymbols(file).catch(() => []);
    const changed = symbols.filter(
      (symbol) => symbol.containers.length === 0 && spans.some((span) => span.start <= symbol.range.end.line && symbol.range.start.line <= span.end),
    );
    for (const symbol of changed) {
      if (asked++ >= MAX_CHANGED_DECLARATIONS) return [...found];
      const locations = await client.references(file, symbol.selectionRange.start, false).catch(() => []);
      for (const location of locations) if (!location.path.startsWith('/') && existsSync(join(root, location.path))) found.add(location.path);
    }
  }
  return [...found];
}
