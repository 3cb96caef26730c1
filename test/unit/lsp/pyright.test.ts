import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLanguageServer, type StartedLanguageClient } from '../../../src/lsp/client.js';
import { findServer } from '../../../src/lsp/servers.js';
import { applyTextEdits } from '../../../src/lsp/text-edits.js';
import { gone, makeProject, type Project } from './project.js';

// The real pyright-langserver (the npm package `pyright`): it pushes diagnostics, and says it has
// loaded the project only in its log.

const FILES: Record<string, string> = {
  'pyproject.toml': '[project]\nname = "demo"\nversion = "0.1.0"\n',
  'pkg/__init__.py': '',
  'pkg/util.py': 'def greet(name: str) -> str:\n    return "hi " + name\n',
  'pkg/main.py': 'from pkg.util import greet\n\ncount: int = greet("a")\nprint(greet("b"), count)\n',
  'pkg/other.py': 'from pkg import util\n\n\ndef hello() -> str:\n    greet = "shadow"\n    return util.greet(greet)\n',
};

let project: Project;
let client: StartedLanguageClient;

beforeAll(async () => {
  project = makeProject(FILES);
  const spec = await findServer('python');
  if (!spec) throw new Error('pyright is a devDependency of hunkwise; it should be found');
  client = await startLanguageServer({
    language: 'python',
    command: spec.command,
    args: spec.args,
    root: project.root,
    ...(spec.readyLog ? { readyLog: spec.readyLog } : {}),
    timeouts: { requestMs: 30_000, readyMs: 30_000, diagnosticsMs: 30_000 },
  });
});

afterAll(async () => {
  await client?.shutdown();
  project?.cleanup();
});

describe('pyright', () => {
  it('pushes diagnostics (no diagnosticProvider), and is ready once it has found the sources', async () => {
    expect(client.capabilities.diagnosticProvider).toBeUndefined();
    const started = Date.now();
    expect(await client.ready()).toBe(true);
    console.info(`pyright ready ${Date.now() - started} ms after initialize`);
    const symbols = await client.documentSymbols('pkg/util.py');
    expect(symbols.map((s) => s.name)).toContain('greet');
  });

  it('reports an error of a file nobody opened, and none once the synced text is fixed', async () => {
    const first = await client.diagnostics('pkg/main.py');
    expect(first.status).toBe('ok');
    expect(first.status === 'ok' && first.diagnostics).toMatchObject([
      { path: 'pkg/main.py', severity: 'error', code: 'reportAssignmentType', range: { start: { line: 2 } } },
    ]);

    await client.sync('pkg/main.py', FILES['pkg/main.py']!.replace('count: int', 'count: str'));
    expect(await client.diagnostics('pkg/main.py')).toEqual({ status: 'ok', diagnostics: [] });
  });

  it('sees a change in another open file before it answers', async () => {
    await client.sync('pkg/util.py', 'def greet(name: str) -> int:\n    return len(name)\n');
    const main = await client.diagnostics('pkg/main.py');
    expect(main.status === 'ok' && main.diagnostics.map((d) => d.code)).toEqual(['reportAssignmentType']);
    await client.close('pkg/util.py');
    expect(await client.diagnostics('pkg/main.py')).toEqual({ status: 'ok', diagnostics: [] });
  });

  it('renames a function used in two modules, not the local of the same name', async () => {
    await client.close('pkg/main.py');
    const edits = await client.rename('pkg/util.py', { line: 0, character: 5 }, 'welcome');
    expect(edits.map((e) => e.path)).toEqual(['pkg/main.py', 'pkg/other.py', 'pkg/util.py']);
    const apply = (path: string): string => {
      const file = edits.find((e) => e.path === path)!;
      const result = applyTextEdits(project.read(path), file.edits, (old) => (old === 'greet' ? undefined : `replaced ${old}`));
      if (typeof result !== 'string') throw new Error(result.error);
      return result;
    };
    expect(apply('pkg/main.py')).toBe('from pkg.util import welcome\n\ncount: int = welcome("a")\nprint(welcome("b"), count)\n');
    expect(apply('pkg/other.py')).toBe(FILES['pkg/other.py']!.replace('util.greet(greet)', 'util.welcome(greet)'));
    expect(apply('pkg/util.py')).toBe(FILES['pkg/util.py']!.replace('def greet', 'def welcome'));
  });

  it('leaves no process after shutdown', async () => {
    const pid = client.pid;
    await client.shutdown();
    expect(await gone(pid)).toBe(true);
  });
});
