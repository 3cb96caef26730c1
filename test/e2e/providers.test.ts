import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../fake-openai/server.js';
import { runAgent } from '../helpers/agent.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

let server: FakeOpenAI | undefined;
let repo: TestRepo | undefined;

afterEach(async () => {
  await server?.close();
  repo?.cleanup();
});

function userConfig(repo: TestRepo, config: object): void {
  mkdirSync(join(repo.home, '.config', 'hunkwise'), { recursive: true });
  writeFileSync(join(repo.home, '.config', 'hunkwise', 'config.json'), JSON.stringify(config));
}

describe('OpenAI-compatible providers', () => {
  it('runs a task through a configured OpenAI-compatible server on this machine, recorded as local', async () => {
    server = await startFakeOpenAI({
      script: [
        { toolCalls: [{ name: 'edit_file', arguments: { path: 'a.txt', old_text: 'two', new_text: 'TWO' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ],
    });
    repo = makeRepo({ 'a.txt': 'one\ntwo\n' });
    userConfig(repo, { providers: { lmstudio: { baseUrl: server.baseUrl } } });
    const run = await runAgent(['task', 'capitalise', '--model', 'lmstudio/qwen2.5-coder-7b-instruct', '--approve', 'all'], {
      cwd: repo.root,
      env: repo.env,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [id = ''] = readdirSync(join(repo.root, '.git', 'hunkwise', 'tasks'));
    const task = JSON.parse(readFileSync(join(repo.root, '.git', 'hunkwise', 'tasks', id, 'task.json'), 'utf8'));
    const trailers = repo.git('log', '-1', '--format=%(trailers)', task.branch);
    expect(trailers).toContain('Agent-Model: lmstudio/qwen2.5-coder-7b-instruct\nAgent-Locality: local\n');
    expect(server.chatRequests()).toHaveLength(2);
    expect(server.chatRequests()[1]?.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_1' });
  });

  it('refuses a remote model as the config default, and one without its API key, before contacting anything', async () => {
    repo = makeRepo({ 'a.txt': 'one\n' });
    userConfig(repo, { model: 'cloud/big-model', providers: { cloud: { baseUrl: 'https://models.example.invalid/v1', apiKeyEnv: 'CLOUD_KEY' } } });
    const byDefault = await runAgent(['task', 'x'], { cwd: repo.root, env: repo.env });
    expect(byDefault.code).toBe(2);
    expect(byDefault.stderr).toContain('is served from https://models.example.invalid/v1, which is not this machine');
    expect(byDefault.stderr).toContain('agent task --model cloud/big-model');
    const withoutKey = await runAgent(['task', 'x', '--model', 'cloud/big-model'], { cwd: repo.root, env: repo.env });
    expect(withoutKey.code).toBe(2);
    expect(withoutKey.stderr).toContain('cloud needs an API key, and CLOUD_KEY is not set.');
    const unknown = await runAgent(['task', 'x', '--model', 'nowhere/m'], { cwd: repo.root, env: repo.env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No provider named "nowhere" is configured');
    expect(readdirSync(join(repo.root, '.git')).includes('hunkwise')).toBe(false);
  });
});
