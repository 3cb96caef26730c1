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

  it("asks about the user's model while git finds the repository; a repository config naming another model has that one asked and used", async () => {
    repo = makeRepo({ 'a.txt': 'a\n' });
    server = await startFakeOllama({
      models: [{ name: 'qwen2.5-coder:7b', contextLength: 32768 }, { name: 'llama3.1:8b', contextLength: 8192 }],
      script: [{ toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }],
    });
    const env = { ...repo.env, OLLAMA_HOST: server.url };
    const shown = () => server?.requests.filter((r) => r.path === '/api/show').map((r) => (r.body as { model: string }).model);

    expect((await runAgent(['task', 'first', '--approve', 'all'], { cwd: repo.root, env })).code).toBe(0);
    expect(shown()).toEqual(['qwen2.5-coder:7b']);
    expect(server.chatRequests().map((body) => [body.model, (body.options as { num_ctx: number }).num_ctx])).toEqual([['qwen2.5-coder:7b', 32768]]);

    repo.write('.hunkwise/config.json', JSON.stringify({ model: 'ollama/llama3.1:8b' }));
    server.requests.length = 0;
    server.setScript([{ toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }]);
    const second = await runAgent(['task', 'second', '--approve', 'all'], { cwd: repo.root, env });
    expect(second.code).toBe(0);
    // The early question about the user's model is dropped (it may have reached the server, or not):
    // the repository's model is asked and its window and name are used.
    expect(shown()?.filter((model) => model !== 'qwen2.5-coder:7b')).toEqual(['llama3.1:8b']);
    expect(server.chatRequests().map((body) => [body.model, (body.options as { num_ctx: number }).num_ctx])).toEqual([['llama3.1:8b', 8192]]);
    const record = taskIds(repo).map((id) => readTask(repo as TestRepo, id)).find((task) => task.instruction === 'second');
    expect(record?.models).toEqual(['ollama/llama3.1:8b']);
  });
});
