import { describe, expect, it } from 'vitest';
import { globMatcher, listFilesTool } from '../../../src/agent/tools/list-files.js';
import { createContext, gitdir } from './context.js';

describe('list_files', () => {
  const root = gitdir(
    {
      '.gitignore': 'dist/\n*.log\n',
      'README.md': '# r\n',
      'src/index.ts': 'x\n',
      'src/util/strings.ts': 'x\n',
      'src/util/strings.test.ts': 'x\n',
      'test/a.test.ts': 'x\n',
      'docs/guide.md': 'x\n',
    },
    { untracked: { 'src/new.ts': 'new\n', 'dist/out.js': 'ignored\n', 'debug.log': 'ignored\n' } },
  );

  it('lists tracked and new files, not ignored ones', async () => {
    const ctx = createContext(root);
    const result = await listFilesTool.run({}, ctx);
    expect(result.content).toBe(
      [
        '8 files under the repository root:',
        '.gitignore',
        'README.md',
        'docs/guide.md',
        'src/index.ts',
        'src/new.ts',
        'src/util/strings.test.ts',
        'src/util/strings.ts',
        'test/a.test.ts',
      ].join('\n'),
    );
    expect(ctx.approvals).toEqual([{ class: 'read', tool: 'list_files', subject: '.', path: '.' }]);
  });

  it('lists the files under a folder', async () => {
    const result = await listFilesTool.run({ path: './src/util/' }, createContext(root));
    expect(result.content).toBe('2 files under src/util:\nsrc/util/strings.test.ts\nsrc/util/strings.ts');
  });

  it('filters by a file-name glob at any depth', async () => {
    const result = await listFilesTool.run({ pattern: '*.test.ts' }, createContext(root));
    expect(result.content).toBe(
      '2 files under the repository root matching *.test.ts:\nsrc/util/strings.test.ts\ntest/a.test.ts',
    );
  });

  it('filters by a path glob, from the root or from the folder', async () => {
    const fromRoot = await listFilesTool.run({ pattern: 'src/**/*.ts' }, createContext(root));
    expect(fromRoot.content.split('\n').slice(1)).toEqual([
      'src/index.ts',
      'src/new.ts',
      'src/util/strings.test.ts',
      'src/util/strings.ts',
    ]);
    const fromFolder = await listFilesTool.run({ path: 'src', pattern: 'util/*.ts' }, createContext(root));
    expect(fromFolder.content.split('\n').slice(1)).toEqual(['src/util/strings.test.ts', 'src/util/strings.ts']);
  });

  it('says so when nothing matches', async () => {
    const result = await listFilesTool.run({ path: 'docs', pattern: '*.rs' }, createContext(root));
    expect(result).toEqual({ content: 'No files under docs matching *.rs.' });
  });

  it('refuses a folder that does not exist, saying what to do', async () => {
    const result = await listFilesTool.run({ path: 'lib' }, createContext(root));
    expect(result).toMatchObject({ isError: true });
    expect(result.content).toContain('lib does not exist; call list_files without path');
  });

  it('caps the list at 300 entries and counts the rest', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 350; i++) many[`gen/f${String(i).padStart(3, '0')}.txt`] = 'x';
    const big = gitdir(many);
    const result = await listFilesTool.run({}, createContext(big));
    const out = result.content.split('\n');
    expect(out[0]).toBe('350 files under the repository root:');
    expect(out).toHaveLength(302);
    expect(out.at(-1)).toBe('... and 50 more; narrow with path or pattern');
  });

  it('returns a refusal when the listing is not allowed', async () => {
    const ctx = createContext(root, { answers: [{ allowed: false }] });
    const result = await listFilesTool.run({ path: 'src', pattern: '*.ts' }, ctx);
    expect(result.isError).toBe(true);
    expect(result.content).toBe(
      'list_files src was refused by the user. Continue without it, or ask for something different.',
    );
  });

  it('refuses paths that leave the worktree', async () => {
    const result = await listFilesTool.run({ path: '../' }, createContext(root));
    expect(result).toMatchObject({ isError: true });
  });
});

describe('globMatcher', () => {
  it('matches names, paths, ** and braces', () => {
    expect(globMatcher('*.ts')('a/b/c.ts')).toBe(true);
    expect(globMatcher('*.ts')('a/b/c.tsx')).toBe(false);
    expect(globMatcher('src/*.ts')('src/a/b.ts')).toBe(false);
    expect(globMatcher('src/**/*.ts')('src/b.ts')).toBe(true);
    expect(globMatcher('src/**/*.ts')('src/a/b/c.ts')).toBe(true);
    expect(globMatcher('*.{ts,js}')('x/y.js')).toBe(true);
    expect(globMatcher('file?.[ch]')('file1.c')).toBe(true);
    expect(globMatcher('a.b')('axb')).toBe(false);
  });
});
