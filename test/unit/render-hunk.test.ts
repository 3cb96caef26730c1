import { describe, expect, it } from 'vitest';
import type { Hunk } from '../../src/git/hunk.js';
import { diffFile } from '../../src/git/hunks.js';
import { colors, createColors, shouldColor } from '../../src/ui/color.js';
import { renderHunk, visible } from '../../src/ui/render-hunk.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };
const ESC = '\x1b[';

describe('colour decision', () => {
  it('colours a terminal and not a pipe', () => {
    expect(shouldColor(tty, {})).toBe(true);
    expect(shouldColor(pipe, {})).toBe(false);
    expect(shouldColor({}, {})).toBe(false);
  });

  it('NO_COLOR (non-empty) turns colour off, an empty NO_COLOR does not', () => {
    expect(shouldColor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(shouldColor(tty, { NO_COLOR: '' })).toBe(true);
  });

  it('FORCE_COLOR turns colour on even for a pipe and over NO_COLOR; "0" and empty do not', () => {
    expect(shouldColor(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldColor(pipe, { FORCE_COLOR: '3', NO_COLOR: '1' })).toBe(true);
    expect(shouldColor(pipe, { FORCE_COLOR: '0' })).toBe(false);
    expect(shouldColor(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(shouldColor(pipe, { FORCE_COLOR: '' })).toBe(false);
  });

  it('createColors styles only when colour is on', () => {
    expect(createColors(tty, {}).red('x')).toBe(`${ESC}31mx${ESC}39m`);
    expect(createColors(pipe, {}).red('x')).toBe('x');
    expect(createColors(pipe, { FORCE_COLOR: '1' }).enabled).toBe(true);
    expect(colors(true).bold('')).toBe('');
  });
});

describe('renderHunk', () => {
  const change = diffFile('src/a.ts', 'one\ntwo\nthree\n', 'one\n2\nthree\n');
  const hunk = change.hunks[0]!;

  it('without colour: file header, @@ header, the lines as git shows them', () => {
    expect(renderHunk(change, hunk, { colors: colors(false) })).toBe(
      [
        'diff --git a/src/a.ts b/src/a.ts',
        '--- a/src/a.ts',
        '+++ b/src/a.ts',
        '@@ -1,3 +1,3 @@',
        ' one',
        '-two',
        '+2',
        ' three',
        '',
      ].join('\n'),
    );
  });

  it('with colour: bold header, cyan @@, red and green lines, plain context', () => {
    const out = renderHunk(change, hunk, { colors: colors(true) }).split('\n');
    expect(out[0]).toBe(`${ESC}1mdiff --git a/src/a.ts b/src/a.ts${ESC}22m`);
    expect(out[3]).toBe(`${ESC}36m@@ -1,3 +1,3 @@${ESC}39m`);
    expect(out[4]).toBe(' one');
    expect(out[5]).toBe(`${ESC}31m-two${ESC}39m`);
    expect(out[6]).toBe(`${ESC}32m+2${ESC}39m`);
  });

  it('notes go under the file header; new and deleted files say so', () => {
    const created = diffFile('n.txt', null, 'hi\n');
    const out = renderHunk(created, created.hunks[0]!, { colors: colors(false), notes: ['n.txt:1 warning'] });
    expect(out.split('\n').slice(0, 6)).toEqual([
      'diff --git a/n.txt b/n.txt',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/n.txt',
      'n.txt:1 warning',
      '@@ -0,0 +1 @@',
    ]);
    const deleted = diffFile('d.txt', 'bye\n', null);
    expect(renderHunk(deleted, deleted.hunks[0]!, { colors: colors(false) })).toContain('deleted file mode 100644\n--- a/d.txt\n+++ /dev/null\n');
    expect(renderHunk(change, hunk, { colors: colors(false), fileHeader: false })).toMatch(/^@@ /);
  });

  it('CRLF lines show without their CR', () => {
    const crlf = diffFile('w.txt', 'a\r\nb\r\nc\r\n', 'a\r\nB\r\nc\r\n');
    const out = renderHunk(crlf, crlf.hunks[0]!, { colors: colors(false) });
    expect(out).not.toContain('\r');
    expect(out).not.toContain('^M');
    expect(out).toContain(' a\n-b\n+B\n c\n');
  });

  it('a line without a terminator is followed by git\'s no-newline marker', () => {
    const noEol = diffFile('e.txt', 'a\nb', 'a\nc');
    const out = renderHunk(noEol, noEol.hunks[0]!, { colors: colors(true) });
    expect(out).toContain(`${ESC}31m-b${ESC}39m\n\\ No newline at end of file\n`);
    expect(out).toContain(`${ESC}32m+c${ESC}39m\n\\ No newline at end of file\n`);
  });

  it('control characters in content cannot drive the terminal', () => {
    const evil: Hunk = { oldStart: 1, oldLines: 0, newStart: 1, newLines: 1, lines: [{ kind: '+', text: 'x\x1b[2Jy\rz\t!\n' }] };
    const out = renderHunk({ path: 'p', kind: 'modify' }, evil, { colors: colors(false) });
    expect(out).toContain('+x^[[2Jy^Mz\t!\n');
    expect(visible('\x7f\x00')).toBe('^?^@');
  });
});

describe('the function context of a hunk header (git default funcname)', () => {
  const source = [
    'import { x } from "./x";',
    '',
    'export function total(items: number[]): number {',
    '  let sum = 0;',
    '  for (const item of items) {',
    '    sum += item;',
    '  }',
    '  // the end',
    '  return sum;',
    '}',
    '',
  ].join('\n');

  it('names the nearest line above the hunk that starts a declaration, as git does', () => {
    const change = diffFile('src/total.ts', source, source.replace('  return sum;', '  return sum * 2;'));
    const shown = renderHunk(change, change.hunks[0] as Hunk, { colors: colors(false), fileHeader: false });
    expect(shown.split('\n')[0]).toBe('@@ -6,5 +6,5 @@ export function total(items: number[]): number {');
  });

  it('has none for a new file, or above the first declaration', () => {
    const created = diffFile('src/new.ts', null, 'export const a = 1;\n');
    expect(renderHunk(created, created.hunks[0] as Hunk, { colors: colors(false), fileHeader: false }).split('\n')[0]).toBe('@@ -0,0 +1 @@');
    const top = diffFile('src/total.ts', source, source.replace('import { x }', 'import { y }'));
    expect(renderHunk(top, top.hunks[0] as Hunk, { colors: colors(false), fileHeader: false }).split('\n')[0]).toBe('@@ -1,4 +1,4 @@');
  });
});
