import { dominantEol } from '../../git/text.js';

/**
 * The text matching behind edit_file, pure and synchronous: find exactly one occurrence of
 * old_text (exactly, then tolerantly line by line), or say where it occurs several times, or
 * which region of the file is closest. Line numbers are 1-based. It never changes line endings
 * outside the replaced region.
 */

export type MatchResult =
  | { kind: 'replaced'; content: string; startLine: number; endLine: number; tolerant: boolean }
  | { kind: 'ambiguous'; ranges: Array<[number, number]>; tolerant: boolean }
  | { kind: 'not_found'; closest: [number, number] | undefined };

/** Every line break of `text` written as `eol`. */
export function withEol(text: string, eol: '\r\n' | '\n'): string {
  return text.replace(/\r?\n/g, eol);
}

const NUMBERED = /^\s*\d+│ ?/;

/** Removes read_file's `  12│ ` prefixes when every non-blank line carries one (models copy them). */
export function stripLineNumbers(text: string): string {
  const lines = text.split('\n');
  const filled = lines.filter((line) => line.trim() !== '');
  if (filled.length === 0 || !filled.every((line) => NUMBERED.test(line))) return text;
  return lines.map((line) => line.replace(NUMBERED, '')).join('\n');
}

/** Replaces exactly one occurrence of `oldText` in `content` with `newText`, or says why not. */
export function replaceOnce(content: string, oldText: string, newText: string): MatchResult {
  const eol = dominantEol(content);
  const replacement = withEol(newText, eol);
  for (const candidate of new Set([oldText, withEol(oldText, eol)])) {
    const found = occurrences(content, candidate);
    const ranges = lineRanges(content, found, candidate.length);
    const [first] = found;
    if (found.length > 1) return { kind: 'ambiguous', ranges, tolerant: false };
    if (first !== undefined) {
      const indented = candidate.includes('\n') ? replacement : indentFollowing(replacement, content, first);
      const replaced = content.slice(0, first) + indented + content.slice(first + candidate.length);
      const [start, end] = ranges[0] ?? [1, 1];
      return { kind: 'replaced', content: replaced, startLine: start, endLine: end, tolerant: false };
    }
  }
  return replaceTolerant(content, oldText, newText, eol);
}

/**
 * A one-line old_text found after the indentation of its line: the model wrote new_text's lines
 * as if that line started at column 0, so its following lines get the line's indentation too.
 */
function indentFollowing(replacement: string, content: string, at: number): string {
  const prefix = content.slice(content.lastIndexOf('\n', at - 1) + 1, at);
  if (prefix === '' || prefix.trim() !== '') return replacement;
  return replacement.replace(/\n(?=[^\r\n])/g, `\n${prefix}`);
}

function replaceTolerant(content: string, oldText: string, newText: string, eol: string): MatchResult {
  const lines = content.split('\n');
  const fileKeys = lines.map(key);
  const { lines: oldLines, lead, trail } = trimBlankEdges(oldText.replace(/\r\n/g, '\n').split('\n'));
  const oldKeys = oldLines.map(key);
  const m = oldKeys.length;
  if (m === 0) return { kind: 'not_found', closest: undefined };
  const starts: number[] = [];
  for (let i = 0; i + m <= lines.length; i++) {
    if (oldKeys.every((k, j) => fileKeys[i + j] === k)) starts.push(i);
  }
  const ranges = starts.map((i): [number, number] => [i + 1, i + m]);
  const [at] = starts;
  if (starts.length > 1) return { kind: 'ambiguous', ranges, tolerant: true };
  if (at === undefined) return { kind: 'not_found', closest: closestRegion(fileKeys, oldKeys) };

  const newLines = newTextLines(newText, lead, trail);
  const fileIndent = leading(lines[at] ?? '');
  const reindented = reindent(newLines, leading(oldLines[0] ?? ''), fileIndent, usesTabs(lines, fileIndent));
  const lastEnd = (lines[at + m - 1] ?? '').endsWith('\r') ? '\r' : '';
  const inner = eol === '\r\n' ? '\r' : '';
  const written = reindented.map((line, k) => line + (k === reindented.length - 1 ? lastEnd : inner));
  lines.splice(at, m, ...written);
  return { kind: 'replaced', content: lines.join('\n'), startLine: at + 1, endLine: at + m, tolerant: true };
}

/** What two lines are compared by: no CR, no surrounding whitespace, inner runs of blanks as one space. */
function key(line: string): string {
  return line.trim().replace(/\s+/g, ' ');
}

function trimBlankEdges(lines: string[]): { lines: string[]; lead: number; trail: number } {
  let start = 0;
  let end = lines.length;
  while (start < end && (lines[start] ?? '').trim() === '') start++;
  while (end > start && (lines[end - 1] ?? '').trim() === '') end--;
  return { lines: lines.slice(start, end), lead: start, trail: lines.length - end };
}

/**
 * new_text as whole lines: without its final newline (the replaced lines keep theirs), and without
 * the blank edge lines that old_text had and the tolerant match ignored.
 */
function newTextLines(newText: string, lead: number, trail: number): string[] {
  const lines = newText.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return [];
  const blank = (i: number) => (lines[i] ?? 'x').trim() === '';
  let start = 0;
  while (start < lead && blank(start)) start++;
  let end = lines.length;
  // One of old_text's trailing blanks is its final newline, already dropped above.
  while (lines.length - end < trail - 1 && end > start && blank(end - 1)) end--;
  return lines.slice(start, end);
}

function leading(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

function usesTabs(lines: string[], fileIndent: string): boolean {
  if (fileIndent !== '') return fileIndent.includes('\t');
  const tabs = lines.filter((l) => l.startsWith('\t')).length;
  return tabs > lines.filter((l) => l.startsWith(' ')).length;
}

/** Shifts every line by the difference between old_text's first indentation and the file's. */
function reindent(lines: string[], oldIndent: string, fileIndent: string, tabs: boolean): string[] {
  if (oldIndent === fileIndent) return lines;
  const tab = tabWidth(oldIndent, fileIndent);
  const delta = width(fileIndent, tab) - width(oldIndent, tab);
  return lines.map((line) => {
    if (line.trim() === '') return '';
    const indent = leading(line);
    const w = Math.max(0, width(indent, tab) + delta);
    const prefix = tabs ? '\t'.repeat(Math.floor(w / tab)) + ' '.repeat(w % tab) : ' '.repeat(w);
    return prefix + line.slice(indent.length);
  });
}

/** Spaces per tab: inferred when one indentation is all tabs and the other all spaces, else 4. */
function tabWidth(a: string, b: string): number {
  const [tabs, spaces] = /^\t+$/.test(a) ? [a, b] : [b, a];
  if (/^\t+$/.test(tabs) && /^ +$/.test(spaces) && spaces.length % tabs.length === 0) {
    return spaces.length / tabs.length;
  }
  return 4;
}

function width(indent: string, tab: number): number {
  let w = 0;
  for (const c of indent) w += c === '\t' ? tab : 1;
  return w;
}

function occurrences(content: string, text: string): number[] {
  const found: number[] = [];
  if (text === '') return found;
  for (let at = content.indexOf(text); at !== -1; at = content.indexOf(text, at + 1)) found.push(at);
  return found;
}

/** The 1-based first and last lines of each occurrence (`starts` ascending), in one pass. */
function lineRanges(content: string, starts: number[], length: number): Array<[number, number]> {
  let line = 1;
  let scanned = 0;
  const lineOf = (index: number) => {
    for (let i = content.indexOf('\n', scanned); i !== -1 && i < index; i = content.indexOf('\n', i + 1)) {
      line++;
      scanned = i + 1;
    }
    return line;
  };
  return starts.map((at) => {
    const first = lineOf(at);
    const newlines = content.slice(at, at + length - 1).split('\n').length - 1;
    return [first, first + newlines];
  });
}

/**
 * The window of old_text's line count whose lines are most alike old_text's, by the mean bigram
 * similarity of the lines side by side: every window scored on a few of old_text's lines, the
 * best SHORTLIST windows again on up to 20 of them, so that a long file stays fast.
 */
function closestRegion(fileKeys: string[], oldKeys: string[]): [number, number] | undefined {
  const n = fileKeys.length > 1 && fileKeys[fileKeys.length - 1] === '' ? fileKeys.length - 1 : fileKeys.length;
  if (n === 0) return undefined;
  const m = Math.min(oldKeys.length, n);
  const fileGrams: Array<Grams | undefined> = [];
  const gramsOf = (i: number): Grams => {
    const cached = fileGrams[i];
    if (cached) return cached;
    const grams = bigrams(fileKeys[i] ?? '');
    fileGrams[i] = grams;
    return grams;
  };
  const oldGrams = oldKeys.map(bigrams);
  const score = (i: number, sampled: number[]) =>
    sampled.reduce((sum, j) => sum + dice(gramsOf(i + j), oldGrams[j] ?? new Map()), 0);

  const windows = Array.from({ length: n - m + 1 }, (_, i) => i);
  const rough = samples(m, 3);
  const shortlist = windows
    .map((i) => ({ i, s: score(i, rough) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, SHORTLIST);
  const fine = samples(m, 20);
  let best = shortlist[0]?.i ?? 0;
  let bestScore = -1;
  for (const { i } of shortlist.sort((a, b) => a.i - b.i)) {
    const s = score(i, fine);
    if (s > bestScore) [best, bestScore] = [i, s];
  }
  return [best + 1, best + m];
}

const SHORTLIST = 50;

/** Up to `count` line indexes of 0..m-1, evenly spread, first and last included. */
function samples(m: number, count: number): number[] {
  if (m <= count) return Array.from({ length: m }, (_, j) => j);
  return [...new Set(Array.from({ length: count }, (_, k) => Math.round((k * (m - 1)) / (count - 1))))];
}

type Grams = Map<number, number>;

/** Bigram (Dice) similarity of two strings, 0..1. */
export function similarity(a: string, b: string): number {
  return dice(bigrams(a), bigrams(b));
}

function bigrams(text: string): Grams {
  const grams: Grams = new Map();
  const t = text.length === 1 ? `${text} ` : text;
  for (let i = 0; i + 1 < t.length; i++) {
    const g = t.charCodeAt(i) * 65536 + t.charCodeAt(i + 1);
    grams.set(g, (grams.get(g) ?? 0) + 1);
  }
  return grams;
}

function dice(a: Grams, b: Grams): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  let total = 0;
  for (const count of a.values()) total += count;
  for (const count of b.values()) total += count;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const [g, count] of small) shared += Math.min(count, large.get(g) ?? 0);
  return total === 0 ? 0 : (2 * shared) / total;
}
