import { describe, expect, it } from 'vitest';
import { type FakeModel, startFakeOllama } from '../fake-ollama/server.js';
import { startFakeOpenAI } from '../fake-openai/server.js';
import { closeAfterEach } from '../helpers/open.js';
import { runAgent } from '../helpers/agent.js';
import { makeRepo, writeUserConfig } from '../helpers/repo.js';

const MODELS: FakeModel[] = [
  { name: 'qwen2.5-coder:7b', size: 4_683_087_332, contextLength: 32768, tools: true },
  { name: 'llama3.2:1b', size: 1_321_098_329, contextLength: null, tools: false },
  { name: 'qwen3:8b', size: 5_225_387_923, contextLength: 40960, tools: true, thinking: true },
];

const open = closeAfterEach();


/** The table's cells, split where two or more spaces separate the columns. */
const cells = (stdout: string): string[][] =>
  stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/ {2,}/));

describe('agent models', () => {
  it("lists the local Ollama's models with size, context length, tool calling and thinking, asking /api/show for each", async () => {
    const ollama = open.add(await startFakeOllama({ models: MODELS }));
    const repo = open.add(makeRepo({ 'a.txt': 'one\n' }));
    const run = await runAgent(['models'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: ollama.url } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(cells(run.stdout)).toEqual([
      ['NAME', 'SIZE', 'CONTEXT', 'TOOLS', 'THINKS'],
      ['ollama/qwen2.5-coder:7b', '4.7 GB', '32768', 'native', 'no'],
      ['ollama/llama3.2:1b', '1.3 GB', '?', 'text', 'no'],
      ['ollama/qwen3:8b', '5.2 GB', '40960', 'native', 'yes'],
    ]);
    const asked = ollama.requests.map((r) => `${r.method} ${r.path}`);
    expect(asked.sort()).toEqual(['GET /api/tags', 'POST /api/show', 'POST /api/show', 'POST /api/show']);
    expect(ollama.requests.filter((r) => r.path === '/api/show').map((r) => (r.body as { model: string }).model).sort()).toEqual([
      'llama3.2:1b',
      'qwen2.5-coder:7b',
      'qwen3:8b',
    ]);
  });

  it('prints the same as JSON with --json, unknowns as null', async () => {
    const ollama = open.add(await startFakeOllama({ models: MODELS }));
    const repo = open.add(makeRepo({ 'a.txt': 'one\n' }));
    const run = await runAgent(['models', 'ollama', '--json'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: ollama.url } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { name: 'ollama/qwen2.5-coder:7b', size: 4_683_087_332, contextLength: 32768, tools: true, thinks: false },
      { name: 'ollama/llama3.2:1b', size: 1_321_098_329, contextLength: null, tools: false, thinks: false },
      { name: 'ollama/qwen3:8b', size: 5_225_387_923, contextLength: 40960, tools: true, thinks: true },
    ]);
  });

  it('says how to start Ollama when nothing answers, and fails', async () => {
    const gone = await startFakeOllama();
    await gone.close();
    const repo = open.add(makeRepo({ 'a.txt': 'one\n' }));
    const run = await runAgent(['models'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: gone.url } });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`Cannot reach Ollama at ${gone.url}`);
    expect(run.stderr).toContain('ollama serve');
  });

  it('lists an OpenAI-compatible provider named on the command line, with what its server tells', async () => {
    const openai = open.add(await startFakeOpenAI({ models: [{ id: 'qwen2.5-coder-7b-instruct', max_model_len: 16384 }, { id: 'phi-4' }] }));
    const repo = open.add(makeRepo({ 'a.txt': 'one\n' }));
    writeUserConfig(repo, { providers: { lmstudio: { baseUrl: openai.baseUrl } } });
    const run = await runAgent(['models', 'lmstudio'], { cwd: repo.root, env: repo.env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(cells(run.stdout)).toEqual([
      ['NAME', 'SIZE', 'CONTEXT', 'TOOLS', 'THINKS'],
      ['lmstudio/qwen2.5-coder-7b-instruct', '?', '16384', '?', '?'],
      ['lmstudio/phi-4', '?', '?', '?', '?'],
    ]);
    expect(openai.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models']);
  });

  it('contacts a remote provider only when it is named, and only with its key', async () => {
    const repo = open.add(makeRepo({ 'a.txt': 'one\n' }));
    writeUserConfig(repo, { model: 'cloud/big-model', providers: { cloud: { baseUrl: 'https://models.example.invalid/v1', apiKeyEnv: 'CLOUD_KEY' } } });
    const unnamed = await runAgent(['models'], { cwd: repo.root, env: repo.env });
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain('which is not this machine: agent models does not contact it unasked');
    expect(unnamed.stderr).toContain('agent models cloud');
    const withoutKey = await runAgent(['models', 'cloud'], { cwd: repo.root, env: repo.env });
    expect(withoutKey.code).toBe(2);
    expect(withoutKey.stderr).toContain('cloud needs an API key, and CLOUD_KEY is not set.');
    const unknown = await runAgent(['models', 'nowhere'], { cwd: repo.root, env: repo.env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No provider named "nowhere" is configured');
  });
});
