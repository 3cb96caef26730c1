/**
 * The narrow handle the agent sees of a language server (STYLE 10). Paths are relative to the
 * workspace root with '/' separators; lines and characters are 0-based as in LSP, and characters
 * count UTF-16 code units, as LSP's default position encoding does.
 */

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** The protocol's symbol kinds by name, in its order: kind N is the Nth. */
export const SYMBOL_KIND_NAMES = [
  'file', 'module', 'namespace', 'package', 'class', 'method', 'property', 'field', 'constructor',
  'enum', 'interface', 'function', 'variable', 'constant', 'string', 'number', 'boolean', 'array',
  'object', 'key', 'null', 'enumMember', 'struct', 'event', 'operator', 'typeParameter',
] as const;

export type SymbolKindName = (typeof SYMBOL_KIND_NAMES)[number];

/** A declaration as the server reports it. */
export interface SymbolInfo {
  name: string;
  /** Names of the enclosing declarations, outermost first: ['Config'] for Config.load. */
  containers: string[];
  kind: SymbolKindName;
  path: string;
  /** The whole declaration (what replace_symbol replaces). */
  range: Range;
  /** The name itself (where rename and references are asked). */
  selectionRange: Range;
  /** The server's detail (often the signature), when it gives one. */
  detail?: string;
}

export interface Location {
  path: string;
  range: Range;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

/** The edits of a WorkspaceEdit for one file (from `changes` or `documentChanges`). */
export interface FileEdits {
  path: string;
  edits: TextEdit[];
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface Diagnostic {
  path: string;
  range: Range;
  severity: Severity;
  code?: string;
  message: string;
  source?: string;
}

/**
 * Diagnostics of one file, or why there are none to give: a timed-out wait is never reported as
 * "no errors".
 */
export type DiagnosticsResult =
  | { status: 'ok'; diagnostics: Diagnostic[] }
  | { status: 'timeout'; waitedMs: number }
  | { status: 'unavailable'; reason: string };

export interface LanguageClient {
  /** `typescript`, `python`, ... */
  readonly language: string;
  /** It knows only the files it is told of and its own index lists: open the files a question concerns. */
  readonly openFilesIndex?: boolean;
  /** Makes the server see this content for the file (didOpen the first time, didChange after). */
  sync(path: string, text: string): Promise<void>;
  /** Tells the server the file is closed (it reads the disk again). */
  close(path: string): Promise<void>;
  /**
   * Tells the server what the disk now holds of each file it has open, where that changed since it
   * was told (a command, the user's hand in the worktree): servers that do not watch files (TypeScript
   * 7's) would answer about the old text. The paths it told of.
   */
  refresh(): Promise<string[]>;
  /** Waits until the server has loaded the project (`$/progress` end), at most the cap; false on timeout or abort. */
  ready(signal?: AbortSignal): Promise<boolean>;
  documentSymbols(path: string): Promise<SymbolInfo[]>;
  workspaceSymbols(query: string): Promise<SymbolInfo[]>;
  definition(path: string, position: Position): Promise<Location[]>;
  references(path: string, position: Position, includeDeclaration: boolean): Promise<Location[]>;
  /** The server's rename as edits per file; [] when the server refuses (the reason is thrown as LspError). */
  rename(path: string, position: Position, newName: string): Promise<FileEdits[]>;
  /** Never rejects; an aborted wait is `unavailable` with the reason 'interrupted'. */
  diagnostics(path: string, signal?: AbortSignal): Promise<DiagnosticsResult>;
  shutdown(): Promise<void>;
}

export class LspError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LspError';
  }
}
