import { afterEach, describe, expect, it } from 'vitest';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

/**
 * The files an edit can break are found by the language server (the references of what the edit
 * changes), not by a text search of module names: a re-export chain two levels away is covered.
 */

afterEach(closeScriptedTasks);

const FILES = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', target: 'es2022' }, include: ['src'] }),
  'package.json': JSON.stringify({ name: 'chain', private: true, type: 'module' }),
  'src/money.ts': 'export function formatMoney(cents: number): string {\n  return `$${(cents / 100).toFixed(2)}`;\n}\n',
  // Two levels of re-export, under names no text search of "money" finds.
  'src/format/index.ts': "export { formatMoney } from '../money.js';\n",
  'src/api.ts': "export * from './format/index.js';\n",
  'src/report.ts': "import { formatMoney } from './api.js';\n\nexport const total = (cents: number): string => 'Total: ' + formatMoney(cents);\n",
};

describe('the files an edit can break', () => {
  it('include the last importer of a re-export chain of two levels: its error is shown before approval', async () => {
    const done = await runScriptedTask(FILES, [
      {
        toolCalls: [
          { name: 'edit_file', arguments: { path: 'src/money.ts', old_text: 'formatMoney(cents: number)', new_text: 'formatMoney(cents: number, currency: string)' } },
        ],
      },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
    ]);
    expect(done.run.code).toBe(0);
    expect(done.results[0]).toMatch(/Diagnostics: the applied change adds src\/report\.ts:3:\d+ error TS2554: Expected 2 arguments, but got 1\./);
  });
});
