import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fake-ollama/server.js';
import { fixtureFiles } from '../helpers/fixture.js';
import { processesUnder } from '../helpers/processes.js';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

const TSC = join(process.cwd(), 'node_modules', '.bin', 'tsc');
afterEach(closeScriptedTasks);

async function runTask(fixture: string, script: FakeTurn[]) {
  const done = await runScriptedTask(fixtureFiles(fixture), script);
  expect(done.run.stderr).toBe('');
  expect(done.run.code).toBe(0);
  return done;
}

/** Replaces each `from` exactly `count` times, and fails the test if it occurs otherwise. */
function replaced(text: string, edits: [string, string, number][]): string {
  let out = text;
  for (const [from, to, count] of edits) {
    expect(out.split(from).length - 1).toBe(count);
    out = out.split(from).join(to);
  }
  return out;
}

describe('rename_symbol through TypeScript 7', () => {
  it('renames every real use and nothing else, and the result type-checks', async () => {
    const { task, repo, server } = await runTask('rename-ts', [
      { toolCalls: [{ name: 'rename_symbol', arguments: { name: 'parseConfig', new_name: 'loadConfig' } }] },
      { toolCalls: [{ name: 'references', arguments: { name: 'loadConfig' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'renamed' } }] },
    ]);
    // The server follows the committed step: the next question is answered on the renamed code.
    const afterRename = server.chatRequests()[2]?.messages.at(-1)?.content ?? '';
    expect(afterRename).toContain("src/cli.ts:7: const config = loadConfig(argv.join('\\n'));");
    expect(afterRename).toContain('src/index.ts:2: export { loadConfig } from');
    const before = fixtureFiles('rename-ts');
    const expected: Record<string, string> = {
      'src/config.ts': replaced(before['src/config.ts'] ?? '', [
        ['export function parseConfig(', 'export function loadConfig(', 1],
        ["parseConfig(text) : parseConfig('')", "loadConfig(text) : loadConfig('')", 1],
      ]),
      'src/index.ts': replaced(before['src/index.ts'] ?? '', [['export { parseConfig }', 'export { loadConfig }', 1]]),
      'src/app.ts': replaced(before['src/app.ts'] ?? '', [
        ['type Config, parseConfig }', 'type Config, loadConfig }', 1],
        ['= parseConfig(text);', '= loadConfig(text);', 1],
        ["? parseConfig('port=8080')", "? loadConfig('port=8080')", 1],
        ['=> parseConfig(text))', '=> loadConfig(text))', 1],
      ]),
      'src/alias.ts': replaced(before['src/alias.ts'] ?? '', [['{ parseConfig as readConfig }', '{ loadConfig as readConfig }', 1]]),
      'src/cli.ts': replaced(before['src/cli.ts'] ?? '', [
        ['import { parseConfig }', 'import { loadConfig }', 1],
        ['= parseConfig(', '= loadConfig(', 2],
      ]),
      'src/util.ts': replaced(before['src/util.ts'] ?? '', [['configModule.parseConfig', 'configModule.loadConfig', 2]]),
    };
    for (const [path, content] of Object.entries(expected)) {
      expect(repo.git('show', `${task.branch}:${path}`), path).toBe(content);
    }
    // The shadowed local, the comment, the strings and the unrelated property are untouched.
    expect(expected['src/app.ts']).toContain('const parseConfig = (input: string)');
    expect(expected['src/cli.ts']).toContain("const options = { parseConfig: true, verbose: false };");
    expect(expected['src/cli.ts']).toContain("'parseConfig ok' : 'parseConfig failed'");
    expect(repo.git('log', '-1', '--format=%(trailers:key=Agent-Action,valueonly)', task.branch).trim()).toBe(
      'rename_symbol parseConfig -> loadConfig',
    );
    // No language server outlives the task.
    expect(processesUnder('--lsp', repo.home)).toEqual([]);
    // TypeScript 7 accepts the renamed tree.
    execFileSync(TSC, ['-p', join(task.worktree, 'tsconfig.json')], { stdio: 'pipe' });
  });

  it('finds declarations and references by name; a name seen through an import means its declaration', async () => {
    const { server, repo, task } = await runTask('rename-ts', [
      { toolCalls: [{ name: 'find_symbol', arguments: { name: 'parseConfig' } }] },
      { toolCalls: [{ name: 'references', arguments: { name: 'parseConfig' } }] },
      { toolCalls: [{ name: 'rename_symbol', arguments: { name: 'parseConfig', new_name: 'readSettings', path: 'src/app.ts' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'looked' } }] },
    ]);
    const results = server.chatRequests().slice(1).map((chat) => chat.messages.at(-1)?.content ?? '');
    expect(results[0]).toContain('src/config.ts:7 function parseConfig');
    expect(results[0]).toContain('src/app.ts:14 variable countLines.parseConfig');
    expect(results[0]).not.toMatch(/src\/index\.ts/);
    expect(Number(/^(\d+) references to parseConfig:/.exec(results[1] ?? '')?.[1])).toBeGreaterThanOrEqual(14);
    expect(results[1]).toContain('src/alias.ts:1: import { parseConfig as readConfig }');
    expect(results[1]).not.toContain('src/app.ts:15');
    expect(results[1]).not.toContain('src/cli.ts:3');
    expect(results[2]).toMatch(/^Step 1 committed/);
    expect(repo.git('show', `${task.branch}:src/config.ts`)).toContain('export function readSettings(');
    expect(repo.git('show', `${task.branch}:src/app.ts`)).toContain('const parseConfig = (input: string)');
  });

  it('lets the TypeScript server fetch no type packages (automatic type acquisition is off)', async () => {
    const { repo } = await runScriptedTask(
      {
        'package.json': '{ "name": "app", "dependencies": { "express": "^4.0.0", "lodash": "^4.0.0" } }\n',
        'src/app.js': "const express = require('express');\nconst _ = require('lodash');\nexport const app = express();\n",
      },
      [{ toolCalls: [{ name: 'find_symbol', arguments: { name: 'app', path: 'src/app.js' } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'looked' } }] }],
    );
    // ATA would run npm install of types-registry and @types/* into ~/.cache/typescript, from the registry.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(existsSync(join(repo.home, '.cache', 'typescript'))).toBe(false);
  });
});
