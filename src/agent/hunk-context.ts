import { gitFunctionContext } from '../git/funcname.js';
import type { FileChange, Hunk } from '../git/hunk.js';
import type { LanguageServers } from '../lsp/registry.js';
import type { SymbolInfo, SymbolKindName } from '../lsp/types.js';

/**
 * The function context of each hunk's `@@` line: git's default funcname rule, and where it finds
 * none (everything above the hunk indented, or starting with a character git skips: an IIFE's
 * `(function () {`, a `#` or `/*` line), the declaration the language server says encloses the
 * hunk, as git would show it: its line, trimmed, cut to 80 characters.
 */
export type HunkContext = (path: string, hunk: Hunk) => string;

/** Declarations that enclose code; a key, a literal or a type parameter does not. */
const ENCLOSING: ReadonlySet<SymbolKindName> = new Set([
  'module', 'namespace', 'package', 'class', 'struct', 'interface', 'enum',
  'function', 'method', 'constructor', 'property', 'variable', 'constant',
]);

export async function hunkContexts(servers: LanguageServers | undefined, changes: FileChange[]): Promise<HunkContext> {
  const symbols = new Map<string, SymbolInfo[]>();
  for (const change of changes) {
    const old = change.oldContent;
    if (!servers || !old || change.hunks.every((hunk) => gitFunctionContext(old, hunk) !== '')) continue;
    // The server is shown the file as the hunks' old side has it (the branch tip), then asked.
    symbols.set(change.path, await declarationsOf(servers, change.path, old));
  }
  const old = new Map(changes.map((change) => [change.path, change.oldContent]));
  return (path, hunk) => {
    const content = old.get(path) ?? null;
    return gitFunctionContext(content, hunk) || enclosingLine(content, symbols.get(path) ?? [], hunk);
  };
}

/** The file's declarations, or none where no server answers: a header without context is no fault. */
async function declarationsOf(servers: LanguageServers, path: string, content: string): Promise<SymbolInfo[]> {
  try {
    const client = await servers.forPath(path);
    if (!client) return [];
    await client.sync(path, content);
    return await client.documentSymbols(path);
  } catch {
    return [];
  }
}

/**
 * The innermost declaration that starts above the hunk (as git looks above it) and runs on to its
 * first changed line: that declaration's line.
 */
function enclosingLine(content: string | null, symbols: SymbolInfo[], hunk: Hunk): string {
  if (!content) return '';
  const first = hunk.oldStart - 1; // 0-based line of the hunk's first line
  const lead = hunk.lines.findIndex((line) => line.kind !== ' ');
  const changed = first + Math.max(0, lead);
  let best: SymbolInfo | undefined;
  for (const symbol of symbols) {
    const at = symbol.selectionRange.start.line;
    if (!ENCLOSING.has(symbol.kind) || at >= first || symbol.range.end.line < changed) continue;
    if (!best || at > best.selectionRange.start.line) best = symbol;
  }
  if (!best) return '';
  return (content.split('\n')[best.selectionRange.start.line] ?? '').trim().slice(0, 80);
}
