import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FakeModel, startFakeOllama } from '../fake-ollama/server.js';
import { startFakeOpenAI } from '../fake-openai/server.js';
import { closeAfterEach } from '../helpers/open.js';
import { type AgentRun, runAgent } from '../helpers/agent.js';
import { makeRepo, type TestRepo, writeUserConfig } from '../helpers/repo.js';

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

const open = closeAfterEach();

/** A repository with one commit, and Ollama at `ollamaUrl`. */
function setUp(ollamaUrl: string, files: Record<string, string> = {}): { repo: TestRepo; env: NodeJS.ProcessEnv } {
  const repo = open.add(makeRepo({ 'README.md': '# project\n', 'src/index.ts': 'export const answer = 42;\n', ...files }));
  return { repo, env: { ...repo.env, OLLAMA_HOST: ollamaUrl } };
}

async function doctorJson(cwd: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ run: AgentRun; checks: Check[] }> {
  const run = await runAgent(['doctor', '--json', ...args], { cwd, env });
  return { run, checks: (JSON.parse(run.stdout) as { checks: Check[] }).checks };
}

const byName = (checks: Check[], name: string): Check | undefined => checks.find((check) => check.name === name);

/** The line of the report that starts the named check, e.g. `✗ provider ...`. */
const lineOf = (stdout: string, name: string): string | undefined =>
  stdout.split('\n').find((line) => new RegExp(`^. ${name} `).test(line));

describe('agent doctor', () => {
  it('passes with git, a repository, Ollama and a model that calls tools: every check ✓ or a warning', async () => {
    const ollama = open.add(await startFakeOllama());
    const { repo, env } = setUp(ollama.url);
    const run = await runAgent(['doctor'], { cwd: repo.root, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const line of run.stdout.trimEnd().split('\n')) expect(line).toMatch(/^(✓|!| )/);
    expect(lineOf(run.stdout, 'provider')).toContain(`✓ provider`);
    expect(lineOf(run.stdout, 'provider')).toContain(`Ollama 0.12.6 at ${ollama.url} (local)`);

    const { checks } = await doctorJson(repo.root, env);
    expect(checks.filter((check) => check.status === 'fail')).toEqual([]);
    for (const name of ['git', 'git identity', 'repository', 'config', 'provider', 'model', 'tool calling', 'context', 'lsp typescript']) {
      expect(byName(checks, name), name).toMatchObject({ status: 'ok' });
    }
    expect(byName(checks, 'git identity')?.detail).toBe('Test User <test@example.com>');
    expect(byName(checks, 'repository')?.detail).toBe(`${repo.root}, on main`);
    expect(byName(checks, 'context')?.detail).toBe('32768 tokens; a task will use num_ctx 32768');
    // The languages of the repository's files only: a TypeScript project is not told about Go's server.
    expect(checks.filter((check) => check.name.startsWith('lsp ')).map((check) => check.name)).toEqual(['lsp typescript', 'lsp others']);
    expect(byName(checks, 'lsp others')).toMatchObject({ status: 'ok', detail: 'no files of python, go, rust, cpp here: their servers are not needed' });
    // Doctor asks; it never chats with the model.
    expect(new Set(ollama.requests.map((r) => `${r.method} ${r.path}`))).toEqual(new Set(['GET /api/version', 'POST /api/show']));
  });

  it("names what a repository's config asks for that waits for the user's agreement", async () => {
    const ollama = open.add(await startFakeOllama());
    const config = JSON.stringify({ permissions: { run: 'allow', read: { 'secrets/**': 'deny' } } });
    const { repo, env } = setUp(ollama.url, { '.hunkwise/config.json': config });
    const { run, checks } = await doctorJson(repo.root, env);
    expect(run.code).toBe(0);
    expect(byName(checks, 'config')).toEqual({
      name: 'config',
      status: 'warn',
      detail: `valid, but these settings wait for your agreement in ${join(repo.root, '.hunkwise', 'config.json')}, so they are not applied:\n  • permissions.run: allow every command without asking`,
      fix: 'Start a task in a terminal (agent task "...") to answer.',
    });
  });

  it('fails on a git older than 2.38, saying what it needs', async () => {
    const server = open.add(await startFakeOllama());
    const { repo, env } = setUp(server.url);
    // git as an older release answers --version; every other call goes to the real git.
    const bin = join(repo.home, 'old-git');
    mkdirSync(bin);
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'git'), `#!/bin/sh\n[ "$1" = --version ] && { echo 'git version 2.34.1'; exit 0; }\nexec ${real} "$@"\n`, { mode: 0o755 });
    const { checks } = await doctorJson(repo.root, { ...env, PATH: `${bin}:${env.PATH}` });
    expect(byName(checks, 'git')).toMatchObject({ status: 'fail', detail: expect.stringContaining('git version 2.34.1: hunkwise needs git 2.38 or newer') });
  });

  it('with Ollama down, says to start it (ollama serve) and fails', async () => {
    const gone = await startFakeOllama();
    await gone.close();
    const { repo, env } = setUp(gone.url);
    const run = await runAgent(['doctor'], { cwd: repo.root, env });
    expect(run.code).toBe(1);
    expect(lineOf(run.stdout, 'provider')).toContain(`✗ provider`);
    expect(lineOf(run.stdout, 'provider')).toContain(`Cannot reach Ollama at ${gone.url}`);
    expect(run.stdout).toMatch(/fix: .*ollama serve/);
    expect(lineOf(run.stdout, 'model')).toBeUndefined();
    expect(lineOf(run.stdout, 'lsp typescript')).toContain('✓ lsp typescript');
    expect(run.stderr).toContain('agent: A check failed: provider.');
  });

  it('with the model not pulled, gives the ollama pull line and fails', async () => {
    const ollama = open.add(await startFakeOllama({ models: [{ name: 'llama3.2:1b' }] }));
    const { repo, env } = setUp(ollama.url);
    const { run, checks } = await doctorJson(repo.root, env);
    expect(run.code).toBe(1);
    expect(byName(checks, 'provider')?.status).toBe('ok');
    expect(byName(checks, 'model')).toEqual({
      name: 'model',
      status: 'fail',
      detail: `Ollama at ${ollama.url} has no model "qwen2.5-coder:7b".`,
      fix: 'ollama pull qwen2.5-coder:7b',
    });
    expect(byName(checks, 'tool calling')).toBeUndefined();
  });

  it('warns that a model without tool calling gets the text tool protocol, and passes', async () => {
    const models: FakeModel[] = [{ name: 'qwen2.5-coder:7b' }, { name: 'gemma2:2b', tools: false, contextLength: 8192 }];
    const ollama = open.add(await startFakeOllama({ models }));
    const { repo, env } = setUp(ollama.url);
    const { run, checks } = await doctorJson(repo.root, env, ['--model', 'ollama/gemma2:2b']);
    expect(run.code).toBe(0);
    const tools = byName(checks, 'tool calling');
    expect(tools?.status).toBe('warn');
    expect(tools?.detail).toContain('ollama/gemma2:2b does not call tools natively');
    expect(tools?.detail).toContain('text tool protocol');
    expect(tools?.fix).toContain('ollama pull qwen2.5-coder:7b');
    expect(byName(checks, 'context')?.detail).toBe('8192 tokens; a task will use num_ctx 8192');

    const text = await runAgent(['doctor', '--model', 'ollama/gemma2:2b'], { cwd: repo.root, env });
    expect(lineOf(text.stdout, 'tool calling')).toMatch(/^! tool calling +ollama\/gemma2:2b does not call tools natively/);
  });

  it('says which model thinks and what think a task sends it; a think for a model that cannot is a warning', async () => {
    const models: FakeModel[] = [{ name: 'qwen2.5-coder:7b' }, { name: 'qwen3:8b', thinking: true }];
    const ollama = open.add(await startFakeOllama({ models }));
    const { repo, env } = setUp(ollama.url);
    const thinker = await doctorJson(repo.root, env, ['--model', 'ollama/qwen3:8b']);
    expect(byName(thinker.checks, 'thinking')).toMatchObject({ status: 'ok' });
    expect(byName(thinker.checks, 'thinking')?.detail).toContain('ollama/qwen3:8b thinks before it answers; think: true is sent.');
    const plain = await doctorJson(repo.root, env);
    expect(byName(plain.checks, 'thinking')?.detail).toBe('ollama/qwen2.5-coder:7b does not think (no thinking capability)');
    writeUserConfig(repo, { think: 'high' });
    const asked = await doctorJson(repo.root, env);
    expect(byName(asked.checks, 'thinking')).toMatchObject({ status: 'warn' });
    expect(byName(asked.checks, 'thinking')?.detail).toContain('does not think (it lacks the thinking capability): "think" in your config is not sent');
  });

  it('checks the language servers of the languages the repository has', async () => {
    const ollama = open.add(await startFakeOllama());
    const { repo, env } = setUp(ollama.url, { 'tools/gen.py': 'print(1)\n', 'cmd/main.go': 'package main\n' });
    const { checks } = await doctorJson(repo.root, env);
    expect(checks.filter((check) => check.name.startsWith('lsp ')).map((check) => check.name)).toEqual(['lsp typescript', 'lsp python', 'lsp go', 'lsp others']);
    expect(byName(checks, 'lsp others')?.detail).toBe('no files of rust, cpp here: their servers are not needed');
  });

  it('says who to be when git does not know the user', async () => {
    const ollama = open.add(await startFakeOllama());
    const { repo, env } = setUp(ollama.url);
    const anonymous: NodeJS.ProcessEnv = { ...env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.useConfigOnly', GIT_CONFIG_VALUE_0: 'true' };
    for (const name of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'EMAIL']) delete anonymous[name];
    const { run, checks } = await doctorJson(repo.root, anonymous);
    expect(run.code).toBe(1);
    expect(byName(checks, 'git identity')).toMatchObject({ status: 'fail' });
    expect(byName(checks, 'git identity')?.fix).toContain('git config --global user.name');
    expect(byName(checks, 'git identity')?.fix).toContain('git config --global user.email');
  });

  it('without git on PATH, says to install it and fails', async () => {
    const ollama = open.add(await startFakeOllama());
    const { repo, env } = setUp(ollama.url);
    const emptyDir = join(repo.home, 'empty-bin');
    mkdirSync(emptyDir);
    const { run, checks } = await doctorJson(repo.root, { ...env, PATH: emptyDir });
    expect(run.code).toBe(1);
    expect(byName(checks, 'git')).toMatchObject({ status: 'fail', detail: 'git was not found on PATH, and hunkwise keeps every task in git.' });
    expect(byName(checks, 'git')?.fix).toContain('Install git');
    expect(byName(checks, 'provider')?.status).toBe('ok');
  });

  it('reports a broken config with the file and key, and leaves the model unchecked', async () => {
    const ollama = open.add(await startFakeOllama());
    const { repo, env } = setUp(ollama.url, { '.hunkwise/config.json': '{ "modle": "ollama/x" }' });
    const { run, checks } = await doctorJson(repo.root, env);
    expect(run.code).toBe(1);
    expect(byName(checks, 'config')?.status).toBe('fail');
    expect(byName(checks, 'config')?.detail).toContain(`${join(repo.root, '.hunkwise', 'config.json')}: modle: unknown key`);
    expect(byName(checks, 'provider')).toBeUndefined();
    expect(ollama.requests).toEqual([]);
  });

  it('does not contact a remote configured model, outside a repository too; --model names one to check', async () => {
    const openai = open.add(await startFakeOpenAI({ models: [{ id: 'coder', context_length: 65536 }] }));
    const repo = open.add(makeRepo({}, { commit: false }));
    mkdirSync(join(repo.home, '.config', 'hunkwise'), { recursive: true });
    writeFileSync(
      join(repo.home, '.config', 'hunkwise', 'config.json'),
      JSON.stringify({
        model: 'cloud/big-model',
        providers: { cloud: { baseUrl: 'https://models.example.invalid/v1', apiKeyEnv: 'CLOUD_KEY' }, lmstudio: { baseUrl: openai.baseUrl } },
      }),
    );
    const remote = await doctorJson(repo.home, repo.env);
    expect(remote.run.code).toBe(1);
    expect(byName(remote.checks, 'repository')?.status).toBe('warn');
    expect(byName(remote.checks, 'repository')?.detail).toContain('is not inside a git repository');
    expect(byName(remote.checks, 'provider')?.status).toBe('fail');
    expect(byName(remote.checks, 'provider')?.detail).toContain('https://models.example.invalid/v1, which is not this machine: not contacted');
    expect(byName(remote.checks, 'provider')?.fix).toContain('agent doctor --model cloud/big-model');
    expect(byName(remote.checks, 'model')).toBeUndefined();

    const named = await doctorJson(repo.home, repo.env, ['--model', 'lmstudio/coder']);
    expect(named.run.code).toBe(0);
    expect(byName(named.checks, 'provider')).toMatchObject({ status: 'ok', detail: `${openai.baseUrl} (local) answers, with 1 model` });
    expect(byName(named.checks, 'model')).toMatchObject({ status: 'ok', detail: 'lmstudio/coder is there' });
    expect(byName(named.checks, 'tool calling')?.status).toBe('warn');
    expect(byName(named.checks, 'context')?.detail).toBe('65536 tokens; a task will use num_ctx 32768');
    expect(openai.requests.every((r) => r.method === 'GET' && r.path === '/v1/models')).toBe(true);
  });
});
