import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fake-ollama/server.js';
import { fixtureFiles } from '../helpers/fixture.js';
import type { TestRepo } from '../helpers/repo.js';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';
import { onlyTask } from '../helpers/tasks.js';

/**
 * TypeScript 7's server does not watch files: what changes in the worktree outside a tool's own
 * edit (a command, the user's hand) must reach it before the next question.
 */

afterEach(closeScriptedTasks);

const FINISH: FakeTurn = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

describe('files changed outside a step', () => {
  it('a command renames a declaration, and references answers about the new code', async () => {
    const done = await runScriptedTask(
      fixtureFiles('rename-ts'),
      [
        { toolCalls: [{ name: 'references', arguments: { name: 'parseConfig', path: 'src/config.ts' } }] },
        { toolCalls: [{ name: 'run_command', arguments: { command: "sed -i 's/parseConfig(/loadConfig(/g' src/config.ts" } }] },
        { toolCalls: [{ name: 'references', arguments: { name: 'loadConfig', path: 'src/config.ts' } }] },
        FINISH,
      ],
      { under: '/var/tmp' },
    );
    expect(done.run.code).toBe(0);
    const [, command = '', references = ''] = done.results;
    // The errors the command's change brings, against the branch tip (not against the disk it already changed).
    expect(command).toContain("Diagnostics: the applied change adds src/cli.ts:1:10 error TS2305: Module '\"./config\"' has no exported member 'parseConfig'.");
    expect(references.split('\n')).toEqual([
      '3 references to loadConfig:',
      'src/config.ts:7: export function loadConfig(text: string): Config {',
      "src/config.ts:18: return text ? loadConfig(text) : loadConfig('');",
    ]);
  });

  it("the user's hand changes a caller in the worktree, and references answers about the new code", async () => {
    let repo: TestRepo | undefined;
    const turns: FakeTurn[] = [
      { toolCalls: [{ name: 'references', arguments: { name: 'parseConfig', path: 'src/config.ts' } }] },
      { toolCalls: [{ name: 'references', arguments: { name: 'parseConfig', path: 'src/config.ts' } }] },
      FINISH,
    ];
    const done = await runScriptedTask(
      fixtureFiles('rename-ts'),
      (_, index) => {
        // Between the two questions, in the task's worktree, as an editor would save it: one call
        // in app.ts is gone (the server read app.ts from disk; it never had it open).
        if (index === 1 && repo) {
          const file = join(onlyTask(repo).worktree, 'src/app.ts');
          writeFileSync(file, readFileSync(file, 'utf8').replace('const config = parseConfig(text);', 'const config: Config = JSON.parse(text);'));
        }
        return turns[index];
      },
      {
        prepare: (made) => {
          repo = made;
        },
      },
    );
    expect(done.run.code).toBe(0);
    const [before = '', after = ''] = done.results;
    expect(before).toMatch(/^17 references to parseConfig:/);
    expect(before).toContain('src/app.ts:4: const config = parseConfig(text);');
    expect(after).toMatch(/^16 references to parseConfig:/);
    expect(after).not.toContain('src/app.ts:4:');
    expect(after).toContain("src/app.ts:5: return config.port === 0 ? parseConfig('port=8080') : config;");
  });
});
