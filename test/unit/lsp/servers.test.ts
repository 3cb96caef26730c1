import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findServer, findServerRoot, languageOf, resolveCommand } from '../../../src/lsp/servers.js';
import { makeProject, type Project } from './project.js';

let project: Project | undefined;
afterEach(() => {
  project?.cleanup();
  project = undefined;
});

describe('the server table', () => {
  it('knows a file’s language by its extension, configured extensions first', () => {
    expect(['a.ts', 'b.TSX', 'c.mjs', 'd.jsx'].map((p) => languageOf(p))).toEqual(['typescript', 'typescript', 'typescript', 'typescript']);
    expect(['x.py', 'y.go', 'z.rs', 'w.hpp', 'v.c'].map((p) => languageOf(p))).toEqual(['python', 'go', 'rust', 'cpp', 'cpp']);
    expect(languageOf('README.md')).toBeUndefined();
    expect(languageOf('Makefile')).toBeUndefined();
    expect(languageOf('a.vue', { vue: { command: 'vue-language-server', extensions: ['.vue'] } })).toBe('vue');
    expect(languageOf('a.js', { deno: { command: 'deno', extensions: ['js'] } })).toBe('deno');
  });

  it('finds TypeScript 7 in our own dependency, and pyright', async () => {
    const ts = await findServer('typescript');
    expect(ts?.command).toMatch(/typescript-[a-z0-9]+-[a-z0-9]+\/lib\/tsc(\.exe)?$/);
    expect(ts?.args).toEqual(['--lsp', '--stdio']);
    expect(ts?.settings).toEqual({
      'js/ts': { preferences: { useAliasesForRenames: false }, tsserver: { automaticTypeAcquisition: { enabled: false } } },
      typescript: { disableAutomaticTypeAcquisition: true },
    });
    const py = await findServer('python');
    expect(py?.args.at(-1)).toBe('--stdio');
    expect(py?.rootMarkers).toContain('pyproject.toml');
  });

  it('honours the config: off, another command (relative to the root), or nothing when it is missing', async () => {
    project = makeProject({});
    const script = join(project.real, 'my-server');
    writeFileSync(script, '#!/bin/sh\n');
    chmodSync(script, 0o755);
    expect(await findServer('typescript', { typescript: false })).toBeUndefined();
    expect(await findServer('go', { go: { command: '/nowhere/gopls' } })).toBeUndefined();
    const custom = await findServer('python', { python: { command: './my-server' } }, project.root);
    expect(custom).toMatchObject({ command: join(project.root, 'my-server'), args: ['--stdio'], extensions: ['py', 'pyi'] });
    expect(await findServer('elixir')).toBeUndefined();
    expect(resolveCommand('node')).toMatch(/node(\.exe)?$/);
    expect(resolveCommand('hunkwise-surely-not-a-command')).toBeUndefined();
  });

  it('starts a server on the nearest folder with a root marker, never above the workspace', () => {
    project = makeProject({ 'backend/pyproject.toml': '', 'backend/app/main.py': '', 'tools/x.py': '' });
    expect(findServerRoot('backend/app/main.py', project.root, ['pyproject.toml'])).toBe(join(project.root, 'backend'));
    expect(findServerRoot('tools/x.py', project.root, ['pyproject.toml'])).toBe(project.root);
  });
});
