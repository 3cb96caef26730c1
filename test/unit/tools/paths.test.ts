import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveInside } from '../../../src/agent/paths.js';
import { gitdir, scratchDir } from './context.js';

function errorOf(root: string, path: string): string {
  const resolved = resolveInside(root, path);
  if (!('error' in resolved)) throw new Error(`expected ${path} to be refused, got ${resolved.rel}`);
  return resolved.error;
}

describe('resolveInside', () => {
  const root = gitdir({ 'src/a.ts': 'a\n', 'README.md': '# r\n' });

  it('resolves relative paths and normalises them', () => {
    expect(resolveInside(root, 'src/a.ts')).toEqual({ abs: join(root, 'src/a.ts'), rel: 'src/a.ts' });
    expect(resolveInside(root, './src//a.ts')).toEqual({ abs: join(root, 'src/a.ts'), rel: 'src/a.ts' });
    expect(resolveInside(root, 'src/')).toMatchObject({ rel: 'src' });
    expect(resolveInside(root, 'src/./x/../a.ts')).toMatchObject({ rel: 'src/a.ts' });
    expect(resolveInside(root, 'new/dir/file.ts')).toMatchObject({ rel: 'new/dir/file.ts' });
  });

  it('gives the root as "."', () => {
    expect(resolveInside(root, '.')).toEqual({ abs: root, rel: '.' });
    expect(resolveInside(root, '')).toEqual({ abs: root, rel: '.' });
    expect(resolveInside(root, './')).toEqual({ abs: root, rel: '.' });
  });

  it('refuses absolute paths, saying how to correct the call', () => {
    const error = errorOf(root, '/etc/passwd');
    expect(error).toContain('not a relative path');
    expect(error).toContain('use a path relative to the repository root, e.g. src/index.ts');
    expect(errorOf(root, join(root, 'src/a.ts'))).toContain('not a relative path');
    expect(errorOf(root, '~/x')).toContain('not a relative path');
  });

  it('refuses .. escapes', () => {
    expect(errorOf(root, '../x')).toContain('leads outside the repository');
    expect(errorOf(root, 'a/../../b')).toContain('leads outside the repository');
    expect(errorOf(root, '..')).toContain('leads outside the repository');
    expect(resolveInside(root, 'a/../b')).toMatchObject({ rel: 'b' });
  });

  it('refuses anything under .git', () => {
    expect(errorOf(root, '.git/config')).toContain('.git');
    expect(errorOf(root, '.git')).toContain('.git');
    expect(errorOf(root, 'vendor/lib/.git/HEAD')).toContain('.git');
    expect(errorOf(root, './.GIT/config')).toContain('.git');
    expect(resolveInside(root, '.github/workflows/ci.yml')).toMatchObject({ rel: '.github/workflows/ci.yml' });
    expect(resolveInside(root, '.gitignore')).toMatchObject({ rel: '.gitignore' });
  });

  it('refuses symlinks that lead out of the root', () => {
    const outside = scratchDir();
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    const repo = gitdir({ 'x.txt': 'x' });
    symlinkSync(outside, join(repo, 'out'));
    symlinkSync(join(outside, 'secret.txt'), join(repo, 'secret-link'));
    expect(errorOf(repo, 'out')).toContain('outside the repository through a symlink');
    expect(errorOf(repo, 'out/secret.txt')).toContain('through a symlink');
    expect(errorOf(repo, 'out/new/file.txt')).toContain('through a symlink');
    expect(errorOf(repo, 'secret-link')).toContain('through a symlink');
  });

  it('refuses a dangling symlink and a symlink into .git', () => {
    const repo = gitdir({ 'x.txt': 'x' });
    symlinkSync(join(scratchDir(), 'missing.txt'), join(repo, 'dangling'));
    symlinkSync('.git', join(repo, 'gitlink'));
    expect(errorOf(repo, 'dangling')).toContain('target does not exist');
    expect(errorOf(repo, 'gitlink/config')).toContain('into .git');
  });

  it('accepts symlinks that stay inside', () => {
    const repo = gitdir({ 'src/a.ts': 'a' });
    symlinkSync('src', join(repo, 'alias'));
    mkdirSync(join(repo, 'deep/er'), { recursive: true });
    symlinkSync('../../src/a.ts', join(repo, 'deep/er/a.ts'));
    expect(resolveInside(repo, 'alias/a.ts')).toEqual({ abs: join(repo, 'alias/a.ts'), rel: 'alias/a.ts' });
    expect(resolveInside(repo, 'deep/er/a.ts')).toMatchObject({ rel: 'deep/er/a.ts' });
  });

  it('works when the root itself is reached through a symlink', () => {
    const repo = gitdir({ 'src/a.ts': 'a' });
    const link = join(scratchDir(), 'repo-link');
    symlinkSync(repo, link);
    expect(resolveInside(link, 'src/a.ts')).toEqual({ abs: join(link, 'src/a.ts'), rel: 'src/a.ts' });
  });
});
