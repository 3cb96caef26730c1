import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../fake-openai/server.js';
import { runAgent } from '../helpers/agent.js';
import { makeRepo, type TestRepo, writeUserConfig } from '../helpers/repo.js';
import { machineName } from '../helpers/machine-name.js';
import { onlyTask } from '../helpers/tasks.js';

let server: FakeOpenAI | undefined;
let repo: TestRepo | undefined;

afterEach(async () => {
  await server?.close();
  repo?.cleanup();
});


const taskRecord = onlyTask;


describe('OpenAI-compatible providers', () => {
  it('runs a task through a configured OpenAI-compatible server on this machine, recorded as local', async () => {
    server = await startFakeOpenAI({
      script: [
        { toolCalls: [{ name: 'edit_file', arguments: { path: 'a.txt', old_text: 'two', new_text: 'TWO' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ],
    });
    repo = makeRepo({ 'a.txt': 'one\ntwo\n' });
    writeUserConfig(repo, { providers: { lmstudio: { baseUrl: server.baseUrl } } });
    const run = await runAgent(['task', 'capitalise', '--model', 'lmstudio/qwen2.5-coder-7b-instruct', '--approve', 'all'], {
      cwd: repo.root,
      env: repo.env,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const task = onlyTask(repo);
    const trailers = repo.git('log', '-1', '--format=%(trailers)', task.branch);
    expect(trailers).toContain('Agent-Model: lmstudio/qwen2.5-coder-7b-instruct\nAgent-Locality: local\n');
    expect(server.chatRequests()).toHaveLength(2);
    expect(server.chatRequests()[1]?.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_1' });
  });

  it('refuses a remote model as the config default, and one without its API key, before contacting anything', async () => {
    repo = makeRepo({ 'a.txt': 'one\n' });
    writeUserConfig(repo, { model: 'cloud/big-model', providers: { cloud: { baseUrl: 'https://models.example.invalid/v1', apiKeyEnv: 'CLOUD_KEY' } } });
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

  it('uses a remote model named for the task, records it in every step and in agent stats, and refuses it as the default', async () => {
    const machine = await machineName();
    server = await startFakeOpenAI({
      host: machine.address,
      apiKey: 'sk-test',
      script: [
        { toolCalls: [{ name: 'edit_file', arguments: { path: 'a.txt', old_text: 'one', new_text: 'ONE' } }] },
        { toolCalls: [{ name: 'edit_file', arguments: { path: 'a.txt', old_text: 'two', new_text: 'TWO' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ],
    });
    repo = makeRepo({ 'a.txt': 'one\ntwo\n' });
    const baseUrl = `http://${machine.name}:${server.port}/v1`;
    writeUserConfig(repo, { providers: { lan: { baseUrl, apiKeyEnv: 'LAN_KEY' } } });
    const env = { ...repo.env, LAN_KEY: 'sk-test' };
    const run = await runAgent(['task', 'capitalise', '--model', 'lan/qwen2.5-coder-7b-instruct', '--approve', 'all'], { cwd: repo.root, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('lan/qwen2.5-coder-7b-instruct (remote, num_ctx');
    const task = taskRecord(repo);
    const localities = repo.git('log', '--format=%(trailers:key=Agent-Locality,valueonly)', `main..${task.branch}`).trim().split(/\n+/);
    expect(localities).toEqual(['remote', 'remote', 'remote']);

    const stats = await runAgent(['stats', '--json'], { cwd: repo.root, env });
    expect(stats.code).toBe(0);
    const figures = JSON.parse(stats.stdout);
    expect(figures.byLocality.remote).toMatchObject({ tasks: 1, steps: 2, approved: 2, refused: 0 });
    expect(figures.byModel['lan/qwen2.5-coder-7b-instruct'].steps).toBe(2);
    const shown = await runAgent(['stats'], { cwd: repo.root, env });
    expect(shown.stdout).toMatch(/By locality\n {2}remote {2}1 task, 2 steps, 2 approved, 0 refused/);

    const requests = server.requests.length;
    writeUserConfig(repo, { model: 'lan/qwen2.5-coder-7b-instruct', providers: { lan: { baseUrl, apiKeyEnv: 'LAN_KEY' } } });
    const byDefault = await runAgent(['task', 'again'], { cwd: repo.root, env });
    expect(byDefault.code).toBe(2);
    expect(byDefault.stderr).toContain(`is served from ${baseUrl}, which is not this machine`);
    expect(server.requests.length).toBe(requests);
  });

  it('takes a server on the network as local when the user declares it, never when a repository does', async () => {
    const machine = await machineName();
    server = await startFakeOpenAI({
      host: machine.address,
      script: [{ toolCalls: [{ name: 'finish', arguments: { summary: 'nothing to do' } }] }],
    });
    repo = makeRepo({ 'a.txt': 'one\n' });
    const lan = { baseUrl: `http://${machine.name}:${server.port}/v1`, local: true };
    mkdirSync(join(repo.root, '.hunkwise'));
    writeFileSync(join(repo.root, '.hunkwise', 'config.json'), JSON.stringify({ providers: { lan } }));
    const fromRepo = await runAgent(['task', 'x', '--model', 'lan/qwen2.5-coder-7b-instruct'], { cwd: repo.root, env: repo.env });
    expect(fromRepo.code).toBe(2);
    expect(fromRepo.stderr).toContain('providers.lan.local: only your own config may declare a provider local');
    expect(server.requests).toHaveLength(0);

    writeFileSync(join(repo.root, '.hunkwise', 'config.json'), '{}');
    writeUserConfig(repo, { model: 'lan/qwen2.5-coder-7b-instruct', providers: { lan } });
    const declared = await runAgent(['task', 'x', '--approve', 'all'], { cwd: repo.root, env: repo.env });
    expect(declared.stderr).toBe('');
    expect(declared.code).toBe(0);
    const task = taskRecord(repo);
    expect(repo.git('log', '-1', '--format=%(trailers:key=Agent-Locality,valueonly)', task.branch).trim()).toBe('local');
  });
});
