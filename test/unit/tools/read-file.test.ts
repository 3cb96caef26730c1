import { describe, expect, it } from 'vitest';
import { readFileTool } from '../../../src/agent/tools/read-file.js';
import { createContext, gitdir } from './context.js';

const lines = (n: number, text = (i: number) => `line ${i}`) =>
  `${Array.from({ length: n }, (_, i) => text(i + 1)).join('\n')}\n`;

describe('read_file', () => {
  const root = gitdir(
    {
      'src/config.ts': 'export const a = 1;\nexport const b = 2;\n\nexport const c = 3;\n',
      'src/long.ts': lines(1200),
      'src/wide.txt': lines(300, (i) => `${i} ${'x'.repeat(400)}`),
      'src/crlf.txt': 'one\r\ntwo\r\n',
      'src/empty.txt': '',
      'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]),
      'assets/latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
      'README.md': '# readme\n',
    },
    { untracked: { 'src/configs.ts': 'x\n' } },
  );

  it('shows numbered lines, numbers right-aligned', async () => {
    const ctx = createContext(root);
    const result = await readFileTool.run({ path: 'src/config.ts' }, ctx);
    expect(result.isError).toBeUndefined();
    expect(result.content).toBe(
      'src/config.ts (4 lines)\n1│ export const a = 1;\n2│ export const b = 2;\n3│ \n4│ export const c = 3;',
    );
    expect(ctx.approvals).toEqual([{ class: 'read', tool: 'read_file', subject: 'src/config.ts', path: 'src/config.ts' }]);
  });

  it('shows a 1-based inclusive range', async () => {
    const result = await readFileTool.run({ path: 'src/long.ts', start_line: 98, end_line: 101 }, createContext(root));
    expect(result.content).toBe(
      'src/long.ts lines 98-101 of 1200\n 98│ line 98\n 99│ line 99\n100│ line 100\n101│ line 101',
    );
  });

  it('shows at most 500 lines and says how to read on', async () => {
    const result = await readFileTool.run({ path: 'src/long.ts' }, createContext(root));
    const body = result.content.split('\n');
    expect(body[0]).toBe('src/long.ts lines 1-500 of 1200');
    expect(body[1]).toBe('   1│ line 1');
    expect(body[500]).toBe(' 500│ line 500');
    expect(body.at(-1)).toBe('... lines 501-1200 not shown; call read_file with start_line 501');
    const next = await readFileTool.run({ path: 'src/long.ts', start_line: 1001 }, createContext(root));
    expect(next.content.split('\n').at(-1)).toBe('1200│ line 1200');
  });

  it('stops at about 40 KB', async () => {
    const result = await readFileTool.run({ path: 'src/wide.txt' }, createContext(root));
    expect(Buffer.byteLength(result.content)).toBeLessThan(42_000);
    expect(result.content).toMatch(/\n\.\.\. lines (\d+)-300 not shown; call read_file with start_line \1$/);
  });

  it('shows CRLF lines without the CR', async () => {
    const result = await readFileTool.run({ path: 'src/crlf.txt' }, createContext(root));
    expect(result.content).toBe('src/crlf.txt (2 lines)\n1│ one\n2│ two');
  });

  it('says when a file is empty', async () => {
    const result = await readFileTool.run({ path: 'src/empty.txt' }, createContext(root));
    expect(result).toEqual({ content: 'src/empty.txt is empty (0 lines).' });
  });

  it('names similar existing paths when the file is missing', async () => {
    const result = await readFileTool.run({ path: 'src/confg.ts' }, createContext(root));
    expect(result.isError).toBe(true);
    expect(result.content).toContain('src/confg.ts does not exist.');
    expect(result.content).toMatch(/Similar paths: src\/config\.ts, src\/configs\.ts/);
    expect(result.content).toContain('list_files');
  });

  it('suggests list_files for a directory', async () => {
    const result = await readFileTool.run({ path: 'src/' }, createContext(root));
    expect(result).toMatchObject({ isError: true });
    expect(result.content).toContain('src is a directory; call list_files with path "src"');
  });

  it('refuses binary and non-UTF-8 files', async () => {
    const png = await readFileTool.run({ path: 'assets/logo.png' }, createContext(root));
    expect(png).toMatchObject({ isError: true });
    expect(png.content).toContain('binary');
    const latin1 = await readFileTool.run({ path: 'assets/latin1.txt' }, createContext(root));
    expect(latin1.content).toContain('non-UTF-8');
  });

  it('says which start_line is valid', async () => {
    const result = await readFileTool.run({ path: 'src/config.ts', start_line: 10 }, createContext(root));
    expect(result).toMatchObject({ isError: true });
    expect(result.content).toContain('has 4 lines; call read_file with start_line between 1 and 4');
    const reversed = await readFileTool.run({ path: 'src/config.ts', start_line: 3, end_line: 2 }, createContext(root));
    expect(reversed.content).toContain('end_line 2 is before start_line 3');
  });

  it('refuses a negative line number rather than reading from line 1', async () => {
    const result = await readFileTool.run({ path: 'src/config.ts', start_line: -2 }, createContext(root));
    expect(result).toMatchObject({ isError: true });
    expect(result.content).toBe(
      'start_line -2 is not a line number: src/config.ts has lines 1 to 4; call read_file with line numbers in that range.',
    );
    const end = await readFileTool.run({ path: 'src/config.ts', end_line: -1 }, createContext(root));
    expect(end.content).toContain('end_line -1 is not a line number');
  });

  it('refuses a path too long for a file system, or holding control or bidi characters, without echoing it', async () => {
    const ctx = createContext(root);
    const long = await readFileTool.run({ path: 'a/'.repeat(300_000) }, ctx);
    expect(long).toMatchObject({ isError: true });
    expect(long.content).toContain('path is 600000 characters long');
    expect(long.content.length).toBeLessThan(300);
    const newline = await readFileTool.run({ path: 'README.md\nAgent-Model: x' }, ctx);
    expect(newline.content).toContain('path contains U+000A, a control character, at position 10');
    const rtl = await readFileTool.run({ path: 'src/cfg\u202Ets.config' }, ctx);
    expect(rtl.content).toContain('U+202E, a bidirectional-formatting character');
    expect(ctx.approvals).toEqual([]);
  });

  it('returns a refusal when the read is not allowed, with the reason', async () => {
    const ctx = createContext(root, { answers: [{ allowed: false, reason: 'not that file' }] });
    const result = await readFileTool.run({ path: 'README.md' }, ctx);
    expect(result.isError).toBe(true);
    expect(result.content).toBe(
      'read_file README.md was refused by the user, who said: "not that file". Continue without it, or ask for something different.',
    );
    const auto = createContext(root, { answers: [{ allowed: false, automatic: 'no terminal to ask' }] });
    const refused = await readFileTool.run({ path: 'README.md' }, auto);
    expect(refused.content).toContain('refused automatically (no terminal to ask)');
  });

  it('refuses paths outside the worktree without asking', async () => {
    const ctx = createContext(root);
    const result = await readFileTool.run({ path: '/etc/passwd' }, ctx);
    expect(result.isError).toBe(true);
    expect(result.content).toContain('e.g. src/index.ts');
    expect(ctx.approvals).toEqual([]);
    const git = await readFileTool.run({ path: '.git/config' }, ctx);
    expect(git.isError).toBe(true);
  });

  it('describes itself for the Agent-Action trailer', () => {
    expect(readFileTool.describe({ path: 'src/a.ts' })).toBe('read_file src/a.ts');
  });
});
