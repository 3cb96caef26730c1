import { readFile } from 'node:fs/promises';
import type { LanguageServers } from '../lsp/registry.js';
import { languageOf } from '../lsp/servers.js';
import type { LanguageClient, SymbolInfo } from '../lsp/types.js';
import { leaveOut, type Withheld } from './tools/symbol-shared.js';
import { ask, filesMatching } from '../git/queries.js';
import { DEPENDENCY_FOLDERS } from '../git/worktree.js';

/**
 * Symbols by name, as the model asks for them (`parseConfig`, `Config.load`), resolved to
 * declarations by the language server: text search only narrows down which files to ask about.
 */

export interface FoundSymbol {
  symbol: SymbolInfo;
  client: LanguageClient;
}

export type SymbolSearch = { found: FoundSymbol[]; notes: string[] };

/** Files asked about at most, for a name without a path. */
const MAX_FILES = 60;

const splitNamePath = (name: string): { last: string; containers: string[] } => {
  const parts = name.split(/\.|::|#/).filter(Boolean);
  return { last: parts.at(-1) ?? name, containers: parts.slice(0, -1) };
};

const endsWith = (containers: string[], wanted: string[]): boolean =>
  wanted.length <= containers.length && wanted.every((name, i) => containers[containers.length - wanted.length + i] === name);

/** Every declaration matching the name (path) in `path`, or in the files that mention it. */
export async function searchSymbols(
  root: string,
  servers: LanguageServers,
  name: string,
  path?: string,
): Promise<SymbolSearch> {
  const { last, containers } = splitNamePath(name);
  const notes: string[] = [];
  const files = path ? [path] : await filesMentioning(root, last);
  const found: FoundSymbol[] = [];
  const seen = new Set<string>();
  const unavailable = new Set<string>();
  for (const file of files.slice(0, MAX_FILES)) {
    const language = languageOf(file);
    if (!language || unavailable.has(language)) continue;
    const client = await servers.forPath(file);
    if (!client) {
      unavailable.add(language);
      notes.push(`No ${language} language server is available, so ${language} files were not searched.`);
      continue;
    }
    const text = await readFile(`${root}/${file}`, 'utf8');
    await client.sync(file, text);
    const add = (declaration: SymbolInfo): void => {
      const key = `${declaration.path}:${declaration.selectionRange.start.line}:${declaration.selectionRange.start.character}`;
      if (seen.has(key)) return;
      seen.add(key);
      found.push({ symbol: declaration, client });
    };
    const matching = (await client.documentSymbols(file)).filter((symbol) => symbol.name === last && endsWith(symbol.containers, containers));
    for (const symbol of matching) add(await declarationOf(root, client, symbol));
    // A name the file only uses (an import some servers do not list): where its first use leads.
    if (path && matching.length === 0) {
      const declaration = await declarationAtUse(root, client, file, text, last);
      if (declaration) add(declaration);
    }
  }
  if (files.length > MAX_FILES) notes.push(`Only ${MAX_FILES} of the ${files.length} files that mention ${last} were searched; give a path.`);
  return { found, notes };
}

/**
 * The one declaration a name means: the only match, or the only top-level one when the name has
 * no containers (a local of the same name elsewhere does not make it ambiguous). Otherwise an
 * error that lists the candidates, so the model can narrow with `path` or a name path: those in
 * withheld files are left out and counted, never described. The declaration returned may be in a
 * withheld file: the caller decides what it may still do with it (references in other files).
 */
export async function resolveSymbol(
  root: string,
  servers: LanguageServers,
  name: string,
  path: string | undefined,
  withheld: Withheld,
): Promise<FoundSymbol | { error: string }> {
  const { found, notes } = await searchSymbols(root, servers, name, path);
  const topLevel = found.filter((candidate) => candidate.symbol.containers.length === 0);
  const only = found.length === 1 ? found[0] : !name.includes('.') && topLevel.length === 1 ? topLevel[0] : undefined;
  if (only) return only;
  const tail = notes.length ? `\n${notes.join('\n')}` : '';
  if (found.length === 0) {
    return {
      error: `No declaration named ${name} was found${path ? ` in ${path}` : ''}. Check the spelling (names are case-sensitive), use grep to find where it is, or give its file as path.${tail}`,
    };
  }
  const { kept, note } = leaveOut(withheld, found, (candidate) => candidate.symbol.path, 'candidate');
  if (kept.length === 0) {
    return { error: `No declaration named ${name} is in a file you may ${withheld.use} ${note}. Leave ${name} alone; work with the files you may ${withheld.use}.${tail}` };
  }
  return {
    error: `${name} is ambiguous; the candidates are:\n${kept.map(({ symbol }) => `  ${describeSymbol(symbol)}`).join('\n')}${note ? `\n${note}` : ''}\nCall again with path (and a name path such as Config.load).${tail}`,
  };
}

/** `src/config.ts:12 function Config.load`. */
export function describeSymbol(symbol: SymbolInfo): string {
  const qualified = [...symbol.containers, symbol.name].join('.');
  return `${symbol.path}:${symbol.selectionRange.start.line + 1} ${symbol.kind} ${qualified}${symbol.detail ? ` ${symbol.detail}` : ''}`;
}

/**
 * The declaration a document symbol stands for: itself, or — for an import or a re-export, which
 * some servers list among a file's symbols — the declaration its definition leads to.
 */
async function declarationOf(root: string, client: LanguageClient, symbol: SymbolInfo): Promise<SymbolInfo> {
  const [target] = await client.definition(symbol.path, symbol.selectionRange.start);
  if (!target || (target.path === symbol.path && contains(target.range, symbol.selectionRange.start))) return symbol;
  await client.sync(target.path, await readFile(`${root}/${target.path}`, 'utf8'));
  const declared = (await client.documentSymbols(target.path)).find((candidate) =>
    contains(candidate.selectionRange, target.range.start),
  );
  return declared ?? symbol;
}

/** Where `name` first stands as a whole word in `text`. */
export function firstUse(text: string, name: string): { line: number; character: number } | undefined {
  const lines = text.split('\n');
  const word = new RegExp(`(?<![\\w$])${name.replace(/[$]/g, '\\$')}(?![\\w$])`);
  const line = lines.findIndex((candidate) => word.test(candidate));
  return line < 0 ? undefined : { line, character: lines[line]?.search(word) ?? 0 };
}

/** A path inside a dependency folder the worktree shows from the checkout (node_modules, .venv, ...). */
export const inDependency = (path: string): boolean => path.split('/').some((segment) => DEPENDENCY_FOLDERS.has(segment));

/** The declaration the first use of `name` in `file` leads to (its definition), if the server finds one. */
async function declarationAtUse(root: string, client: LanguageClient, file: string, text: string, name: string): Promise<SymbolInfo | undefined> {
  const at = firstUse(text, name);
  if (!at) return undefined;
  const [target] = await client.definition(file, at).catch(() => []);
  if (!target || target.path.startsWith('/')) return undefined;
  const targetText = await readFile(`${root}/${target.path}`, 'utf8').catch(() => undefined);
  if (targetText === undefined) return undefined;
  await client.sync(target.path, targetText);
  return (await client.documentSymbols(target.path)).find((candidate) => contains(candidate.selectionRange, target.range.start));
}

const contains = (range: SymbolInfo['range'], at: SymbolInfo['range']['start']): boolean =>
  (range.start.line < at.line || (range.start.line === at.line && range.start.character <= at.character)) &&
  (range.end.line > at.line || (range.end.line === at.line && range.end.character >= at.character));

/** Files opened for a server that knows only what it is told of, before one question at the most. */
const MAX_OPENED = 200;

/**
 * For a server that knows only the files it is told of (clangd without a compile_commands.json):
 * the files of its language that mention `word` (but the withheld ones) are opened for it, so that a
 * rename or a search for references covers their uses. Nothing for any other server.
 */
export async function openMentions(root: string, client: LanguageClient, word: string, withheld: Withheld): Promise<void> {
  if (!client.openFilesIndex) return;
  const files = (await filesMentioning(root, word)).filter((file) => languageOf(file) === client.language && !withheld.has(file));
  const opened: string[] = [];
  for (const file of files.slice(0, MAX_OPENED)) {
    const text = await readFile(`${root}/${file}`, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    await client.sync(file, text);
    opened.push(file);
  }
  // The server indexes a file once it has parsed it: a question about each waits for that.
  await Promise.all(opened.map((file) => client.documentSymbols(file).catch(() => [])));
}

/** Files (tracked or new) that contain the identifier as a word. */
async function filesMentioning(root: string, word: string): Promise<string[]> {
  return ask(filesMatching(['-I', '-w', '-F', '--untracked', '-e', word]), { cwd: root });
}
