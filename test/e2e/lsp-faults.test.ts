import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOllama, type FakeTurn, startFakeOllama } from '../fake-ollama/server.js';
import { runAgent } from '../helpers/agent.js';
import { processesUnder } from '../helpers/processes.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const FAKE_SERVER = fileURLToPath(new URL('../fixtures/fake-lsp-server.mjs', import.meta.url));
let server: FakeOllama | undefined;
let repo: TestRepo | undefined;

afterEach(async () => {
  await server?.close();
  repo?.cleanup();
});

/** A task whose user config names the TypeScript server `lsp`, run to its end. */
async function runWithServer(lsp: object, script: FakeTurn[], env: NodeJS.ProcessEnv = {}) {
  server = await startFakeOllama({ script });
  repo = makeRepo({ 'src/crash.ts': 'export const value = 1;\n', 'src/other.ts': 'export const other = 2;\n' });
  mkdirSync(join(repo.home, '.config', 'hunkwise'), { recursive: true });
  writeFileSync(join(repo.home, '.config', 'hunkwise', 'config.json'), JSON.stringify({ lsp: { typescript: lsp } }));
  const run = await runAgent(['task', 'scripted', '--approve', 'all'], {
    cwd: repo.root,
    env: { ...repo.env, ...env, OLLAMA_HOST: server.url },
  });
  const results = server.chatRequests().slice(1).map((chat) => chat.messages.at(-1)?.content ?? '');
  return { run, results };
}


describe('a language server that is missing or crashes', () => {
  it('a configured server whose program does not exist: the user is told, the text tools go on', async () => {
    const { run, results } = await runWithServer({ command: '/nonexistent/tsls', args: ['--stdio'] }, [
      { toolCalls: [{ name: 'find_symbol', arguments: { name: 'value' } }] },
      { toolCalls: [{ name: 'grep', arguments: { pattern: 'value' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\/nonexistent\/tsls/);
    expect(results[0]).toMatch(/No typescript language server is available/);
    expect(results[1]).toContain('src/crash.ts:1: export const value = 1;');
  });

  it('a server that crashes mid-task is restarted once, then given up; the task goes on; nothing is left running', async () => {
    const { run, results } = await runWithServer(
      { command: process.execPath, args: [FAKE_SERVER] },
      [
        { toolCalls: [{ name: 'find_symbol', arguments: { name: 'value', path: 'src/other.ts' } }] },
        { toolCalls: [{ name: 'find_symbol', arguments: { name: 'value', path: 'src/crash.ts' } }] },
        { toolCalls: [{ name: 'find_symbol', arguments: { name: 'value', path: 'src/crash.ts' } }] },
        { toolCalls: [{ name: 'grep', arguments: { pattern: 'value' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ],
      { FAKE_LSP_MODE: 'crash' },
    );
    expect(run.code).toBe(0);
    expect(results[0]).toMatch(/No declaration named value/);
    expect(results[1]).toMatch(/find_symbol failed: The typescript language server exited with code 3 .*Use grep and read_file instead\./);
    expect(results[2]).toMatch(/find_symbol failed: .*(crash|exited)/i);
    expect(results[3]).toContain('src/crash.ts:1: export const value = 1;');
    expect(run.stdout).toMatch(/typescript language server/i);
    expect(processesUnder('fake-lsp-server.mjs', repo?.home ?? '/nonexistent')).toEqual([]);
  });
});
