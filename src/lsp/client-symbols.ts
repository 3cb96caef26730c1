import type * as lsp from 'vscode-languageserver-protocol';
import { fromSymbolInformation } from './client-convert.js';
import type { PathMapper } from './client-paths.js';
import type { Range, SymbolInfo } from './types.js';

/**
 * `workspace/symbol` answers as SymbolInfo with whole ranges. Servers there give one range, often
 * only the name's (TypeScript 7, pyright), or none at all (a WorkspaceSymbol with just a URI), and
 * a flat container name: each is matched with the file's documentSymbol answer, which has the
 * declaration's whole range, its name range and every container.
 */

/** Files whose document symbols are asked for at most; symbols in further files keep the range given. */
const MAX_FILES = 40;

const same = (a: Range, b: Range): boolean =>
  a.start.line === b.start.line && a.start.character === b.start.character &&
  a.end.line === b.end.line && a.end.character === b.end.character;

const contains = (outer: Range, inner: Range): boolean =>
  (outer.start.line < inner.start.line || (outer.start.line === inner.start.line && outer.start.character <= inner.start.character)) &&
  (outer.end.line > inner.end.line || (outer.end.line === inner.end.line && outer.end.character >= inner.end.character));

function match(found: SymbolInfo, candidates: SymbolInfo[], range: Range | undefined): SymbolInfo | undefined {
  const named = candidates.filter((s) => s.name === found.name);
  if (range) {
    return (
      named.find((s) => same(s.selectionRange, range)) ??
      named.find((s) => same(s.range, range)) ??
      named.filter((s) => contains(s.range, range)).at(-1)
    );
  }
  const container = found.containers.at(-1);
  return named.find((s) => s.kind === found.kind && s.containers.at(-1) === container) ?? named[0];
}

export async function resolveWorkspaceSymbols(
  answer: (lsp.SymbolInformation | lsp.WorkspaceSymbol)[],
  paths: PathMapper,
  documentSymbols: (path: string) => Promise<SymbolInfo[]>,
): Promise<SymbolInfo[]> {
  const found: { symbol: SymbolInfo; range: Range | undefined }[] = [];
  for (const item of answer) {
    const path = paths.fromUri(item.location.uri);
    if (path === undefined) continue;
    const range = 'range' in item.location ? item.location.range : undefined;
    const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    found.push({ symbol: fromSymbolInformation(item, path, range ?? zero), range });
  }
  const files = [...new Set(found.map((f) => f.symbol.path))].slice(0, MAX_FILES);
  const byFile = new Map<string, SymbolInfo[]>();
  await Promise.all(
    files.map(async (path) => {
      byFile.set(path, await documentSymbols(path).catch(() => []));
    }),
  );
  return found.map(({ symbol, range }) => match(symbol, byFile.get(symbol.path) ?? [], range) ?? symbol);
}
