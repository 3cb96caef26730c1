import { describe, expect, it } from 'vitest';
import { writeFileTool } from '../../../src/agent/tools/write-file.js';
import { createContext, gitdir, read } from './context.js';

describe('write_file', () => {
  const root = gitdir({
    'src/index.ts': 'export {};\n',
    'src/win.txt': 'a\r\nb\r\n',
    'src/unix.txt': 'a\nb\n',
  });

  it('proposes a new file in folders that do not exist yet', async () => {
    const ctx = createContext(root);
    const result = await writeFileTool.run({ path: 'src/deep/new/file.ts', content: 'export const x = 1;\n' }, ctx);
    expect(result.isError).toBeUndefined();
    expect(result.content).toBe('Applied write_file src/deep/new/file.ts.');
    expect(result.details).toBe('write_file src/deep/new/file.ts: 1 lines (new file)');
    expect(ctx.proposals).toEqual([
      { action: 'write_file src/deep/new/file.ts', files: [{ path: 'src/deep/new/file.ts', content: 'export const x = 1;\n' }] },
    ]);
    expect(ctx.approvals).toEqual([]);
  });

  it('proposes a whole replacement and never writes the file itself', async () => {
    const ctx = createContext(root);
    await writeFileTool.run({ path: './src/index.ts', content: 'export const y = 2;\n' }, ctx);
    expect(ctx.proposals[0]?.files).toEqual([{ path: 'src/index.ts', content: 'export const y = 2;\n' }]);
    expect(read(root, 'src/index.ts')).toBe('export {};\n');
  });

  it('keeps CRLF when the existing file is CRLF and the content uses LF', async () => {
    const ctx = createContext(root);
    await writeFileTool.run({ path: 'src/win.txt', content: 'x\ny\nz\n' }, ctx);
    expect(ctx.proposals[0]?.files[0]?.content).toBe('x\r\ny\r\nz\r\n');
    const unix = createContext(root);
    await writeFileTool.run({ path: 'src/unix.txt', content: 'x\ny\n' }, unix);
    expect(unix.proposals[0]?.files[0]?.content).toBe('x\ny\n');
  });

  it('says so when the content is already the same', async () => {
    const ctx = createContext(root);
    const result = await writeFileTool.run({ path: 'src/win.txt', content: 'a\nb\n' }, ctx);
    expect(result).toEqual({ content: 'src/win.txt already has exactly this content; nothing to change.' });
    expect(ctx.proposals).toEqual([]);
  });

  it('refuses a directory, the root, and a path under a file', async () => {
    const ctx = createContext(root);
    const dir = await writeFileTool.run({ path: 'src', content: 'x' }, ctx);
    expect(dir).toMatchObject({ isError: true });
    expect(dir.content).toContain('src is a directory');
    expect((await writeFileTool.run({ path: '.', content: 'x' }, ctx)).content).toContain('repository root');
    const under = await writeFileTool.run({ path: 'src/index.ts/x.ts', content: 'x' }, ctx);
    expect(under.content).toBe('src/index.ts is a file, so src/index.ts/x.ts cannot be created inside it; choose another path.');
    expect(ctx.proposals).toEqual([]);
  });

  it('refuses paths outside the worktree and under .git', async () => {
    const ctx = createContext(root);
    for (const path of ['../evil.ts', '/tmp/evil.ts', '.git/hooks/pre-commit']) {
      const result = await writeFileTool.run({ path, content: 'x' }, ctx);
      expect(result.isError).toBe(true);
      expect(result.content).toContain('e.g. src/index.ts');
    }
    expect(ctx.proposals).toEqual([]);
  });
});
