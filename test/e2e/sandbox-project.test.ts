import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeToolCall } from '../fake-ollama/server.js';
import { processesUnder } from '../helpers/processes.js';
import { snapshotCheckout, type TestRepo } from '../helpers/repo.js';
import { closeScriptedTasks, runScriptedTask, type ScriptedTask } from '../helpers/scripted-task.js';

/**
 * `npm test` of a real project inside a task worktree passes inside the sandbox (issue 13), through
 * the real agent, the real bubblewrap, real git and real test runners: a TypeScript project whose
 * `npm test` type-checks with tsc and runs vitest with a vitest.config.ts, its node_modules
 * installed in the user's checkout (links to hunkwise's own packages: offline). The model runs the
 * tests, breaks the code, runs them again: both results come through with their exit code, and
 * the user's checkout — node_modules and what vitest caches there included — is as it was.
 * The repositories live outside /tmp: a command has a /tmp of its own, which would hide them.
 */

afterEach(closeScriptedTasks);

const OUTSIDE_TMP = '/var/tmp';
const PACKAGES = fileURLToPath(new URL('../../node_modules', import.meta.url));

const PROJECT = {
  '.gitignore': 'node_modules/\n',
  'package.json': `${JSON.stringify(
    { name: 'shapes', version: '1.0.0', private: true, type: 'module', scripts: { test: 'tsc --noEmit -p . && vitest run' } },
    null,
    2,
  )}\n`,
  'tsconfig.json': `${JSON.stringify(
    {
      compilerOptions: { target: 'es2022', module: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      include: ['src', 'test', 'vitest.config.ts'],
    },
    null,
    2,
  )}\n`,
  // A config file of its own: vite bundles it into node_modules/.vite-temp before loading it.
  'vitest.config.ts': "import { defineConfig } from 'vitest/config';\n\nexport default defineConfig({ test: { include: ['test/**/*.test.ts'] } });\n",
  'src/area.ts': 'export function circleArea(radius: number): number {\n  return Math.PI * radius * radius;\n}\n\nexport function squareArea(side: number): number {\n  return side * side;\n}\n',
  'test/area.test.ts':
    "import { expect, test } from 'vitest';\nimport { circleArea, squareArea } from '../src/area.js';\n\ntest('circle', () => {\n  expect(circleArea(2)).toBeCloseTo(12.566, 3);\n});\n\ntest('square', () => {\n  expect(squareArea(3)).toBe(9);\n});\n",
};

const run = (command: string): FakeToolCall => ({ name: 'run_command', arguments: { command } });

/** The model runs the tests, breaks circleArea (it still type-checks), runs them again. */
const SCRIPT = [
  { toolCalls: [run('npm test')] },
  { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/area.ts', old_text: 'Math.PI * radius * radius', new_text: 'Math.PI * radius' } }] },
  { toolCalls: [run('npm test')] },
  { toolCalls: [{ name: 'finish', arguments: { summary: 'ran the tests' } }] },
];

/**
 * The user's checkout with its dependencies installed: a node_modules of links to hunkwise's own
 * packages (vitest, typescript and theirs), its .bin included, not hunkwise's own vite caches.
 */
function install(repo: TestRepo): void {
  const modules = join(repo.root, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(PACKAGES)) {
    if (name.startsWith('.') && name !== '.bin') continue;
    symlinkSync(join(PACKAGES, name), join(modules, name));
  }
}

/** Runs the script in the project; `prepare` sets up the user's checkout after the install. */
async function testTask(prepare: (repo: TestRepo) => void = () => {}): Promise<{ task: ScriptedTask; before: string }> {
  let before = '';
  const task = await runScriptedTask(PROJECT, SCRIPT, {
    under: OUTSIDE_TMP,
    // The language server is not what is tested here: the task is faster without it.
    config: { lsp: { typescript: false } },
    prepare: (repo) => {
      install(repo);
      prepare(repo);
      before = snapshotCheckout(repo);
    },
  });
  return { task, before };
}

/** What the model got back from each of its calls, and the checks every case shares. */
function expectTestsRan({ task, before }: { task: ScriptedTask; before: string }): void {
  expect(task.repo.root).not.toMatch(/^\/tmp\//);
  expect(task.run.code, task.run.stderr).toBe(0);
  const [passing, edit, failing] = task.results;
  expect(passing).toMatch(/^exit code 0 \(sandbox: no network\)\n/);
  expect(passing).toMatch(/Test Files {2}1 passed \(1\)/);
  expect(passing).toMatch(/Tests {2}2 passed \(2\)/);
  expect(passing).not.toMatch(/EROFS|EACCES|Read-only file system|Startup Error/);
  expect(edit).toMatch(/^Step 1 committed\. Applied: src\/area\.ts\./);
  expect(failing).toMatch(/^exit code 1 \(sandbox: no network\)\n/);
  expect(failing).toMatch(/FAIL {2}test\/area\.test\.ts > circle/);
  expect(failing).toMatch(/Tests {2}1 failed \| 1 passed \(2\)/);
  expect(failing).not.toMatch(/EROFS|EACCES|Read-only file system|Startup Error/);
  // The user's checkout: every byte, the index, HEAD, refs and node_modules as they were.
  expect(snapshotCheckout(task.repo)).toBe(before);
  expect(task.repo.git('status', '--porcelain')).toBe('');
  // Nothing of the test runs is left: no tsc, vitest (or its workers), npm or bwrap.
  expect(processesUnder('vitest|tsc|npm|bwrap', dirname(task.repo.root))).toEqual([]);
}

describe('npm test of a real project in the sandbox', () => {
  it('type-checks and runs vitest in a checkout where the user never ran the tests: exit codes and summaries come through', async () => {
    const outcome = await testTask();
    expectTestsRan(outcome);
  });

  // The usual case: vite leaves node_modules/.vite (vitest's results) and node_modules/.vite-temp
  // (where it bundles vitest.config.ts before loading it) in the user's checkout. The task's
  // node_modules must give the runner folders it can write there, never the user's read-only ones.
  it('passes too after the user ran `npm test` in their checkout, which left vite caches in node_modules', async () => {
    const outcome = await testTask((repo) => {
      execFileSync('npm', ['test'], { cwd: repo.root, env: { ...repo.env, npm_config_update_notifier: 'false' }, stdio: 'ignore' });
      expect(readdirSync(join(repo.root, 'node_modules'))).toEqual(expect.arrayContaining(['.vite', '.vite-temp']));
    });
    expectTestsRan(outcome);
  });
});
