import { describe, expect, it } from 'vitest';
import { editFileTool } from '../../../src/agent/tools/edit-file.js';
import { replaceOnce } from '../../../src/agent/tools/match-text.js';
import { createContext, gitdir, read } from './context.js';

const CONFIG = [
  'export function load(path: string) {',
  '  const text = read(path);',
  '  if (!text) {',
  '    return undefined;',
  '  }',
  '  return parse(text);',
  '}',
  '',
  'export function save(path: string) {',
  '  if (!text) {',
  '    return undefined;',
  '  }',
  '}',
  '',
].join('\n');

function proposed(ctx: ReturnType<typeof createContext>): string | null | undefined {
  return ctx.proposals[0]?.files[0]?.content;
}

describe('edit_file', () => {
  const root = gitdir({
    'src/config.ts': CONFIG,
    'src/win.ts': 'function a() {\r\n  return 1;\r\n}\r\n',
    'src/tabs.go': 'func main() {\n\tif ok {\n\t\trun()\n\t}\n}\n',
    'src/image.png': Buffer.from([0x89, 0x50, 0, 0, 1]),
  });

  it('replaces a unique exact match and proposes the whole new file', async () => {
    const ctx = createContext(root);
    const result = await editFileTool.run(
      { path: 'src/config.ts', old_text: '  return parse(text);', new_text: '  return parse(text, path);' },
      ctx,
    );
    expect(result.isError).toBeUndefined();
    expect(result.content).toBe('Applied edit_file src/config.ts.');
    expect(ctx.proposals).toHaveLength(1);
    expect(ctx.proposals[0]?.action).toBe('edit_file src/config.ts');
    expect(ctx.proposals[0]?.files[0]?.path).toBe('src/config.ts');
    expect(proposed(ctx)).toBe(CONFIG.replace('parse(text);', 'parse(text, path);'));
    expect(read(root, 'src/config.ts')).toBe(CONFIG);
  });

  it('refuses an old_text that occurs twice, naming the lines of both', async () => {
    const ctx = createContext(root);
    const result = await editFileTool.run(
      { path: 'src/config.ts', old_text: '  if (!text) {\n    return undefined;', new_text: '  if (!text) {\n    return null;' },
      ctx,
    );
    expect(result.isError).toBe(true);
    expect(result.content).toBe(
      'old_text occurs 2 times in src/config.ts, at lines 3-4 and 10-11; include more surrounding lines in old_text so that it matches only one of them.',
    );
    expect(ctx.proposals).toEqual([]);
  });

  it('matches despite different indentation and re-indents new_text by the difference', async () => {
    const ctx = createContext(root);
    const old_text = 'const text = read(path);\nif (!text) {\n  return undefined;\n}';
    const new_text = 'const text = read(path);\nif (text === undefined) {\n  throw new Error(path);\n}\nlog(text);';
    const result = await editFileTool.run({ path: 'src/config.ts', old_text, new_text }, ctx);
    expect(result.isError).toBeUndefined();
    expect(result.details).toContain('matched ignoring whitespace');
    expect(proposed(ctx)).toBe(
      CONFIG.replace(
        '  const text = read(path);\n  if (!text) {\n    return undefined;\n  }\n',
        '  const text = read(path);\n  if (text === undefined) {\n    throw new Error(path);\n  }\n  log(text);\n',
      ),
    );
  });

  it('re-indents spaces to a file indented with tabs', async () => {
    const ctx = createContext(root);
    const old_text = '    if ok {\n        run()\n    }\n';
    const new_text = '    if ok {\n        run()\n        done()\n    }\n';
    await editFileTool.run({ path: 'src/tabs.go', old_text, new_text }, ctx);
    expect(proposed(ctx)).toBe('func main() {\n\tif ok {\n\t\trun()\n\t\tdone()\n\t}\n}\n');
  });

  it('keeps CRLF line endings, in exact and in tolerant matches', async () => {
    const exact = createContext(root);
    await editFileTool.run({ path: 'src/win.ts', old_text: '  return 1;\n}', new_text: '  return 2;\n}' }, exact);
    expect(proposed(exact)).toBe('function a() {\r\n  return 2;\r\n}\r\n');
    const tolerant = createContext(root);
    await editFileTool.run(
      { path: 'src/win.ts', old_text: '    return 1;\n}\n', new_text: '    const x = 1;\n    return x;\n}\n' },
      tolerant,
    );
    expect(proposed(tolerant)).toBe('function a() {\r\n  const x = 1;\r\n  return x;\r\n}\r\n');
  });

  it('answers a missing old_text with the closest lines, numbered', async () => {
    const ctx = createContext(root);
    const result = await editFileTool.run(
      { path: 'src/config.ts', old_text: 'export function save(p: string) {\n  if (!txt) {', new_text: 'x' },
      ctx,
    );
    expect(result.isError).toBe(true);
    expect(result.content).toBe(
      [
        'old_text was not found in src/config.ts; the closest lines are 9-10:',
        ' 9│ export function save(path: string) {',
        '10│   if (!text) {',
        'Copy the text exactly from read_file (without the line numbers) and call edit_file again.',
      ].join('\n'),
    );
    expect(ctx.proposals).toEqual([]);
  });

  it('accepts old_text copied with read_file line numbers', async () => {
    const ctx = createContext(root);
    const result = await editFileTool.run(
      { path: 'src/config.ts', old_text: ' 6│   return parse(text);\n 7│ }', new_text: '  return parse(text)!;\n}' },
      ctx,
    );
    expect(result.isError).toBeUndefined();
    expect(proposed(ctx)).toBe(CONFIG.replace('parse(text);', 'parse(text)!;'));
  });

  it('refuses an empty old_text, an unchanged text, a missing file, a folder and a binary file', async () => {
    const run = (args: { path: string; old_text: string; new_text: string }) =>
      editFileTool.run(args, createContext(root));
    expect((await run({ path: 'src/config.ts', old_text: '', new_text: 'x' })).content).toContain('write_file');
    expect((await run({ path: 'src/config.ts', old_text: 'a', new_text: 'a' })).content).toContain('are the same');
    expect((await run({ path: 'src/nope.ts', old_text: 'a', new_text: 'b' })).content).toContain(
      'src/nope.ts does not exist',
    );
    expect((await run({ path: 'src', old_text: 'a', new_text: 'b' })).content).toContain('is a directory');
    expect((await run({ path: 'src/image.png', old_text: 'a', new_text: 'b' })).content).toContain('binary');
    expect((await run({ path: '../x', old_text: 'a', new_text: 'b' })).isError).toBe(true);
  });

  it('does not edit a file the config withholds from reading: a miss would answer with its lines', async () => {
    const rules = [{ class: 'read' as const, pattern: 'src/config.ts', decision: 'deny' as const, source: 'user.json' }];
    const ctx = createContext(root, { rules });
    const result = await editFileTool.run({ path: 'src/config.ts', old_text: 'export function save(p: string) {', new_text: 'x' }, ctx);
    expect(result.isError).toBe(true);
    expect(result.content).toBe(
      'Editing src/config.ts is not allowed: the config denies it (permissions.read "src/config.ts" in user.json). Leave that file alone.',
    );
    expect(ctx.proposals).toEqual([]);
  });

  it('never asks a read approval: refusing reads does not stop an edit', async () => {
    const ctx = createContext(root, { answers: [{ allowed: false, reason: 'no reads' }] });
    const result = await editFileTool.run(
      { path: 'src/config.ts', old_text: 'return parse(text);', new_text: 'return parse(text) ?? {};' },
      ctx,
    );
    expect(result.isError).toBeUndefined();
    expect(ctx.approvals).toEqual([]);
    expect(ctx.proposals).toHaveLength(1);
  });
});

describe('replaceOnce', () => {
  it('reports a tolerant match found twice', () => {
    const result = replaceOnce('a\n  x\nb\n\tx\n', 'x ', 'y');
    expect(result).toEqual({ kind: 'ambiguous', ranges: [[2, 2], [4, 4]], tolerant: true });
    const exact = replaceOnce('a\n  x\nb\n\tx\n', 'x', 'y');
    expect(exact).toEqual({ kind: 'ambiguous', ranges: [[2, 2], [4, 4]], tolerant: false });
    const lines = replaceOnce('  f(a,  b)\n\tf(a, b)\n', 'f(a, b) \n', 'g()');
    expect(lines).toEqual({ kind: 'ambiguous', ranges: [[1, 1], [2, 2]], tolerant: true });
  });

  it('deletes lines when new_text is empty', () => {
    const result = replaceOnce('a\n  b\nc\n', 'b \n', '');
    expect(result).toMatchObject({ kind: 'replaced', content: 'a\nc\n' });
  });

  it('keeps the final line without a newline', () => {
    const result = replaceOnce('a\n  b', 'b  ', 'c');
    expect(result).toMatchObject({ kind: 'replaced', content: 'a\n  c', tolerant: true });
  });

  it('indents the following lines of new_text when a one-line old_text is found after indentation', () => {
    const result = replaceOnce('f() {\n    return 1;\n}\n', 'return 1;', 'const x = 1;\n\nreturn x;');
    expect(result).toMatchObject({ kind: 'replaced', content: 'f() {\n    const x = 1;\n\n    return x;\n}\n' });
  });

  it('finds the closest region of a long file', () => {
    const file = Array.from({ length: 400 }, (_, i) => `value_${i} = compute(${i})`).join('\n');
    const result = replaceOnce(file, 'value_123 = compute(12)\nvalue_124 = compute(12)', 'x');
    expect(result).toEqual({ kind: 'not_found', closest: [124, 125] });
  });
});
