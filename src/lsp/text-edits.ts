import type { Position, Range, TextEdit } from './types.js';

/**
 * Positions of LSP (0-based line, UTF-16 character) over a string, and edits applied to it.
 * JavaScript strings are UTF-16, so a character offset indexes the line directly.
 */

/** Offsets at which each line starts ('\n' and '\r\n' end a line). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/**
 * The string offset of a position, or undefined when its line is not in the text. A character past
 * the end of its line means the end of the line, as the LSP specification says.
 */
export function offsetAt(text: string, starts: number[], position: Position): number | undefined {
  const start = starts[position.line];
  if (start === undefined) return undefined;
  const next = starts[position.line + 1];
  let end = next === undefined ? text.length : next - 1;
  if (next !== undefined && end > start && text.charCodeAt(end - 1) === 13) end -= 1;
  return Math.min(start + position.character, end);
}

export function textAt(text: string, range: Range): string | undefined {
  const starts = lineStarts(text);
  const from = offsetAt(text, starts, range.start);
  const to = offsetAt(text, starts, range.end);
  return from === undefined || to === undefined || to < from ? undefined : text.slice(from, to);
}

export type EditCheck = (oldText: string, edit: TextEdit) => string | undefined;

/**
 * Applies non-overlapping edits (in any order) to `text`. `check` sees the text each edit replaces
 * and may refuse it with a message: the view the edits were made on is then not the file's.
 */
export function applyTextEdits(text: string, edits: TextEdit[], check?: EditCheck): string | { error: string } {
  const starts = lineStarts(text);
  const spans: { from: number; to: number; newText: string }[] = [];
  for (const edit of edits) {
    const from = offsetAt(text, starts, edit.range.start);
    const to = offsetAt(text, starts, edit.range.end);
    if (from === undefined || to === undefined || to < from) {
      return { error: `an edit at line ${edit.range.start.line + 1} lies outside the file` };
    }
    const refusal = check?.(text.slice(from, to), edit);
    if (refusal) return { error: refusal };
    spans.push({ from, to, newText: edit.newText });
  }
  spans.sort((a, b) => a.from - b.from || a.to - b.to);
  let out = '';
  let at = 0;
  for (const span of spans) {
    if (span.from < at) return { error: 'the edits overlap' };
    out += text.slice(at, span.from) + span.newText;
    at = span.to;
  }
  return out + text.slice(at);
}
