import type * as lsp from 'vscode-languageserver-protocol';
import type { PathMapper } from './client-paths.js';
import { type Diagnostic, type FileEdits, type Location, LspError, type Severity, SYMBOL_KIND_NAMES, type SymbolInfo, type SymbolKindName } from './types.js';

/** From the protocol's shapes to the narrow ones of ./types.ts. Pure apart from path mapping. */

export const kindName = (kind: lsp.SymbolKind): SymbolKindName => SYMBOL_KIND_NAMES[kind - 1] ?? 'variable';

const SEVERITIES: Severity[] = ['error', 'warning', 'information', 'hint'];

const copyRange = (r: lsp.Range): lsp.Range => ({
  start: { line: r.start.line, character: r.start.character },
  end: { line: r.end.line, character: r.end.character },
});

const isDocumentSymbol = (s: lsp.DocumentSymbol | lsp.SymbolInformation): s is lsp.DocumentSymbol =>
  'selectionRange' in s;

/** A documentSymbol answer, hierarchical or flat, as one flat list with `containers`, in document order. */
export function flattenSymbols(
  answer: (lsp.DocumentSymbol | lsp.SymbolInformation)[] | null,
  path: string,
): SymbolInfo[] {
  const out: SymbolInfo[] = [];
  const walk = (symbol: lsp.DocumentSymbol, containers: string[]): void => {
    out.push({
      name: symbol.name,
      containers,
      kind: kindName(symbol.kind),
      path,
      range: copyRange(symbol.range),
      selectionRange: copyRange(symbol.selectionRange),
      ...(symbol.detail ? { detail: symbol.detail } : {}),
    });
    for (const child of symbol.children ?? []) walk(child, [...containers, symbol.name]);
  };
  for (const symbol of answer ?? []) {
    if (isDocumentSymbol(symbol)) walk(symbol, []);
    else out.push(fromSymbolInformation(symbol, path, symbol.location.range));
  }
  return out;
}

/** A flat symbol whose only range is `range` (the name's, or the declaration's: servers differ). */
export function fromSymbolInformation(
  symbol: { name: string; kind: lsp.SymbolKind; containerName?: string },
  path: string,
  range: lsp.Range,
): SymbolInfo {
  return {
    name: symbol.name,
    containers: symbol.containerName ? [symbol.containerName] : [],
    kind: kindName(symbol.kind),
    path,
    range: copyRange(range),
    selectionRange: copyRange(range),
  };
}

export function toLocations(
  answer: lsp.Location | (lsp.Location | lsp.LocationLink)[] | null,
  paths: PathMapper,
): Location[] {
  const list = answer === null ? [] : Array.isArray(answer) ? answer : [answer];
  const out: Location[] = [];
  for (const item of list) {
    const uri = 'targetUri' in item ? item.targetUri : item.uri;
    const range = 'targetUri' in item ? item.targetSelectionRange : item.range;
    const path = paths.fromUri(uri);
    if (path !== undefined) out.push({ path, range: copyRange(range) });
  }
  return out;
}

export function toDiagnostic(d: lsp.Diagnostic, path: string): Diagnostic {
  return {
    path,
    range: copyRange(d.range),
    severity: SEVERITIES[(d.severity ?? 1) - 1] ?? 'error',
    ...(d.code !== undefined ? { code: String(d.code) } : {}),
    message: typeof d.message === 'string' ? d.message : d.message.value,
    ...(d.source ? { source: d.source } : {}),
  };
}

/**
 * A rename's WorkspaceEdit as edits per file, sorted by position. `documentChanges` wins over
 * `changes` when both are given, as the protocol says. File operations (create, rename, delete) and
 * edits outside the workspace are refused: they are not hunks of this worktree.
 */
export function toFileEdits(edit: lsp.WorkspaceEdit | null, paths: PathMapper): FileEdits[] {
  if (!edit) return [];
  const byPath = new Map<string, FileEdits>();
  const add = (uri: string, edits: (lsp.TextEdit | lsp.AnnotatedTextEdit | lsp.SnippetTextEdit)[]): void => {
    const path = paths.fromUri(uri);
    if (path === undefined || !paths.isInside(path)) {
      throw new LspError(`The rename would edit ${path ?? uri}, which is outside the workspace; it was not applied.`);
    }
    const entry = byPath.get(path) ?? { path, edits: [] };
    byPath.set(path, entry);
    for (const e of edits) {
      const newText = 'newText' in e ? e.newText : e.snippet.value;
      entry.edits.push({ range: copyRange(e.range), newText });
    }
  };
  if (edit.documentChanges) {
    for (const change of edit.documentChanges) {
      if ('kind' in change) {
        throw new LspError(`The rename would also ${change.kind} a file (${'uri' in change ? change.uri : change.oldUri}); file operations are not supported, so it was not applied.`);
      }
      add(change.textDocument.uri, change.edits);
    }
  } else {
    for (const [uri, edits] of Object.entries(edit.changes ?? {})) add(uri, edits);
  }
  const before = (a: lsp.Position, b: lsp.Position): number => a.line - b.line || a.character - b.character;
  const files = [...byPath.values()];
  for (const file of files) file.edits.sort((a, b) => before(a.range.start, b.range.start));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
