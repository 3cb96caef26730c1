import { describe, expect, it } from 'vitest';
import { grepTool } from '../../../src/agent/tools/grep.js';
import { createContext, gitdir } from './context.js';

describe('grep', () => {
  const root = gitdir(
    {
      '.gitignore': 'dist/\n',
      'src/config.ts': 'export function parseConfig(text: string) {\n  return text;\n}\n',
      'src/main.ts': "import { parseConfig } from './config.js';\nparseConfig('x');\n",
      'docs/notes:v2.md': 'parseConfig is documented here\n',
      'assets/blob.bin': Buffer.concat([Buffer.from('parseConfig'), Buffer.from([0, 1, 2])]),
      'src/long.ts': `const s = "${'a'.repeat(500)}"; // parseConfig\n`,
    },
    { untracked: { 'src/new.ts': 'parseConfig(1);\n', 'dist/out.js': 'parseConfig(2);\n' } },
  );

  it('finds matching lines as path:line: text, in tracked and new files', async () => {
    const ctx = createContext(root);
    const result = await grepTool.run({ pattern: 'parseConfig\\(', path: 'src' }, ctx);
    expect(result.content).toBe(
      [
        'src/config.ts:1: export function parseConfig(text: string) {',
        "src/main.ts:2: parseConfig('x');",
        'src/new.ts:1: parseConfig(1);',
      ].join('\n'),
    );
    expect(ctx.approvals).toEqual([{ class: 'read', tool: 'grep', subject: 'parseConfig\\( in src', path: 'src' }]);
  });

  it('skips ignored and binary files, and handles colons in paths', async () => {
    const result = await grepTool.run({ pattern: 'parseConfig' }, createContext(root));
    expect(result.content).toContain('docs/notes:v2.md:1: parseConfig is documented here');
    expect(result.content).not.toContain('dist/');
    expect(result.content).not.toContain('blob.bin');
  });

  it('cuts long lines at 300 characters', async () => {
    const result = await grepTool.run({ pattern: 'aaaa', path: 'src/long.ts' }, createContext(root));
    expect(result.content.startsWith('src/long.ts:1: const s = "aaa')).toBe(true);
    expect(result.content.endsWith(' [...]')).toBe(true);
    expect(result.content.length).toBeLessThan(330);
  });

  it('says plainly when nothing matches', async () => {
    const result = await grepTool.run({ pattern: 'nothingLikeThis', path: 'src' }, createContext(root));
    expect(result).toEqual({ content: 'No matches for nothingLikeThis in src.' });
  });

  it("reports an invalid regex with git's message and how to fix it", async () => {
    const result = await grepTool.run({ pattern: 'parseConfig(' }, createContext(root));
    expect(result.isError).toBe(true);
    expect(result.content).toContain('Unmatched ( or \\(');
    expect(result.content).toContain('escape ( ) [ ] { } . * + ? | with \\');
  });

  it('caps the output at 200 matches and counts the rest', async () => {
    const big = gitdir({ 'big.txt': `${Array.from({ length: 250 }, (_, i) => `hit ${i}`).join('\n')}\n` });
    const result = await grepTool.run({ pattern: '^hit' }, createContext(big));
    const out = result.content.split('\n');
    expect(out).toHaveLength(201);
    expect(out[0]).toBe('big.txt:1: hit 0');
    expect(out.at(-1)).toBe('... and 50 more matches; narrow with path or a more specific pattern');
  });

  it('refuses an empty pattern and a missing path, saying what to do', async () => {
    expect((await grepTool.run({ pattern: '' }, createContext(root))).content).toContain('pattern is empty');
    const missing = await grepTool.run({ pattern: 'x', path: 'lib' }, createContext(root));
    expect(missing).toMatchObject({ isError: true });
    expect(missing.content).toContain('call grep without path');
  });

  it('returns a refusal when the search is not allowed', async () => {
    const ctx = createContext(root, { answers: [{ allowed: false, reason: 'use read_file' }] });
    const result = await grepTool.run({ pattern: 'parseConfig' }, ctx);
    expect(result.isError).toBe(true);
    expect(result.content).toContain('grep parseConfig was refused by the user, who said: "use read_file"');
  });
});
