import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
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
): Promise<DiagnosticsView | undefined> {
  const known = touched.filter((path) => languageOf(path));
  if (known.length === 0) return undefined;
  const importers = (await importersOf(root, known)).filter((path) => !known.includes(path));
  const files = [...known, ...importers];
  const clients = new Map<string, LanguageClient>();
  for (const file of files) {
    const client = await servers.forPath(file);
    if (client) clients.set(file, client);
  }
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

  // Files that do not exist yet (the proposal creates them) have no diagnostics before it: none, not unknown.
  const absent = new Set(await show(new Map(before ?? [])));
  await Promise.all([...new Set(clients.values())].map((client) => client.ready()));
  const baseline = await collect(absent);
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
  ];
}

/** Files whose import lines name one of the touched modules (by file stem). */
async function importersOf(root: string, touched: string[]): Promise<string[]> {
  const stems = [...new Set(touched.map((path) => basename(path, extname(path))).filter((stem) => /^[\w.-]+$/.test(stem)))];
  if (stems.length === 0) return [];
  const pattern = `(import|from|require|use|include).*[^A-Za-z0-9_](${stems.map((s) => s.replace(/[.]/g, '\\.')).join('|')})([^A-Za-z0-9_]|$)`;
  const files = await ask(filesMatching(['-I', '-E', '--untracked', '-e', pattern]), { cwd: root });
  return files.filter((path) => languageOf(path)).slice(0, MAX_IMPORTERS);
}
