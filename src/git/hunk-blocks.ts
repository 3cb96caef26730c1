/**
 * The primitives of hunk algebra: numbering a hunk as git does, the runs of changed lines a hunk
 * makes, checking a hunk against the old lines, and writing a hunk's lines as a patch does. Pure.
 */

import type { Hunk, HunkLine } from './hunk.js';

/** Thrown when a hunk does not match the content it is applied to, or two hunks change the same lines. */
export class HunkApplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HunkApplyError';
  }
}

/**
 * One run of changed lines of a hunk: `deleted` old lines from the 0-based old line index `at` are
 * replaced by the `added` lines (a pure insertion goes before old line `at`).
 */
export interface ChangeBlock {
  at: number;
  deleted: number;
  added: string[];
}

/**
 * A hunk whose first line is at the 0-based old index `oldIdx` and new index `newIdx`, with the
 * counts taken from its lines and the starts numbered as git numbers them (an empty side starts at
 * the line before it).
 */
export function makeHunk(oldIdx: number, newIdx: number, lines: HunkLine[]): Hunk {
  const oldLines = lines.filter((l) => l.kind !== '+').length;
  const newLines = lines.filter((l) => l.kind !== '-').length;
  return {
    oldStart: oldLines > 0 ? oldIdx + 1 : oldIdx,
    oldLines,
    newStart: newLines > 0 ? newIdx + 1 : newIdx,
    newLines,
    lines,
  };
}

/** The 0-based old line index of a hunk's first line (its insertion point when it has no old lines). */
export function oldIndex(h: Hunk): number {
  return h.oldLines > 0 ? h.oldStart - 1 : h.oldStart;
}

/** The 0-based new line index of a hunk's first line. */
export function newIndex(h: Hunk): number {
  return h.newLines > 0 ? h.newStart - 1 : h.newStart;
}

/** The runs of changed lines of a hunk, placed by its old start; nothing is checked. */
export function changeBlocks(h: Hunk): ChangeBlock[] {
  const blocks: ChangeBlock[] = [];
  let block: ChangeBlock | undefined;
  let i = oldIndex(h);
  for (const line of h.lines) {
    if (line.kind === ' ') {
      block = undefined;
    } else {
      if (!block) {
        block = { at: i, deleted: 0, added: [] };
        blocks.push(block);
      }
      if (line.kind === '+') block.added.push(line.text);
      else block.deleted++;
    }
    if (line.kind !== '+') i++;
  }
  return blocks;
}

/**
 * The change blocks of a hunk after checking that its context and '-' lines are the old lines at
 * its place and that its counts are its lines'; throws HunkApplyError otherwise.
 */
export function checkHunk(h: Hunk, old: readonly string[]): ChangeBlock[] {
  const counted = makeHunk(0, 0, h.lines);
  if (counted.oldLines !== h.oldLines || counted.newLines !== h.newLines) {
    throw new HunkApplyError(`hunk ${formatHunkHeader(h)} has ${counted.oldLines} old and ${counted.newLines} new lines`);
  }
  let i = oldIndex(h);
  for (const line of h.lines) {
    if (line.kind === '+') continue;
    if (old[i] !== line.text) {
      const found = old[i] === undefined ? 'the file ends there' : `the file has ${JSON.stringify(old[i])}`;
      throw new HunkApplyError(
        `hunk ${formatHunkHeader(h)} does not apply at line ${i + 1}: it expects ${JSON.stringify(line.text)}, ${found}`,
      );
    }
    i++;
  }
  return changeBlocks(h);
}

/** Whether two change blocks touch the same old lines or the same place, so that neither order is right. */
export function blocksOverlap(a: ChangeBlock, b: ChangeBlock): boolean {
  if (a.at === b.at) return true;
  return a.at < b.at ? b.at < a.at + a.deleted : a.at < b.at + b.deleted;
}

/** The blocks in file order; throws HunkApplyError when two overlap or a line would follow a last line. */
export function orderBlocks(blocks: ChangeBlock[]): ChangeBlock[] {
  const sorted = [...blocks].sort((a, b) => a.at - b.at);
  for (let k = 1; k < sorted.length; k++) {
    const prev = sorted[k - 1]!;
    const next = sorted[k]!;
    const unterminated = prev.added.length > 0 && !prev.added[prev.added.length - 1]!.endsWith('\n');
    if (blocksOverlap(prev, next) || unterminated) {
      throw new HunkApplyError(`two hunks change the same lines of the file, at line ${next.at + 1}`);
    }
  }
  return sorted;
}

/** A hunk header as git writes it, `@@ -a,b +c,d @@`, without the ",1" of one-line sides. */
export function formatHunkHeader(h: Hunk): string {
  const side = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);
  return `@@ -${side(h.oldStart, h.oldLines)} +${side(h.newStart, h.newLines)} @@`;
}

/** A hunk's lines as a patch writes them: a marker, the line without "\n", git's no-newline marker. */
export function formatHunkLines(h: Hunk): string {
  return h.lines
    .map((l) => `${l.kind}${l.text.endsWith('\n') ? l.text : `${l.text}\n\\ No newline at end of file\n`}`)
    .join('');
}
