import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fake-ollama/server.js';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

/**
 * A repository of several projects: two TypeScript packages with settings of their own and a
 * Python project in a subfolder. Each file is answered as its own project has it: the TypeScript
 * server follows each file's tsconfig.json; pyright is started on the Python project's root, where
 * its imports resolve.
 */

afterEach(closeScriptedTasks);

const UNTYPED = 'export function echo(value) {\n  return value;\n}\n';
const FILES = {
  'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }),
  'packages/strict/package.json': JSON.stringify({ name: 'strict', private: true }),
  'packages/strict/tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, include: ['src'] }),
  'packages/strict/src/echo.ts': UNTYPED,
  'packages/loose/package.json': JSON.stringify({ name: 'loose', private: true }),
  'packages/loose/tsconfig.json': JSON.stringify({ compilerOptions: { strict: false, noEmit: true }, include: ['src'] }),
  'packages/loose/src/echo.ts': UNTYPED,
  'services/api/pyproject.toml': '[project]\nname = "api"\nversion = "0.1.0"\n',
  'services/api/app/__init__.py': '',
  'services/api/app/config.py': 'def parse_config(text: str) -> dict[str, str]:\n    return dict(line.split("=", 1) for line in text.splitlines())\n',
  'services/api/app/main.py': 'from app.config import parse_config\n\n\ndef run(text: str) -> int:\n    return len(parse_config(text))\n',
  // A second Python project whose package has the same name: only a server rooted at its own
  // folder finds its `app.jobs`.
  'services/worker/pyproject.toml': '[project]\nname = "worker"\nversion = "0.1.0"\n',
  'services/worker/app/__init__.py': '',
  'services/worker/app/jobs.py': 'def run_job(name: str) -> str:\n    return name.upper()\n',
  'services/worker/app/main.py': 'from app.jobs import run_job\n\n\ndef start() -> str:\n    return run_job("nightly")\n',
};

const diagnostics = (path: string): FakeTurn => ({ toolCalls: [{ name: 'diagnostics', arguments: { path } }] });

describe('a repository of several projects', () => {
  it('answers each file as its own project has it', async () => {
    const done = await runScriptedTask(FILES, [
      diagnostics('packages/strict/src/echo.ts'),
      diagnostics('packages/loose/src/echo.ts'),
      diagnostics('services/api/app/main.py'),
      diagnostics('services/worker/app/main.py'),
      { toolCalls: [{ name: 'references', arguments: { name: 'parse_config', path: 'services/api/app/config.py' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'looked' } }] },
    ]);
    expect(done.run.code).toBe(0);
    const [strict = '', loose = '', api = '', worker = '', references = ''] = done.results;
    expect(strict).toMatch(/packages\/strict\/src\/echo\.ts:1:\d+ error TS7006: Parameter 'value' implicitly has an 'any' type\./);
    expect(loose).not.toMatch(/TS7006/);
    // Each Python project's server resolves its own `app` package.
    expect(api).toBe('0 errors, 0 other in 1 file.');
    expect(worker).toBe('0 errors, 0 other in 1 file.');
    expect(references).toContain('services/api/app/main.py:5: return len(parse_config(text))');
  });
});
