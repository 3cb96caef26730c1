import { describe, expect, it } from 'vitest';
import type { Hunk } from '../../src/git/hunk.js';
import { formatHunkHeader, HunkApplyError } from '../../src/git/hunk-blocks.js';
import { formatHunkForEdit, parseEditedHunk } from '../../src/git/hunk-edit.js';
import { applyHunks, diffFile, splitHunk } from '../../src/git/hunks.js';
import { decodeText, dominantEol, isBinary, splitLines } from '../../src/git/text.js';

/** mulberry32: a small seeded generator, so that every run tests the same cases. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function subsetOf<T>(rand: () => number, items: readonly T[]): T[] {
  return items.filter(() => rand() < 0.5);
}

function shuffled<T>(rand: () => number, items: readonly T[]): T[] {
  return items
    .map((item) => ({ item, key: rand() }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);
}

const WORDS = ['a', 'b', 'c', 'd', '', 'x y'];

/** Old and new content over a small alphabet, some CRLF, some without a final newline, some missing. */
function randomCase(rand: () => number): { old: string | null; new: string | null } {
  const eol = rand() < 0.3 ? '\r\n' : '\n';
  const oldBodies = Array.from({ length: Math.floor(rand() * 16) }, () => pick(rand, WORDS));
  const newBodies: string[] = [];
  for (const body of oldBodies) {
    const r = rand();
    if (r < 0.25) newBodies.push(r < 0.12 ? pick(rand, WORDS) : `${body}!`);
    else if (r > 0.12 + 0.25 || rand() < 0.5) newBodies.push(body);
    if (rand() < 0.1) newBodies.push(pick(rand, WORDS));
  }
  const text = (bodies: string[], noEol: boolean, otherEol: number) =>
    bodies
      .map((b, i) => b + (i === bodies.length - 1 && noEol ? '' : rand() < otherEol ? '\n' : eol))
      .join('');
  const oldText = text(oldBodies, rand() < 0.3, 0);
  const newText = text(newBodies, rand() < 0.3, 0.05);
  const r = rand();
  return { old: r < 0.05 ? null : oldText, new: r > 0.95 ? null : newText };
}

/** A text of numbered lines "l1".."ln" with the given line ending. */
function numbered(n: number, eol = '\n'): string {
  return Array.from({ length: n }, (_, i) => `l${i + 1}${eol}`).join('');
}

function replaceLines(text: string, replacements: Record<number, string[]>): string {
  return splitLines(text)
    .flatMap((line, i) => replacements[i + 1] ?? [line])
    .join('');
}

const headers = (hunks: Hunk[]) => hunks.map(formatHunkHeader);

describe('text', () => {
  it('finds binary files by a NUL in the first 8000 bytes, as git does', () => {
    expect(isBinary(new Uint8Array([104, 0, 105]))).toBe(true);
    const late = new Uint8Array(9000).fill(97);
    late[8500] = 0;
    expect(isBinary(late)).toBe(false);
    expect(isBinary(new TextEncoder().encode('plain\n'))).toBe(false);
  });

  it('decodes only UTF-8 that encodes back to the same bytes', () => {
    expect(decodeText(new TextEncoder().encode('héllo\r\n'))).toBe('héllo\r\n');
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa');
    expect(decodeText(new Uint8Array([0x61, 0xe9, 0x62]))).toBeNull();
    expect(decodeText(new Uint8Array([0xc0, 0xaf]))).toBeNull();
  });

  it('finds the dominant line ending and splits lines with their terminators', () => {
    expect(dominantEol('a\r\nb\r\nc\n')).toBe('\r\n');
    expect(dominantEol('a\r\nb\n')).toBe('\n');
    expect(dominantEol('none')).toBe('\n');
    expect(splitLines('a\r\nb\rc\nd')).toEqual(['a\r\n', 'b\rc\n', 'd']);
    expect(splitLines('')).toEqual([]);
  });
});

describe('diffFile', () => {
  it('has no hunks for identical content', () => {
    expect(diffFile('f', 'a\nb\n', 'a\nb\n').hunks).toEqual([]);
  });

  it('keeps each line exactly, terminator included', () => {
    const change = diffFile('f', 'a\nb\nc\n', 'a\nB\nc\n');
    expect(change.kind).toBe('modify');
    expect(change.hunks).toEqual([
      {
        oldStart: 1,
        oldLines: 3,
        newStart: 1,
        newLines: 3,
        lines: [
          { kind: ' ', text: 'a\n' },
          { kind: '-', text: 'b\n' },
          { kind: '+', text: 'B\n' },
          { kind: ' ', text: 'c\n' },
        ],
      },
    ]);
  });

  it('keeps CRLF on every line of a CRLF file', () => {
    const old = numbered(5, '\r\n');
    const next = replaceLines(old, { 3: ['L3\r\n', 'new\r\n'] });
    const change = diffFile('f', old, next);
    expect(change.hunks[0]!.lines.every((l) => l.text.endsWith('\r\n'))).toBe(true);
    expect(applyHunks(old, change.hunks)).toBe(next);
  });

  it.each([
    ['added', 'a\nb', 'a\nb\n', ['b', 'b\n']],
    ['removed', 'a\nb\n', 'a\nb', ['b\n', 'b']],
    ['kept', 'a\nb', 'a\nc', ['b', 'c']],
  ])('handles a missing newline at end of file (%s)', (_, old, next, [removed, added]) => {
    const change = diffFile('f', old, next);
    expect(change.hunks[0]!.lines).toEqual([
      { kind: ' ', text: 'a\n' },
      { kind: '-', text: removed },
      { kind: '+', text: added },
    ]);
    expect(applyHunks(old, change.hunks)).toBe(next);
  });

  it('makes a new file and a deleted file one hunk numbered as git numbers them', () => {
    const created = diffFile('f', null, 'x\ny\n');
    expect([created.kind, created.oldContent, headers(created.hunks)]).toEqual(['create', '', ['@@ -0,0 +1,2 @@']]);
    const deleted = diffFile('f', 'x\n', null);
    expect([deleted.kind, deleted.newContent, headers(deleted.hunks)]).toEqual(['delete', '', ['@@ -1 +0,0 @@']]);
    expect(applyHunks('x\n', deleted.hunks)).toBe('');
  });

  it('gives a new or deleted empty file one hunk without lines', () => {
    const empty = { oldStart: 0, oldLines: 0, newStart: 0, newLines: 0, lines: [] };
    for (const change of [diffFile('e', null, ''), diffFile('e', '', null)]) {
      expect(change.hunks).toEqual([empty]);
      expect(applyHunks('', change.hunks)).toBe('');
    }
  });

  it('edits the first and last lines in separate hunks', () => {
    const old = numbered(10);
    const next = replaceLines(old, { 1: ['L1\n'], 10: ['L10\n'] });
    const change = diffFile('f', old, next);
    expect(headers(change.hunks)).toEqual(['@@ -1,4 +1,4 @@', '@@ -7,4 +7,4 @@']);
    expect(applyHunks(old, [change.hunks[1]!])).toBe(replaceLines(old, { 10: ['L10\n'] }));
  });

  it('joins change blocks 6 lines apart into one hunk and keeps 7 lines apart separate', () => {
    const old = numbered(20);
    expect(diffFile('f', old, replaceLines(old, { 5: ['x\n'], 12: ['y\n'] })).hunks).toHaveLength(1);
    expect(diffFile('f', old, replaceLines(old, { 5: ['x\n'], 13: ['y\n'] })).hunks).toHaveLength(2);
  });
});

describe('formatHunkHeader', () => {
  it('leaves out counts of 1 as git does', () => {
    const hunk = { oldStart: 3, oldLines: 1, newStart: 3, newLines: 2, lines: [] };
    expect(formatHunkHeader(hunk)).toBe('@@ -3 +3,2 @@');
  });
});

describe('splitHunk', () => {
  const old = numbered(12);
  const changes: Record<number, string[]> = { 2: ['L2a\n', 'L2b\n'], 5: ['L5\n'], 8: [] };
  const hunk = diffFile('f', old, replaceLines(old, changes)).hunks[0]!;

  it('splits at the context between change blocks, the context going to both parts', () => {
    expect(formatHunkHeader(hunk)).toBe('@@ -1,11 +1,11 @@');
    const parts = splitHunk(hunk);
    expect(headers(parts)).toEqual(['@@ -1,4 +1,5 @@', '@@ -3,5 +4,5 @@', '@@ -6,6 +7,5 @@']);
    expect(parts[1]!.lines.map((l) => l.kind + l.text)).toEqual([' l3\n', ' l4\n', '-l5\n', '+L5\n', ' l6\n', ' l7\n']);
  });

  it('applies every subset of the parts as those changes alone', () => {
    const parts = splitHunk(hunk);
    const keys = [2, 5, 8];
    for (let mask = 0; mask < 8; mask++) {
      const chosen = parts.filter((_, k) => mask & (1 << k));
      const expected = Object.fromEntries(keys.filter((_, k) => mask & (1 << k)).map((n) => [n, changes[n]!]));
      expect(applyHunks(old, chosen)).toBe(replaceLines(old, expected));
      expect(applyHunks(old, [...chosen].reverse())).toBe(replaceLines(old, expected));
    }
  });

  it('returns a hunk with one change block alone', () => {
    const single = diffFile('f', 'a\nb\nc\n', 'x\ny\nc\n').hunks[0]!;
    expect(splitHunk(single)).toEqual([single]);
  });
});

describe('applyHunks', () => {
  const old = numbered(6);
  const change = diffFile('f', old, replaceLines(old, { 3: ['X\n'] }));

  it('refuses a hunk whose context does not match', () => {
    expect(() => applyHunks(replaceLines(old, { 2: ['other\n'] }), change.hunks)).toThrow(HunkApplyError);
    expect(() => applyHunks(replaceLines(old, { 2: ['other\n'] }), change.hunks)).toThrow(/line 2/);
  });

  it('refuses the same change twice', () => {
    expect(() => applyHunks(old, [change.hunks[0]!, change.hunks[0]!])).toThrow(HunkApplyError);
  });
});

describe('seeded random changes', () => {
  it('applies all, none, every split part and any subset consistently', () => {
    const rand = seeded(20240611);
    let hunkCount = 0;
    for (let n = 0; n < 400; n++) {
      const { old, new: next } = randomCase(rand);
      const change = diffFile('f', old, next);
      const parts = change.hunks.flatMap(splitHunk);
      hunkCount += parts.length;
      expect(applyHunks(change.oldContent, change.hunks)).toBe(change.newContent);
      expect(applyHunks(change.oldContent, [])).toBe(change.oldContent);
      expect(applyHunks(change.oldContent, shuffled(rand, parts))).toBe(change.newContent);
      const chosen = subsetOf(rand, change.hunks);
      const viaParts = shuffled(rand, chosen.flatMap(splitHunk));
      expect(applyHunks(change.oldContent, viaParts)).toBe(applyHunks(change.oldContent, chosen));
      for (const part of parts.filter((p) => p.lines.length > 0)) {
        const unedited = parseEditedHunk(part, formatHunkForEdit('f', part), change.oldContent, parts);
        expect(unedited).toEqual({ hunk: part });
      }
    }
    expect(hunkCount).toBeGreaterThan(400);
  });
});

describe('parseEditedHunk', () => {
  const old = numbered(9);
  const next = replaceLines(old, { 4: ['four\n', 'FOUR\n'], 6: [] });
  const change = diffFile('f', old, next);
  const hunk = change.hunks[0]!;
  const text = formatHunkForEdit('f', hunk);
  const edit = (from: string, to: string) => {
    expect(text).toContain(from);
    return parseEditedHunk(hunk, text.replace(from, to), old, []);
  };
  const applied = (result: ReturnType<typeof parseEditedHunk>) => {
    if (!('hunk' in result)) throw new Error(`expected a hunk, got ${JSON.stringify(result)}`);
    return applyHunks(old, [result.hunk]);
  };

  it('writes the hunk and git guide', () => {
    expect(text).toContain('@@ -1,9 +1,9 @@\n l1\n l2\n l3\n-l4\n+four\n+FOUR\n l5\n-l6\n l7\n');
    expect(text).toContain("# To remove '-' lines, make them ' ' lines (context).\n");
    expect(text).toContain("# To remove '+' lines, delete them.\n");
    expect(text).toContain('# Lines starting with # will be removed.\n');
    expect(text).toMatch(/# If all lines of the hunk are removed, then the edit is aborted/);
  });

  it('takes a changed, a dropped and a kept line', () => {
    expect(applied(edit('+FOUR\n', '+quatre\n'))).toBe(replaceLines(old, { 4: ['four\n', 'quatre\n'], 6: [] }));
    expect(applied(edit('+FOUR\n', ''))).toBe(replaceLines(old, { 4: ['four\n'], 6: [] }));
    expect(applied(edit('-l6\n', ' l6\n'))).toBe(replaceLines(old, { 4: ['four\n', 'FOUR\n'] }));
  });

  it('recounts the numbers whether the header is kept, wrong or dropped', () => {
    const expected = replaceLines(old, { 4: ['four\n', 'FOUR\n'], 6: [] });
    expect(applied(edit('@@ -1,9 +1,9 @@\n', '@@ -7,1 +2,2 @@\n'))).toBe(expected);
    const result = edit('@@ -1,9 +1,9 @@\n l1\n l2\n', '');
    expect(applied(result)).toBe(expected);
    expect('hunk' in result && formatHunkHeader(result.hunk)).toBe('@@ -3,7 +3,7 @@');
  });

  it('takes an empty line as an empty context line', () => {
    const blankOld = 'a\n\nb\nc\n';
    const h = diffFile('f', blankOld, 'a\n\nB\nc\n').hunks[0]!;
    const result = parseEditedHunk(h, formatHunkForEdit('f', h).replace('\n \n', '\n\n'), blankOld, []);
    expect('hunk' in result && applyHunks(blankOld, [result.hunk])).toBe('a\n\nB\nc\n');
  });

  it('says which line does not match the file', () => {
    expect(edit(' l5\n', ' l5 changed\n')).toEqual({
      error: 'the edited hunk does not apply: line 9 of it (" l5 changed") does not match the file; the file has "l5"',
    });
    expect(edit('+four\n', '*four\n')).toMatchObject({ error: expect.stringMatching(/^line 7 of the edited hunk starts with "\*"/) });
  });

  it('refuses changes to lines that another hunk of the file changes', () => {
    const parts = splitHunk(hunk);
    const [first, second] = [parts[0]!, parts[1]!];
    const edited = formatHunkForEdit('f', first).replace(' l5\n', ' l5\n-l6\n');
    expect(parseEditedHunk(first, edited, old, [second])).toEqual({
      error: expect.stringMatching(/changes line 6 of the file, which another hunk of this file also changes/),
    });
    expect('hunk' in parseEditedHunk(first, edited, old, [])).toBe(true);
  });

  it('refuses lines added after a last line that has no newline', () => {
    const h = diffFile('f', 'a\nb', 'a\nc').hunks[0]!;
    const edited = formatHunkForEdit('f', h).replace('-b\n', ' b\n').replace('+c\n', '+c\n+d\n');
    expect(parseEditedHunk(h, edited, 'a\nb', [])).toEqual({
      error: expect.stringMatching(/adds lines after its line 4, the last line of the file, which has no newline/),
    });
  });

  it('aborts when no hunk line is left', () => {
    expect(parseEditedHunk(hunk, '', old, [])).toEqual({ aborted: true });
    expect(parseEditedHunk(hunk, '# only a comment\n@@ -1,9 +1,9 @@\n', old, [])).toEqual({ aborted: true });
  });

  it('keeps CRLF when the editor dropped every "\\r"', () => {
    const crlfOld = numbered(5, '\r\n');
    const h = diffFile('f', crlfOld, replaceLines(crlfOld, { 3: ['three\r\n'] })).hunks[0]!;
    const edited = formatHunkForEdit('f', h).replaceAll('\r', '').replace('+three\n', '+three\n+and more\n');
    const result = parseEditedHunk(h, edited, crlfOld, []);
    expect('hunk' in result && applyHunks(crlfOld, [result.hunk])).toBe(
      replaceLines(crlfOld, { 3: ['three\r\n', 'and more\r\n'] }),
    );
  });

  it('honours the no-newline marker of an added last line', () => {
    const h = diffFile('f', 'a\nb\n', 'a\nc').hunks[0]!;
    const text2 = formatHunkForEdit('f', h);
    expect(text2).toContain('+c\n\\ No newline at end of file\n');
    const keep = parseEditedHunk(h, text2.replace('+c\n', '+d\n'), 'a\nb\n', []);
    expect('hunk' in keep && applyHunks('a\nb\n', [keep.hunk])).toBe('a\nd');
    const drop = parseEditedHunk(h, text2.replace('\\ No newline at end of file\n', ''), 'a\nb\n', []);
    expect('hunk' in drop && applyHunks('a\nb\n', [drop.hunk])).toBe('a\nc\n');
  });
});
