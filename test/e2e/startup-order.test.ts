import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../fake-ollama/server.js';
import { runAgent } from '../helpers/agent.js';
import { processesUnder } from '../helpers/processes.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';
import { readTask, taskIds } from '../helpers/tasks.js';

let server: FakeOllama | undefined;
let repo: TestRepo | undefined;

afterEach(async () => {
  await server?.close();
  repo?.cleanup();
});

const waitFor = async (check: () => boolean, ms: number): Promise<boolean> => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 25))) {
    if (check()) return true;
  }
  return check();
};

describe('what a task does while the model reads its first prompt', () => {
  it('sends the first request before the worktree is needed, then makes the worktree and starts the language server meanwhile', async () => {
    repo = makeRepo({ 'tsconfig.json': '{ "compilerOptions": { "strict": true } }\n', 'src/a.ts': 'export const a = 1;\n' });
    const seen: { worktree?: boolean; server?: boolean } = {};
    const made = repo;
    server = await startFakeOllama({
      // The first answer comes only once the test has looked (or after 20 s).
      script: async (_body, index) => {
        if (index === 0) {
          const [id = ''] = taskIds(made);
          const task = readTask(made, id);
          seen.worktree = await waitFor(() => existsSync(join(task.worktree, 'src', 'a.ts')), 20_000);
          seen.server = await waitFor(() => processesUnder('--lsp', dirname(made.root)).length > 0, 20_000);
        }
        return { toolCalls: [{ name: 'finish', arguments: { summary: 'looked' } }] };
      },
    });
    const run = await runAgent(['task', 'look', '--approve', 'all'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(seen).toEqual({ worktree: true, server: true });
    // Started for the task, stopped with it.
    expect(processesUnder('--lsp', dirname(repo.root))).toEqual([]);
  });
});
