/**
 * Editing one hunk as `git add -p` does with `e`: the hunk is written out with a guide in '#' lines,
 * the user edits it, and the edited text is read back into a hunk that applies to the old content
 * exactly, or into a sentence that says why it does not. Pure functions.
 */

import { blocksOverlap, changeBlocks, formatHunkHeader, formatHunkLines, makeHunk, newIndex, oldIndex } from './hunk-blocks.js';
import type { Hunk, HunkLine, LineKind } from './hunk.js';
import { dominantEol, lineBody, splitLines } from './text.js';

export type EditResult = { hunk: Hunk } | { error: string } | { aborted: true };

/** The hunk as text to edit: its header, its lines, then git's guide in lines that start with '#'. */
export function formatHunkForEdit(path: string, hunk: Hunk): string {
  const name = path.replace(/[\r\n]/g, '?');
  return [
    `# Manual hunk edit mode for ${name} -- see bottom for a quick guide.\n`,
    `${formatHunkHeader(hunk)}\n`,
    formatHunkLines(hunk),
    '# ---\n',
    "# To remove '-' lines, make them ' ' lines (context).\n",
    "# To remove '+' lines, delete them.\n",
    '# Lines starting with # will be removed.\n',
    '#\n',
    '# If the patch applies cleanly, the edited hunk will be staged.\n',
    '# If it does not apply cleanly, you will be given an opportunity to edit again.\n',
    '# If all lines of the hunk are removed, then the edit is aborted and the hunk is left unchanged.\n',
  ].join('');
}

interface EditedLine {
  kind: LineKind;
  /** The line as typed, without its marker and without "\n" (a "\r" the editor kept stays). */
  body: string;
  /** 1-based line number in the edited text, for messages. */
  lineNo: number;
  /** Followed by "\ No newline at end of file". */
  noEol: boolean;
  /** An empty line of the edited text, taken as an empty context line. */
  blank: boolean;
}

/**
 * Reads an edited hunk back. '#' lines and a `@@` header are dropped (the numbers are recounted);
 * nothing left aborts the edit. The old side must be the old lines at the original hunk's place,
 * or at the nearest place that fits when context was removed, and its changed lines must not touch
 * those of `others` (the file's other hunks). Context and '-' lines take the file's exact text, so
 * an editor that dropped a "\r" does no harm; a '+' line keeps the terminator of the original '+'
 * line it equals, or takes the file's dominant line ending, or none when it is followed by
 * "\ No newline at end of file". Never returns a hunk that does not apply to `oldContent`.
 */
export function parseEditedHunk(original: Hunk, edited: string, oldContent: string, others: Hunk[]): EditResult {
  const parsed = parseLines(edited, original);
  if ('error' in parsed) return parsed;
  if (parsed.length === 0) return { aborted: true };
  const old = splitLines(oldContent);
  const oldSide = parsed.filter((l) => l.kind !== '+');
  const origin = oldIndex(original);
  const candidates = oldSide.length === 0 ? [origin + leadingContext(original)] : nearby(origin, original.oldLines);
  const otherBlocks = others.filter((h) => h !== original).flatMap(changeBlocks);
  let best = { matched: -1, at: origin };
  for (const at of candidates) {
    const matched = matchedPrefix(oldSide, old, at);
    if (matched < oldSide.length) {
      if (matched > best.matched) best = { matched, at };
      continue;
    }
    const built = buildHunk(parsed, old, at, original, oldContent);
    if ('error' in built) return built;
    const clash = changeBlocks(built.hunk).find((b) => otherBlocks.some((o) => blocksOverlap(b, o)));
    if (!clash) return built;
    return {
      error:
        `the edited hunk changes line ${clash.at + 1} of the file, which another hunk of this file also ` +
        'changes; keep your changes within the lines of this hunk',
    };
  }
  const bad = oldSide[best.matched];
  if (!bad) return { error: 'the edited hunk does not apply: it does not fit in the file' };
  const there = old[best.at + best.matched];
  const found = there === undefined ? 'the file ends there' : `the file has ${JSON.stringify(lineBody(there))}`;
  return {
    error: `the edited hunk does not apply: line ${bad.lineNo} of it (${JSON.stringify(bad.kind + bad.body)}) does not match the file; ${found}`,
  };
}

function parseLines(edited: string, original: Hunk): EditedLine[] | { error: string } {
  let raw = edited.split('\n');
  if (edited.endsWith('\n')) raw.pop();
  if (raw.length > 0 && raw.every((l) => l.endsWith('\r'))) raw = raw.map((l) => l.slice(0, -1));
  const lines: EditedLine[] = [];
  for (const [n, text] of raw.entries()) {
    const lineNo = n + 1;
    const prev = lines[lines.length - 1];
    if (text.startsWith('#')) continue;
    if (text.startsWith('@@')) {
      if (prev) return { error: `line ${lineNo} of the edited hunk starts a second hunk; edit one hunk at a time` };
      continue;
    }
    if (text.startsWith('\\')) {
      if (!prev) return { error: `line ${lineNo} of the edited hunk marks a missing newline but follows no line` };
      prev.noEol = true;
      continue;
    }
    const blank = text === '' || text === '\r';
    const kind = blank ? ' ' : text[0];
    if (kind !== ' ' && kind !== '-' && kind !== '+') {
      return {
        error: `line ${lineNo} of the edited hunk starts with ${JSON.stringify(kind)}; every line must start with ' ', '-' or '+' (or '#' for a comment)`,
      };
    }
    lines.push({ kind, body: blank ? '' : text.slice(1), lineNo, noEol: false, blank });
  }
  const keepBlank = trailingBlankContext(original);
  let blanks = 0;
  for (let k = lines.length - 1; k >= 0 && lines[k]!.blank; k--) blanks++;
  return lines.slice(0, lines.length - Math.max(0, blanks - keepBlank));
}

/** How many empty context lines end the hunk: more empty lines than that at the end of an edit are stray. */
function trailingBlankContext(h: Hunk): number {
  let n = 0;
  for (let k = h.lines.length - 1; k >= 0 && h.lines[k]!.kind === ' ' && lineBody(h.lines[k]!.text) === ''; k--) n++;
  return n;
}

function leadingContext(h: Hunk): number {
  const first = h.lines.findIndex((l) => l.kind !== ' ');
  return first === -1 ? h.lines.length : first;
}

/** Old line indexes to try, nearest the original place first, later lines before earlier ones. */
function nearby(origin: number, span: number): number[] {
  const at = [origin];
  for (let d = 1; d <= Math.max(span, 3); d++) at.push(origin + d);
  for (let d = 1; d <= 3 && origin - d >= 0; d++) at.push(origin - d);
  return at;
}

function matchedPrefix(oldSide: EditedLine[], old: readonly string[], at: number): number {
  let k = 0;
  while (k < oldSide.length && sameLine(old[at + k], oldSide[k]!.body)) k++;
  return k;
}

/** Whether a file line is the typed line, but for its terminator and a "\r" the editor dropped. */
function sameLine(fileLine: string | undefined, body: string): boolean {
  if (fileLine === undefined) return false;
  return lineBody(fileLine).replace(/\r$/, '') === body.replace(/\r$/, '');
}

/**
 * The text of an added line: none after it with the no-newline marker; as typed when it equals an
 * original '+' line or keeps its "\r"; an original's terminator when only the editor's dropped "\r"
 * tells them apart; else the file's dominant line ending.
 */
function addedText(line: EditedLine, originalAdded: string[], eol: string): string {
  if (line.noEol) return line.body;
  const typed = `${line.body}\n`;
  if (line.body.endsWith('\r') || originalAdded.includes(typed)) return typed;
  const same = originalAdded.find((t) => t.endsWith('\n') && lineBody(t) === line.body);
  return same ?? `${line.body}${eol}`;
}

function buildHunk(
  parsed: EditedLine[],
  old: readonly string[],
  at: number,
  original: Hunk,
  oldContent: string,
): { hunk: Hunk } | { error: string } {
  const eol = dominantEol(oldContent.includes('\n') ? oldContent : original.lines.map((l) => l.text).join(''));
  const originalAdded = original.lines.filter((l) => l.kind === '+').map((l) => l.text);
  const lines: HunkLine[] = [];
  let i = at;
  for (const line of parsed) {
    const text = line.kind === '+' ? addedText(line, originalAdded, eol) : old[i++]!;
    lines.push({ kind: line.kind, text });
  }
  const newSide = lines.map((l, k) => ({ ...l, from: parsed[k]! })).filter((l) => l.kind !== '-');
  for (const [k, line] of newSide.entries()) {
    if (line.text.endsWith('\n')) continue;
    const last = k === newSide.length - 1 && i === old.length;
    if (last) continue;
    return {
      error:
        line.kind === '+'
          ? `line ${line.from.lineNo} of the edited hunk has no newline at its end, but it is not the last line of the file`
          : `the edited hunk adds lines after its line ${line.from.lineNo}, the last line of the file, which has no newline at its end; make that line a '-' line and add it again as a '+' line`,
    };
  }
  return { hunk: makeHunk(at, at + newIndex(original) - oldIndex(original), lines) };
}
