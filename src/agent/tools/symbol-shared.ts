import { readFile } from 'node:fs/promises';
import type { LanguageServers } from '../../lsp/registry.js';
import { changedPaths } from '../../git/read-files.js';
import { languageOf } from '../../lsp/servers.js';
import type { SymbolInfo } from '../../lsp/types.js';
import type { Permissions } from '../../permissions.js';
import type { ToolContext, ToolResult } from '../tool.js';
import type { ToolUse } from './define.js';
import { confine, fail, isResult } from './shared.js';

/**
 * What the symbol tools share: their first checks, the files they must keep out of what they
 * print or change (the same rules as read_file, grep and edit_file), and the words that say how
 * much was left out.
 */

/** `read`: the tool prints lines; `edit`: it changes them (and shows them as hunks). */
export type SymbolUse = 'read' | 'edit';

/**
 * The files a symbol tool withholds: for a read, those the read rules or the secret-file rule
 * forbid; for an edit, also those the edit rules forbid.
 */
export interface Withheld {
  readonly use: SymbolUse;
  has(path: string): boolean;
}

export function withheldFiles(permissions: Permissions, use: SymbolUse): Withheld {
  return {
    use,
    has: (path) => permissions.forbids('read', path) !== undefined || (use === 'edit' && permissions.forbids('edit', path) !== undefined),
  };
}

/** How many items were left out, in how many files. */
export interface LeftOut {
  count: number;
  files: number;
}

/**
 * `items` without those in withheld files, the count of those left out, and the note that says
 * so (empty when none), in grep's words: `(2 references in 1 file you may not read left out)`.
 * Nothing of a withheld item is in the note but its count.
 */
export function leaveOut<T>(
  withheld: Withheld,
  items: readonly T[],
  pathOf: (item: T) => string,
  noun: string,
): { kept: T[]; left: LeftOut; note: string } {
  const kept: T[] = [];
  const files = new Set<string>();
  for (const item of items) {
    if (withheld.has(pathOf(item))) files.add(pathOf(item));
    else kept.push(item);
  }
  const left = { count: items.length - kept.length, files: files.size };
  return { kept, left, note: left.count > 0 ? `(${leftOutWords(withheld.use, left, noun)} left out)` : '' };
}

/** `3 references in 2 files you may not read`. */
export function leftOutWords(use: SymbolUse, left: LeftOut, noun: string): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(left.count, noun)} in ${plural(left.files, 'file')} you may not ${use}`;
}

/**
 * What every symbol tool does first: there must be language servers, the path (if any) must be
 * inside the worktree, a read tool's question must be approved (its subject: the path, or the
 * name; a withheld path is refused there), and an edit tool's path must be one it may edit. An
 * edit tool asks nothing here: its hunks are what the user approves.
 */
export async function symbolTool(
  ctx: ToolContext,
  tool: ToolUse,
  name: string,
  path: string | undefined,
  use: SymbolUse = 'read',
): Promise<{ servers: LanguageServers; path: string | undefined; withheld: Withheld } | ToolResult> {
  if (!ctx.servers) {
    return fail(`${tool.name} needs a language server, and none runs in this task. Use grep and read_file instead.`);
  }
  const withheld = withheldFiles(ctx.permissions, use);
  let rel: string | undefined;
  if (path !== undefined) {
    const target = confine(ctx, path);
    if (isResult(target)) return target;
    rel = target.rel;
  }
  if (use === 'read') {
    const refused = await tool.ask(rel ?? name, rel);
    if (refused) return refused;
  } else if (rel !== undefined && withheld.has(rel)) {
    const reason = ctx.permissions.forbids('read', rel) ?? ctx.permissions.forbids('edit', rel);
    return fail(`${tool.name} may not change ${rel}: ${reason}. Leave that file and ${name} as they are.`);
  }
  await tellChanges(ctx.root, ctx.servers);
  return { servers: ctx.servers, path: rel, withheld };
}

/**
 * What changed on disk since the running servers were told (a command, the user's hand in the
 * worktree) reaches them before a question: the files they have open, re-read, and the files that
 * differ from the branch tip, opened (servers that do not watch files would answer about the old
 * text, TypeScript 7's among them).
 */
async function tellChanges(root: string, servers: LanguageServers): Promise<void> {
  const clients = servers.started();
  if (clients.length === 0) return;
  await Promise.all(clients.map((client) => client.refresh()));
  for (const path of await changedPaths(root)) {
    // Only languages a server already runs for; the file's own project's server (one per project for some).
    if (!clients.some((candidate) => candidate.language === languageOf(path))) continue;
    const client = await servers.forPath(path);
    const text = client && (await readFile(`${root}/${path}`, 'utf8').catch(() => undefined));
    if (client && text !== undefined) await client.sync(path, text);
  }
}

/** The first line of a declaration, trimmed: its signature for most languages. Never call it for a withheld file. */
export async function declarationLine(root: string, symbol: SymbolInfo): Promise<string> {
  const text = await readFile(`${root}/${symbol.path}`, 'utf8');
  const line = text.split('\n')[symbol.range.start.line] ?? '';
  return line.trim().slice(0, 200);
}

/** Lines of files, read once each: `path:line: text` for locations. Never call it for a withheld file. */
export async function lineReader(root: string): Promise<(path: string, line: number) => Promise<string>> {
  const cache = new Map<string, string[]>();
  return async (path, line) => {
    let lines = cache.get(path);
    if (!lines) {
      lines = (await readFile(`${root}/${path}`, 'utf8').catch(() => '')).split('\n');
      cache.set(path, lines);
    }
    return (lines[line] ?? '').replace(/\r$/, '').trim();
  };
}
