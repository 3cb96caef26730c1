import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fake-ollama/server.js';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

/**
 * A declaration in a dependency (an installed package's .d.ts under the checkout's ignored
 * node_modules, which a task's worktree sees through its mirrored folder): found, its uses in the
 * project listed, and never proposed for editing.
 */

afterEach(closeScriptedTasks);

const FILES = {
  '.gitignore': 'node_modules/\n',
  'package.json': JSON.stringify({ name: 'app', private: true, dependencies: { somepkg: '1.0.0' } }),
  'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', target: 'es2022' }, include: ['src'] }),
  'src/main.ts': 'import { helper } from "somepkg";\n\nexport const twice = (n: number): number => helper(n) * 2;\n',
  'src/other.ts': 'import { helper } from "somepkg";\n\nexport const thrice = helper(3) * 3;\n',
  'node_modules/somepkg/package.json': JSON.stringify({ name: 'somepkg', version: '1.0.0', types: 'index.d.ts' }),
  'node_modules/somepkg/index.d.ts': '/** Doubles nothing: a helper of somepkg. */\nexport declare function helper(value: number): number;\n',
};

const FINISH: FakeTurn = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

describe('a symbol declared in a dependency', () => {
  it('is found where it is declared, its uses in the project are listed, and an edit of it is refused', async () => {
    const done = await runScriptedTask(FILES, [
      { toolCalls: [{ name: 'find_symbol', arguments: { name: 'helper', path: 'src/main.ts' } }] },
      { toolCalls: [{ name: 'references', arguments: { name: 'helper', path: 'src/main.ts' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'node_modules/somepkg/index.d.ts', old_text: 'value: number', new_text: 'value: string' } }] },
      FINISH,
    ]);
    expect(done.run.code).toBe(0);
    const [found = '', references = '', edit = ''] = done.results;
    // Where the user would find it: the worktree's path, not the checkout's, nor one joined to the other.
    expect(found).toBe('node_modules/somepkg/index.d.ts:2 function helper\n    export declare function helper(value: number): number;');
    const [head, ...lines] = references.split('\n');
    expect(head).toBe('5 references to helper:');
    expect(lines.sort()).toEqual([
      'node_modules/somepkg/index.d.ts:2: export declare function helper(value: number): number;',
      'src/main.ts:1: import { helper } from "somepkg";',
      'src/main.ts:3: export const twice = (n: number): number => helper(n) * 2;',
      'src/other.ts:1: import { helper } from "somepkg";',
      'src/other.ts:3: export const thrice = helper(3) * 3;',
    ]);
    expect(edit).toMatch(/^"node_modules\/somepkg\/index\.d\.ts" is in node_modules, a dependency the worktree shows from your checkout: hunkwise does not touch it/);
    expect(done.repo.git('rev-list', '--count', `main..${done.task.branch}`).trim()).toBe('1');
  });
});
