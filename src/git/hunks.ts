/**
 * Hunks of a file change: computing them, splitting them as `git add -p` does, and applying the
 * approved ones (the types are in hunk.ts, editing one in hunk-edit.ts). Pure functions over
 * strings: exact to the byte (CRLF stays CRLF, a missing newline at end of file stays missing).
 */

import type { StructuredPatchHunk } from 'diff';
import { structuredPatch } from 'diff';
import type { ChangeKind, FileChange, Hunk, HunkLine } from './hunk.js';
import { checkHunk, makeHunk, newIndex, oldIndex, orderBlocks } from './hunk-blocks.js';
import { splitLines } from './text.js';

/** Lines of context around each change, as `git diff` and `git add -p` use. */
const CONTEXT_LINES = 3;

/**
 * The change from old to new content as hunks with 3 lines of context. Null old content is a new
 * file, null new content a deleted one. Identical content has no hunks; a new or deleted empty file
 * has one hunk without lines (all numbers 0), so that it can still be approved or refused.
 */
export function diffFile(path: string, oldContent: string | null, newContent: string | null): FileChange {
  const kind: ChangeKind = oldContent === null ? 'create' : newContent === null ? 'delete' : 'modify';
  const change: FileChange = { path, kind, oldContent: oldContent ?? '', newContent: newContent ?? '', hunks: [] };
  if (kind !== 'modify' && change.oldContent === '' && change.newContent === '') {
    change.hunks.push(makeHunk(0, 0, []));
  } else if (change.oldContent !== change.newContent) {
    const patch = structuredPatch(path, path, change.oldContent, change.newContent, undefined, undefined, {
      context: CONTEXT_LINES,
    });
    const oldLines = splitLines(change.oldContent);
    const newLines = splitLines(change.newContent);
    change.hunks = patch.hunks.map((h) => exactHunk(h, oldLines, newLines));
  }
  return change;
}

/** A hunk of `diff` with our exact line texts; its starts are 1-based, or 0/1 for an empty side. */
function exactHunk(h: StructuredPatchHunk, oldLines: string[], newLines: string[]): Hunk {
  const oldIdx = Math.max(0, h.oldStart - 1);
  const newIdx = Math.max(0, h.newStart - 1);
  let i = oldIdx;
  let j = newIdx;
  const lines: HunkLine[] = [];
  for (const line of h.lines) {
    const kind = line[0];
    if (kind === '\\') continue;
    if (kind !== ' ' && kind !== '-' && kind !== '+') throw new Error(`unexpected diff line ${JSON.stringify(line)}`);
    const text = kind === '+' ? newLines[j] : oldLines[i];
    if (text === undefined || withoutLf(text) !== line.slice(1) || (kind === ' ' && newLines[j] !== text)) {
      throw new Error(`the diff of old line ${i + 1} and new line ${j + 1} does not match the content`);
    }
    if (kind !== '+') i++;
    if (kind !== '-') j++;
    lines.push({ kind, text });
  }
  return makeHunk(oldIdx, newIdx, lines);
}

function withoutLf(line: string): string {
  return line.endsWith('\n') ? line.slice(0, -1) : line;
}

/**
 * Splits a hunk as `git add -p` does with `s`: at every run of context lines between two runs of
 * changes; the context lines of such a run end the part before it and start the part after it.
 * The parts keep the hunk's numbering (new-side starts as in the whole new content). A hunk with
 * one run of changes or fewer comes back alone.
 */
export function splitHunk(hunk: Hunk): Hunk[] {
  const runs: Array<{ start: number; end: number }> = [];
  hunk.lines.forEach((line, n) => {
    if (line.kind === ' ') return;
    const last = runs[runs.length - 1];
    if (last && last.end === n) last.end = n + 1;
    else runs.push({ start: n, end: n + 1 });
  });
  if (runs.length < 2) return [hunk];
  return runs.map((_, k) => {
    const from = k === 0 ? 0 : runs[k - 1]!.end;
    const to = k === runs.length - 1 ? hunk.lines.length : runs[k + 1]!.start;
    const before = hunk.lines.slice(0, from);
    const oldIdx = oldIndex(hunk) + before.filter((l) => l.kind !== '+').length;
    const newIdx = newIndex(hunk) + before.filter((l) => l.kind !== '-').length;
    return makeHunk(oldIdx, newIdx, hunk.lines.slice(from, to));
  });
}

/**
 * The old content with the approved hunks applied: any subset of one diffFile result's hunks, split
 * or edited, in any order, split siblings sharing context. Every context and '-' line is checked
 * against the old content; throws HunkApplyError when one does not match or two hunks overlap.
 */
export function applyHunks(oldContent: string, approved: Hunk[]): string {
  const old = splitLines(oldContent);
  const blocks = orderBlocks(approved.flatMap((h) => checkHunk(h, old)));
  let out = '';
  let i = 0;
  for (const b of blocks) {
    out += old.slice(i, b.at).join('') + b.added.join('');
    i = b.at + b.deleted;
  }
  return out + old.slice(i).join('');
}
