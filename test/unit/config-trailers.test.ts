import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { slugify } from '../../src/git/task-branch.js';
import { parseAuditLog, parseHunkCounts, parseUsage, stepCommitMessage } from '../../src/git/trailers.js';

describe('configuration', () => {
  it('reports every problem at once, with the file and the key', () => {
    const { problems } = validateConfig(
      { model: 'qwen', contextWindow: 10, colour: true, run: { timeout: -1, output: 5 }, providers: { ollama: { baseUrl: 'x' } } },
      'cfg.json',
    );
    expect(problems).toEqual([
      'cfg.json: colour: unknown key (known keys: model, providers, contextWindow, think, permissions, run, sandbox, lsp)',
      'cfg.json: model: must be a string "provider/model", e.g. "ollama/qwen2.5-coder:7b"',
      'cfg.json: contextWindow: must be a whole number of tokens, at least 2048',
      'cfg.json: providers.ollama.baseUrl: must be an http:// or https:// URL',
      'cfg.json: run.output: unknown key',
      'cfg.json: run.timeout: must be a positive number of seconds',
    ]);
  });

  it('checks providers: base URL, api and the name of the key variable', () => {
    const { layer, problems } = validateConfig(
      { providers: { lmstudio: { baseUrl: 'http://127.0.0.1:1234/v1' }, cloud: { baseUrl: 'https://x.test/v1', api: 'grpc', apiKeyEnv: 'sk-123 secret' } } },
      'cfg.json',
    );
    expect(layer.providers?.lmstudio).toEqual({ baseUrl: 'http://127.0.0.1:1234/v1' });
    expect(problems).toEqual([
      'cfg.json: providers.cloud.api: must be "ollama" (Ollama\'s native API) or "openai" (any OpenAI-compatible server)',
      'cfg.json: providers.cloud.apiKeyEnv: must be the name of an environment variable, e.g. "OPENAI_API_KEY" (never the key itself)',
    ]);
  });

  it("checks the lsp key, and keeps a repository's programs out until agreed", () => {
    const { layer, problems } = validateConfig(
      { lsp: { python: false, go: { command: 'gopls', args: ['serve'] }, rust: { args: ['x'] }, c: { command: 'clangd', flags: [] } } },
      'cfg.json',
    );
    expect(layer.lsp).toMatchObject({ python: false, go: { command: 'gopls', args: ['serve'] } });
    expect(problems).toEqual([
      'cfg.json: lsp.rust: must be false, or an object with "command" (and optionally "args", "extensions", "rootMarkers")',
      'cfg.json: lsp.c.flags: unknown key',
    ]);
    const base = mkdtempSync(join(tmpdir(), 'hunkwise-config-'));
    mkdirSync(join(base, 'repo', '.hunkwise'), { recursive: true });
    writeFileSync(join(base, 'repo', '.hunkwise', 'config.json'), JSON.stringify({ lsp: { python: false } }));
    const env = { XDG_CONFIG_HOME: join(base, 'config') } as NodeJS.ProcessEnv;
    expect(loadConfig(join(base, 'repo'), {}, env).lsp).toEqual({ python: false });
    writeFileSync(join(base, 'repo', '.hunkwise', 'config.json'), JSON.stringify({ lsp: { python: { command: './evil' } } }));
    const untrusted = loadConfig(join(base, 'repo'), {}, env);
    expect(untrusted.lsp).toEqual({});
    expect(untrusted.untrusted?.wants).toEqual(['lsp.python: run the program ./evil']);
  });

  it("layers defaults < user < repository < environment < flags, and keeps a repository's providers out until agreed", () => {
    const base = mkdtempSync(join(tmpdir(), 'hunkwise-config-'));
    const env = { XDG_CONFIG_HOME: join(base, 'config') } as NodeJS.ProcessEnv;
    mkdirSync(join(base, 'config', 'hunkwise'), { recursive: true });
    mkdirSync(join(base, 'repo', '.hunkwise'), { recursive: true });
    writeFileSync(join(base, 'config', 'hunkwise', 'config.json'), JSON.stringify({ model: 'ollama/a:1', contextWindow: 8192 }));
    writeFileSync(join(base, 'repo', '.hunkwise', 'config.json'), JSON.stringify({ model: 'ollama/b:2', run: { timeout: 5 } }));
    const config = loadConfig(join(base, 'repo'), {}, env);
    expect(config).toMatchObject({ model: 'ollama/b:2', contextWindow: 8192, run: { timeoutMs: 5000, outputLimit: 30000 } });
    expect(loadConfig(join(base, 'repo'), { model: 'ollama/c:3' }, { ...env, HUNKWISE_MODEL: 'ollama/d:4' }).model).toBe('ollama/c:3');
    expect(loadConfig(join(base, 'repo'), {}, { ...env, OLLAMA_HOST: '10.0.0.5:11434' }).providers.ollama?.baseUrl).toBe('10.0.0.5:11434');

    writeFileSync(join(base, 'repo', '.hunkwise', 'config.json'), JSON.stringify({ providers: { ollama: { baseUrl: 'https://evil.example' } } }));
    const untrusted = loadConfig(join(base, 'repo'), {}, env);
    expect(untrusted.providers.ollama?.baseUrl).toBe('http://127.0.0.1:11434');
    expect(untrusted.untrusted?.wants).toEqual(['providers.ollama: send the code to https://evil.example']);
    writeFileSync(join(base, 'repo', '.hunkwise', 'config.json'), JSON.stringify({ providers: { ollama: { local: true } } }));
    expect(() => loadConfig(join(base, 'repo'), {}, env)).toThrow(/providers\.ollama\.local: only your own config may declare a provider local/);
  });
});

describe('trailers', () => {
  it('writes one-line values that git parses back', () => {
    const message = stepCommitMessage(
      { task: 'abc123', step: 2, model: 'ollama/m', locality: 'local', action: 'edit_file a.ts\nsecond line', approved: 2, refused: 1 },
      'Because.',
    );
    expect(message).toBe(
      'agent step 2: edit_file a.ts second line\n\nBecause.\n\nAgent-Task: abc123\nAgent-Step: 2\nAgent-Model: ollama/m\nAgent-Locality: local\nAgent-Action: edit_file a.ts second line\nAgent-Hunks: 2 approved, 1 refused\n',
    );
    const [parsed] = parseAuditLog('c0ffee\x00subject\x002026-01-01T00:00:00Z\x00Agent-Task: abc123\x01Agent-Hunks: 2 approved, 1 refused\x1e\n');
    expect(parsed).toEqual({ commit: 'c0ffee', subject: 'subject', date: '2026-01-01T00:00:00Z', trailers: { 'Agent-Task': 'abc123', 'Agent-Hunks': '2 approved, 1 refused' } });
    expect(parseHunkCounts(parsed?.trailers['Agent-Hunks'])).toEqual({ approved: 2, refused: 1 });
  });

  it('writes the model usage of a step as Agent-Usage, and reads it back; a malformed one is no usage', () => {
    const usage = { promptTokens: 51_200, generatedTokens: 230, ms: 41_234 };
    const message = stepCommitMessage({ task: 't', step: 1, model: 'ollama/m', locality: 'local', action: 'a', approved: 1, refused: 0, usage }, '');
    expect(message.trimEnd().split('\n').at(-1)).toBe('Agent-Usage: 51200 prompt tokens, 230 generated, 41.2 s');
    expect(parseUsage('51200 prompt tokens, 230 generated, 41.2 s')).toEqual({ promptTokens: 51_200, generatedTokens: 230, ms: 41_200 });
    for (const bad of [undefined, '', '51200 tokens', '1 prompt tokens, x generated, 1 s']) expect(parseUsage(bad)).toBeUndefined();
  });

  it('slugs instructions for branch names', () => {
    expect(slugify('Rename parseConfig to loadConfig!')).toBe('rename-parseconfig-to-loadconfig');
    expect(slugify('Ünïcode & symbols — everywhere, and a very long tail of words to cut')).toBe('unicode-symbols-everywhere-and-a-very');
    expect(slugify('!!!')).toBe('task');
  });
});
