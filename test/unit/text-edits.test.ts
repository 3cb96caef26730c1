import { describe, expect, it } from 'vitest';
import { placeText } from '../../src/agent/tools/replace-symbol.js';
import { applyTextEdits, textAt } from '../../src/lsp/text-edits.js';

const at = (line: number, character: number) => ({ line, character });

describe('LSP positions and edits', () => {
  it('maps positions in LF and CRLF text, and clamps a character past the end of its line', () => {
    const crlf = 'one\r\ntwo\r\nthree';
    expect(textAt(crlf, { start: at(1, 0), end: at(1, 3) })).toBe('two');
    expect(textAt(crlf, { start: at(1, 1), end: at(1, 99) })).toBe('wo');
    expect(textAt(crlf, { start: at(2, 0), end: at(2, 5) })).toBe('three');
    expect(textAt(crlf, { start: at(3, 0), end: at(3, 1) })).toBeUndefined();
    expect(textAt('a😀b\n', { start: at(0, 1), end: at(0, 3) })).toBe('😀');
  });

  it('applies edits in any order, checks the old text, and refuses overlaps', () => {
    const text = 'let a = f(a);\nreturn f(a);\n';
    const edits = [
      { range: { start: at(1, 7), end: at(1, 8) }, newText: 'g' },
      { range: { start: at(0, 8), end: at(0, 9) }, newText: 'g' },
    ];
    expect(applyTextEdits(text, edits)).toBe('let a = g(a);\nreturn g(a);\n');
    expect(applyTextEdits(text, edits, (old) => (old === 'f' ? undefined : `saw ${old}`))).toBe('let a = g(a);\nreturn g(a);\n');
    expect(applyTextEdits(text, edits, () => 'stale')).toEqual({ error: 'stale' });
    expect(applyTextEdits(text, [...edits, { range: { start: at(0, 8), end: at(0, 10) }, newText: 'x' }])).toEqual({
      error: 'the edits overlap',
    });
    expect(applyTextEdits(text, [{ range: { start: at(9, 0), end: at(9, 1) }, newText: 'x' }])).toEqual({
      error: 'an edit at line 10 lies outside the file',
    });
  });
});

describe('placeText (replace_symbol)', () => {
  it('indents a declaration written from column 0 to the place of the old one', () => {
    expect(placeText('total(): string {\n  return "";\n}\n', '  ', '\n')).toBe('total(): string {\n    return "";\n  }');
  });

  it('keeps a declaration already written at its indentation, and the file\'s line ends', () => {
    expect(placeText('  total() {\r\n    return 1;\r\n  }', '  ', '\r\n')).toBe('total() {\r\n    return 1;\r\n  }');
    expect(placeText('function f() {\n}\n', '', '\n')).toBe('function f() {\n}');
  });
});
