import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FakeOllama, type FakeOllamaOptions, splitContent, startFakeOllama } from '../fake-ollama/server.js';

const SERVER = new URL('../fake-ollama/server.js', import.meta.url).pathname;
let fake: FakeOllama | undefined;

async function start(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  fake = await startFakeOllama(options);
  return fake;
}

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const post = (f: FakeOllama, path: string, body: unknown) =>
  fetch(`${f.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const chat = (f: FakeOllama, extra: Record<string, unknown> = {}) =>
  post(f, '/api/chat', { model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'hi' }], ...extra });
const lines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));

type ModelList = { models: { name: string }[] };
type Show = { model_info: Record<string, unknown>; capabilities: string[] };
/** A JSON body as the shape the test expects; the assertions check it. */
const json = async <T>(response: Response | Promise<Response>): Promise<T> => (await (await response).json()) as T;

/** Reads a body until it ends or breaks; returns the text read and the error, if any. */
async function readUntilBroken(response: Response): Promise<{ text: string; error: unknown }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, error: undefined };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

describe('fake ollama: model endpoints', () => {
  it('answers /, /api/version, /api/tags and /api/ps as Ollama does', async () => {
    const f = await start({ script: [{ content: 'ok' }] });
    expect(await (await fetch(`${f.url}/`)).text()).toBe('Ollama is running');
    expect(await (await fetch(`${f.url}/api/version`)).json()).toEqual({ version: expect.any(String) });
    const tags = await json<ModelList>(fetch(`${f.url}/api/tags`));
    expect(tags.models).toEqual([
      expect.objectContaining({
        name: 'qwen2.5-coder:7b',
        model: 'qwen2.5-coder:7b',
        size: expect.any(Number),
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        modified_at: expect.any(String),
        details: expect.objectContaining({ family: 'qwen2', parameter_size: expect.any(String), format: 'gguf' }),
      }),
    ]);
    expect((await json<ModelList>(fetch(`${f.url}/api/ps`))).models).toEqual([]);
    await (await chat(f)).text();
    const running = await json<ModelList>(fetch(`${f.url}/api/ps`));
    expect(running.models.map((m) => m.name)).toEqual(['qwen2.5-coder:7b']);
  });

  it('shows a model: context length under <arch>.context_length, capabilities', async () => {
    const f = await start({
      models: [{ name: 'coder:7b' }, { name: 'plain:3b', tools: false, family: 'llama', contextLength: null }],
    });
    const coder = await json<Show>(post(f, '/api/show', { model: 'coder:7b' }));
    expect(coder.model_info['general.architecture']).toBe('qwen2');
    expect(coder.model_info['qwen2.context_length']).toBe(32768);
    expect(coder.capabilities).toEqual(['completion', 'tools']);
    expect(coder).toHaveProperty('template');
    expect(coder).toHaveProperty('parameters');
    const plain = await json<Show>(post(f, '/api/show', { model: 'plain:3b' }));
    expect(plain.capabilities).toEqual(['completion']);
    expect(plain.model_info).not.toHaveProperty('llama.context_length');
    const missing = await post(f, '/api/show', { model: 'nope' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/json');
    expect(await missing.json()).toEqual({ error: "model 'nope' not found" });
  });
});

describe('fake ollama: /api/chat', () => {
  it('streams NDJSON: content pieces, then one done line with the stats in nanoseconds', async () => {
    const f = await start({ script: [{ content: 'one two three four five six seven', promptEvalCount: 12, evalCount: 7 }] });
    const response = await chat(f);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const parsed = lines(await response.text());
    const pieces = parsed.slice(0, -1);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(piece).toEqual({
        model: 'qwen2.5-coder:7b',
        created_at: expect.any(String),
        message: { role: 'assistant', content: expect.any(String) },
        done: false,
      });
    }
    expect(pieces.map((p) => (p.message as { content: string }).content).join('')).toBe('one two three four five six seven');
    expect(parsed.at(-1)).toEqual({
      model: 'qwen2.5-coder:7b',
      created_at: expect.any(String),
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      total_duration: expect.any(Number),
      load_duration: 2_000_000,
      prompt_eval_count: 12,
      prompt_eval_duration: 12_000_000,
      eval_count: 7,
      eval_duration: 140_000_000,
    });
  });

  it('cuts content in chunkSize pieces or in a few words', () => {
    expect(splitContent('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    expect(splitContent('  a b c d e ', undefined).join('')).toBe('  a b c d e ');
    expect(splitContent('', 3)).toEqual([]);
  });

  it('sends tool calls with empty content, arguments as an object', async () => {
    const f = await start({ script: [{ toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }] }] });
    const parsed = lines(await (await chat(f)).text());
    expect(parsed).toHaveLength(2);
    expect(parsed[0]?.message).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [{ function: { name: 'read_file', arguments: { path: 'a.ts' } } }],
    });
    expect(parsed[1]?.done).toBe(true);
  });

  it('answers one JSON object when stream is false', async () => {
    const f = await start({ script: [{ content: 'whole answer', toolCalls: [{ name: 'x', arguments: {} }] }] });
    const response = await chat(f, { stream: false });
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = await json<{ message: unknown }>(response);
    expect(body.message).toEqual({
      role: 'assistant',
      content: 'whole answer',
      tool_calls: [{ function: { name: 'x', arguments: {} } }],
    });
    expect(body).toMatchObject({ done: true, done_reason: 'stop', eval_count: expect.any(Number) });
  });

  it('answers Ollama errors as JSON: unknown model, tools unsupported, scripted errors', async () => {
    const f = await start({
      models: [{ name: 'coder:7b' }, { name: 'plain:3b', tools: false }],
      script: [{ error: { status: 503, error: 'server busy' } }],
    });
    const missing = await chat(f, { model: 'nope:1b' });
    expect([missing.status, await missing.json()]).toEqual([404, { error: 'model "nope:1b" not found, try pulling it first' }]);
    const noTools = await chat(f, { model: 'plain:3b', tools: [{ type: 'function', function: { name: 't' } }] });
    expect([noTools.status, await noTools.json()]).toEqual([
      400,
      { error: 'registry.ollama.ai/library/plain:3b does not support tools' },
    ]);
    const busy = await chat(f, { model: 'coder:7b' });
    expect(busy.headers.get('content-type')).toContain('application/json');
    expect([busy.status, await busy.json()]).toEqual([503, { error: 'server busy' }]);
  });

  it('fails loudly when the script runs out; setScript starts again; a function script sees the request', async () => {
    const f = await start({ script: [{ content: 'first' }] });
    await (await chat(f)).text();
    const over = await chat(f);
    expect([over.status, await over.json()]).toEqual([500, { error: 'fake ollama: no scripted turn left for request 2' }]);
    const seen: [string, number][] = [];
    f.setScript((request, index) => {
      seen.push([request.messages[0]?.content ?? '', index]);
      return index < 2 ? { content: `answer ${index}` } : undefined;
    });
    expect(lines(await (await chat(f)).text())[0]?.message).toEqual({ role: 'assistant', content: 'answer 0' });
    await (await chat(f)).text();
    expect((await chat(f)).status).toBe(500);
    expect(seen).toEqual([
      ['hi', 0],
      ['hi', 1],
      ['hi', 2],
    ]);
  });

  it('cutAfter sends that many lines, then drops the connection without the done line', async () => {
    const f = await start({ script: [{ content: 'abcdef', chunkSize: 1, cutAfter: 2 }] });
    const { text, error } = await readUntilBroken(await chat(f));
    expect(error).toBeInstanceOf(Error);
    expect(lines(text).map((l) => l.done)).toEqual([false, false]);
  });

  it('delayMs holds the answer back', async () => {
    const f = await start({ script: [{ content: 'late', delayMs: 150 }] });
    const response = await chat(f);
    expect(Date.now() - f.requests[0]!.receivedAt).toBeGreaterThanOrEqual(140);
    await response.text();
  });

  it('records every request: method, path, parsed body, arrival time', async () => {
    const before = Date.now();
    const f = await start({ script: [{ content: 'ok' }] });
    await fetch(`${f.url}/api/tags`);
    await (await chat(f, { options: { num_ctx: 4096 } })).text();
    expect(f.requests.map((r) => [r.method, r.path, r.body === null])).toEqual([
      ['GET', '/api/tags', true],
      ['POST', '/api/chat', false],
    ]);
    expect(f.requests[1]!.receivedAt).toBeGreaterThanOrEqual(before);
    expect(f.chatRequests()[0]?.options).toEqual({ num_ctx: 4096 });
  });
});

describe('fake ollama: lifecycle', () => {
  const handles = () => {
    const kinds = process.getActiveResourcesInfo();
    return ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'].map((k) => kinds.filter((x) => x === k).length);
  };

  it('close() ends open streams and timers and leaves no handle behind', async () => {
    const baseline = handles(); // [servers, sockets, timers]
    const f = await startFakeOllama({ script: [{ content: 'a b c d e f', chunkSize: 1, hangAfter: 2 }, { delayMs: 60_000 }] });
    const hanging = await chat(f);
    const waiting = chat(f).catch((error: unknown) => error);
    await vi.waitFor(() => expect(f.requests).toHaveLength(2));
    await f.close();
    expect((await readUntilBroken(hanging)).error).toBeInstanceOf(Error);
    expect(await waiting).toBeInstanceOf(Error);
    // Poll without timers of our own: they would count as handles.
    const deadline = Date.now() + 5_000;
    while (handles().some((n, i) => n > baseline[i]!) && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(handles().map((n, i) => n <= baseline[i]!)).toEqual([true, true, true]);
  });

  it('runs by hand: --port, --script, --record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-ollama-'));
    try {
      writeFileSync(join(dir, 'turns.json'), JSON.stringify([{ content: 'from the CLI' }]));
      const args = [SERVER, '--port', '0', '--script', join(dir, 'turns.json'), '--record', join(dir, 'log.jsonl')];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
          const match = /fake ollama listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', () => reject(new Error(`server exited: ${err}`)));
      });
      const body = JSON.stringify({ model: 'qwen2.5-coder:7b', messages: [] });
      const text = await (await fetch(`${url}/api/chat`, { method: 'POST', body })).text();
      expect(lines(text)[0]?.message).toEqual({ role: 'assistant', content: 'from the CLI' });
      child.kill('SIGTERM');
      await exited;
      const recorded = lines(readFileSync(join(dir, 'log.jsonl'), 'utf8'));
      expect(recorded).toEqual([expect.objectContaining({ method: 'POST', path: '/api/chat', body: JSON.parse(body) })]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
