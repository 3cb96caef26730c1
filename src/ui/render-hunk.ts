import type { FileChange, Hunk, HunkLine } from '../git/hunk.js';
import { gitFunctionContext } from '../git/funcname.js';
import { formatHunkHeader } from '../git/hunk-blocks.js';
import type { Colors } from './color.js';

/**
 * One hunk as `git add -p` shows it: bold file header, cyan `@@` line, red removals, green
 * additions, plain context. Display only: line terminators are dropped (a CRLF line shows no stray
 * CR), a line without one is followed by git's `\ No newline at end of file`, and control
 * characters are shown in caret notation (`^[`), so a file's content can never drive the terminal.
 */

export interface RenderHunkOptions {
  colors: Colors;
  /** Diagnostics and other remarks, one per line, shown under the file header. */
  notes?: readonly string[];
  /** Show the `diff --git` header (default true). */
  fileHeader?: boolean;
  /** The function context after the `@@` line; by default git's rule (see git/funcname.ts). */
  context?: string;
}

const NO_EOL = '\\ No newline at end of file';

/** The file header lines, bold, as `git diff` prints them (without modes and index line). */
export function renderFileHeader(change: Pick<FileChange, 'path' | 'kind'>, colors: Colors): string[] {
  const path = visible(change.path);
  const lines = [`diff --git a/${path} b/${path}`];
  if (change.kind === 'create') lines.push('new file mode 100644', '--- /dev/null', `+++ b/${path}`);
  else if (change.kind === 'delete') lines.push('deleted file mode 100644', `--- a/${path}`, '+++ /dev/null');
  else lines.push(`--- a/${path}`, `+++ b/${path}`);
  return lines.map((line) => colors.bold(line));
}

/** The hunk as terminal text: lines joined and ended by '\n'. */
export function renderHunk(
  change: Pick<FileChange, 'path' | 'kind'> & { oldContent?: string | null },
  hunk: Hunk,
  options: RenderHunkOptions,
): string {
  const { colors } = options;
  const out: string[] = [];
  if (options.fileHeader !== false) out.push(...renderFileHeader(change, colors));
  for (const note of options.notes ?? []) out.push(colors.yellow(visible(note)));
  out.push(renderHunkHeader(hunk, colors, options.context ?? gitFunctionContext(change.oldContent ?? null, hunk)));
  for (const line of hunk.lines) {
    out.push(renderLine(line, colors));
    if (!hasTerminator(line.text)) out.push(NO_EOL);
  }
  return `${out.join('\n')}\n`;
}

/** The `@@ -a,b +c,d @@` part in cyan, then the function context plain, as git colours it. */
export function renderHunkHeader(hunk: Hunk, colors: Colors, context = ''): string {
  const header = visible(`${formatHunkHeader(hunk).replace(/\r?\n$/, '')}${context ? ` ${context}` : ''}`);
  const match = /^(@@ [^@]* @@)(.*)$/.exec(header);
  if (!match) return colors.cyan(header);
  return colors.cyan(match[1] ?? '') + (match[2] ?? '');
}

function renderLine(line: HunkLine, colors: Colors): string {
  const text = `${line.kind}${visible(stripTerminator(line.text))}`;
  if (line.kind === '-') return colors.red(text);
  if (line.kind === '+') return colors.green(text);
  return text;
}

const hasTerminator = (text: string): boolean => text.endsWith('\n');

/** The line without its "\n" or "\r\n". */
export function stripTerminator(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/** Control characters other than tab in caret notation: "\x1b" → "^[", "\r" → "^M", DEL → "^?". */
export function visible(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return code === 0x7f ? '^?' : `^${String.fromCharCode(code + 0x40)}`;
  });
}
