import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentError } from '../../src/errors.js';
import { createProvider, localityOf, type ProviderSpec, parseModelName, resolveOllamaHost } from '../../src/model/index.js';
import { createOllamaProvider } from '../../src/model/ollama.js';
import type { ChatRequest, ModelEvent, ModelProvider } from '../../src/model/types.js';
import { ModelError } from '../../src/model/types.js';
import { type FakeOllama, type FakeOllamaOptions, startFakeOllama } from '../fake-ollama/server.js';
import { collect, deadUrl, lastError, texts } from '../helpers/model-events.js';

const MODEL = 'qwen2.5-coder:7b';
const closers: (() => Promise<void>)[] = [];

async function fakeProvider(options: FakeOllamaOptions, model = MODEL): Promise<[FakeOllama, ModelProvider]> {
  const fake = await startFakeOllama(options);
  closers.push(() => fake.close());
  return [fake, createOllamaProvider({ host: fake.url, model })];
}

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  vi.restoreAllMocks();
});

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [{ role: 'user', content: 'hello' }],
  tools: [],
  numCtx: 8192,
  ...extra,
});


/** A server that is not Ollama (a proxy, a restarting server) answering with a raw handler. */
async function rawServer(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  closers.push(async () => {
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('ollama provider: chat', () => {
  it('streams text in pieces, then done with the stats in milliseconds', async () => {
    const content = 'Hello there, I am a model answering in pieces.';
    const [, provider] = await fakeProvider({ script: [{ content, chunkSize: 5, promptEvalCount: 120, evalCount: 30 }] });
    expect([provider.provider, provider.model, provider.locality]).toEqual(['ollama', MODEL, 'local']);
    const events = await collect(provider.chat(request()));
    expect(texts(events)).toHaveLength(Math.ceil(content.length / 5));
    expect(texts(events).join('')).toBe(content);
    expect(events.at(-1)).toEqual({
      type: 'done',
      stats: { promptTokens: 120, evalTokens: 30, evalMs: 600, loadMs: 2, totalMs: 722, doneReason: 'stop' },
    });
  });

  it('yields tool calls with their arguments as objects', async () => {
    const calls = [
      { name: 'read_file', arguments: { path: 'src/a.ts' } },
      { name: 'run', arguments: { command: 'npm test', timeout: 30 } },
    ];
    const [, provider] = await fakeProvider({ script: [{ content: 'Reading.', toolCalls: calls }] });
    const events = await collect(provider.chat(request()));
    expect(events.map((e) => e.type)).toEqual(['text_delta', 'tool_call', 'tool_call', 'done']);
    expect(events.flatMap((e) => (e.type === 'tool_call' ? [e.call] : []))).toEqual(calls);
  });

  it('sends the model, num_ctx as given, the tools and the messages in Ollama form', async () => {
    const [fake, provider] = await fakeProvider({ script: [{ content: 'ok' }, { content: 'ok' }] });
    const parameters = {
      type: 'object' as const,
      properties: { path: { type: 'string' as const, description: 'a file' } },
      required: ['path'],
    };
    await collect(
      provider.chat(
        request({
          numCtx: 12288,
          tools: [{ name: 'read_file', description: 'Read a file.', parameters }],
          messages: [
            { role: 'system', content: 'You are terse.' },
            { role: 'user', content: 'Read a.ts' },
            { role: 'assistant', content: '', toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }] },
            { role: 'tool', content: 'export {}', toolName: 'read_file' },
          ],
        }),
      ),
    );
    await collect(provider.chat(request()));
    const [first, second] = fake.chatRequests();
    expect(first).toMatchObject({ model: MODEL, stream: true, options: { num_ctx: 12288 } });
    expect(first?.tools).toEqual([
      { type: 'function', function: { name: 'read_file', description: 'Read a file.', parameters } },
    ]);
    expect(first?.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Read a.ts' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'read_file', arguments: { path: 'a.ts' } } }] },
      { role: 'tool', content: 'export {}', tool_name: 'read_file' },
    ]);
    expect(second?.options).toEqual({ num_ctx: 8192 });
    expect(second).not.toHaveProperty('tools');
  });
});

describe('ollama provider: chat errors end the stream with one error event', () => {
  it('model not found → model_not_found, hint ollama pull', async () => {
    const [, provider] = await fakeProvider({}, 'nope:1b');
    const error = lastError(await collect(provider.chat(request())));
    expect([error.kind, error.hint]).toEqual(['model_not_found', 'Pull it with: ollama pull nope:1b']);
  });

  it('tools on a model without them → tools_unsupported', async () => {
    const [, provider] = await fakeProvider({ models: [{ name: 'plain:3b', tools: false }] }, 'plain:3b');
    const tools = [{ name: 't', description: 'd', parameters: { type: 'object' as const, properties: {}, required: [] } }];
    expect(lastError(await collect(provider.chat(request({ tools }))))?.kind).toBe('tools_unsupported');
  });

  it('nothing listening → unreachable, naming the URL, hint ollama serve', async () => {
    const url = await deadUrl();
    const error = lastError(await collect(createOllamaProvider({ host: url, model: MODEL }).chat(request())));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain(url);
    expect(error.hint).toContain('ollama serve');
  });

  it('a host that does not resolve → unreachable', async () => {
    const provider = createOllamaProvider({ host: 'http://no-such-host.invalid:11434', model: MODEL });
    expect(lastError(await collect(provider.chat(request()))).kind).toBe('unreachable');
  });

  it('another HTTP error → server, with Ollama’s text', async () => {
    const [, provider] = await fakeProvider({ script: [{ error: { status: 500, error: 'llama runner process has terminated' } }] });
    const error = lastError(await collect(provider.chat(request())));
    expect(error.kind).toBe('server');
    expect(error.message).toContain('llama runner process has terminated');
  });

  it('an error body that is not JSON → server, and nothing printed on stdout', async () => {
    const log = vi.spyOn(console, 'log');
    const url = await rawServer((_req, res) => res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway'));
    const error = lastError(await collect(createOllamaProvider({ host: url, model: MODEL }).chat(request())));
    expect([error.kind, error.message]).toEqual(['server', `Ollama at ${url} answered 502: bad gateway`]);
    expect(log).not.toHaveBeenCalled();
  });

  it('the connection dropped mid-stream → stream_broken after the text so far', async () => {
    const [, provider] = await fakeProvider({ script: [{ content: 'abcdef', chunkSize: 2, cutAfter: 2 }] });
    const events = await collect(provider.chat(request()));
    expect(texts(events)).toEqual(['ab', 'cd']);
    expect(lastError(events).kind).toBe('stream_broken');
  });

  it('a stream that ends cleanly without done → stream_broken', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(`${JSON.stringify({ model: MODEL, message: { role: 'assistant', content: 'half' }, done: false })}\n`);
    });
    const events = await collect(createOllamaProvider({ host: url, model: MODEL }).chat(request()));
    expect(texts(events)).toEqual(['half']);
    expect(lastError(events).kind).toBe('stream_broken');
  });

  it('an error line inside the stream → server, with Ollama’s words; a line that is not JSON → stream_broken', async () => {
    const line = (content: string) => `${JSON.stringify({ model: MODEL, message: { role: 'assistant', content }, done: false })}\n`;
    const answers = [`${line('so far')}{"error":"an error was encountered while running the model: CUDA out of memory"}\n`, `${line('so')}{"message":\n`];
    const url = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(answers.shift());
    });
    const provider = createOllamaProvider({ host: url, model: MODEL });
    const inStream = lastError(await collect(provider.chat(request())));
    expect([inStream.kind, inStream.message]).toEqual(['server', `Ollama at ${url}: an error was encountered while running the model: CUDA out of memory`]);
    const events = await collect(provider.chat(request()));
    expect(texts(events)).toEqual(['so']);
    expect(lastError(events)).toMatchObject({ kind: 'stream_broken', message: expect.stringContaining('a line is not JSON ({"message":)') });
  });

  it('text split inside a multi-byte character arrives whole', async () => {
    const bytes = Buffer.from(`${JSON.stringify({ model: MODEL, message: { role: 'assistant', content: 'naïve → ✓' }, done: false })}\n${JSON.stringify({ done: true })}\n`);
    const url = await rawServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      // One byte at a time, each in its own chunk.
      for (const byte of bytes) await new Promise((resolve) => res.write(Buffer.of(byte), resolve));
      res.end();
    });
    const events = await collect(createOllamaProvider({ host: url, model: MODEL }).chat(request()));
    expect(texts(events)).toEqual(['naïve → ✓']);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('abort mid-stream → aborted, and the HTTP request is really closed', async () => {
    const [fake, provider] = await fakeProvider({ script: [{ content: 'one two three four', chunkSize: 4, hangAfter: 2 }] });
    const controller = new AbortController();
    const events: ModelEvent[] = [];
    for await (const event of provider.chat(request({ signal: controller.signal }))) {
      events.push(event);
      if (event.type === 'text_delta') controller.abort();
    }
    expect(texts(events)).toEqual(['one ']);
    expect(lastError(events).kind).toBe('aborted');
    await vi.waitFor(() => expect(fake.requests[0]?.clientClosedEarly).toBe(true));
  });

  it('abort while waiting for the first line, or before starting → aborted', async () => {
    const [fake, provider] = await fakeProvider({ script: [{ content: 'late', delayMs: 30_000 }] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    expect(lastError(await collect(provider.chat(request({ signal: controller.signal })))).kind).toBe('aborted');
    expect(Date.now() - started).toBeLessThan(5_000);
    await vi.waitFor(() => expect(fake.requests[0]?.clientClosedEarly).toBe(true));
    expect(lastError(await collect(provider.chat(request({ signal: controller.signal })))).kind).toBe('aborted');
    expect(fake.chatRequests()).toHaveLength(1);
  });

  it('a consumer that stops reading aborts the HTTP request', async () => {
    const [fake, provider] = await fakeProvider({ script: [{ content: 'one two three', chunkSize: 4, hangAfter: 2 }] });
    for await (const event of provider.chat(request())) if (event.type === 'text_delta') break;
    await vi.waitFor(() => expect(fake.requests[0]?.clientClosedEarly).toBe(true));
  });
});

describe('ollama provider: info', () => {
  it('reads the context length from <arch>.context_length, and the capabilities', async () => {
    const [, provider] = await fakeProvider({});
    expect(await provider.info()).toEqual({ contextLength: 32768, capabilities: ['completion', 'tools'] });
    const models = [{ name: 'plain:3b', tools: false, family: 'llama', contextLength: 131072 }, { name: 'odd:1b', contextLength: null }];
    const [fake] = await fakeProvider({ models });
    expect(await createOllamaProvider({ host: fake.url, model: 'plain:3b' }).info()).toEqual({
      contextLength: 131072,
      capabilities: ['completion'],
    });
    expect((await createOllamaProvider({ host: fake.url, model: 'odd:1b' }).info()).contextLength).toBeUndefined();
  });

  it('throws ModelError: model_not_found, unreachable, aborted', async () => {
    const [, missing] = await fakeProvider({}, 'nope:1b');
    await expect(missing.info()).rejects.toMatchObject({ kind: 'model_not_found', hint: 'Pull it with: ollama pull nope:1b' });
    await expect(missing.info()).rejects.toBeInstanceOf(ModelError);
    const dead = createOllamaProvider({ host: await deadUrl(), model: MODEL });
    await expect(dead.info()).rejects.toMatchObject({ kind: 'unreachable' });
    const [, provider] = await fakeProvider({});
    await expect(provider.info(AbortSignal.abort())).rejects.toMatchObject({ kind: 'aborted' });
  });
});

describe('model names, hosts and locality', () => {
  it('parses provider/model at the first slash', () => {
    expect(parseModelName('ollama/qwen2.5-coder:7b')).toEqual({ provider: 'ollama', model: 'qwen2.5-coder:7b' });
    expect(parseModelName('openai/org/model-x')).toEqual({ provider: 'openai', model: 'org/model-x' });
  });

  it.each(['qwen2.5-coder:7b', 'ollama/', '/qwen', ''])('refuses %j with a usage error and a hint', (name) => {
    const error = (() => {
      try {
        parseModelName(name);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ kind: 'usage', hint: expect.stringContaining('--model ollama/') });
  });

  it.each([
    [undefined, 'http://127.0.0.1:11434'],
    ['', 'http://127.0.0.1:11434'],
    ['127.0.0.1:11434', 'http://127.0.0.1:11434'],
    ['http://gpu-box:11434', 'http://gpu-box:11434'],
    ['gpu-box', 'http://gpu-box:11434'],
    ['0.0.0.0', 'http://127.0.0.1:11434'],
    ['0.0.0.0:9000', 'http://127.0.0.1:9000'],
    [':11435', 'http://127.0.0.1:11435'],
    ['http://gpu-box:11434/', 'http://gpu-box:11434'],
    ['https://ollama.example.com', 'https://ollama.example.com:443'],
    ['http://example.com/ollama/', 'http://example.com:80/ollama'],
    ['"localhost:11434"', 'http://localhost:11434'],
    ['[::1]:11434', 'http://[::1]:11434'],
    ['::', 'http://[::1]:11434'],
    ['::1', 'http://[::1]:11434'],
    ['http://[fe80::1]:8080/x', 'http://[fe80::1]:8080/x'],
  ])('resolves OLLAMA_HOST=%j to %s', (value, expected) => {
    expect(resolveOllamaHost(value)).toBe(expected);
    expect(resolveOllamaHost(expected)).toBe(expected);
  });

  it.each([
    ['http://127.0.0.1:11434', 'local'],
    ['http://127.8.9.10:11434', 'local'],
    ['http://localhost:1234/v1', 'local'],
    ['http://[::1]:11434', 'local'],
    ['http://[::ffff:127.0.0.1]:11434', 'local'],
    ['unix:/run/ollama.sock', 'local'],
    ['http+unix://%2Frun%2Follama.sock', 'local'],
    ['http://192.168.1.20:11434', 'remote'],
    ['https://api.openai.com/v1', 'remote'],
    ['http://localhost.example.com', 'remote'],
    ['http://128.0.0.1', 'remote'],
    ['http://127.0.0.1.nip.io', 'remote'],
    ['not a url', 'remote'],
  ])('%s is %s', (url, locality) => {
    expect(localityOf(url)).toBe(locality);
  });

  it('creates the ollama provider, an OpenAI-compatible one for other names, and refuses an unknown API', async () => {
    const provider = await createProvider({ provider: 'ollama', model: MODEL, baseUrl: 'http://10.0.0.5:11434' });
    expect([provider.provider, provider.model, provider.locality]).toEqual(['ollama', MODEL, 'remote']);
    const compatible = await createProvider({ provider: 'lmstudio', model: 'x', baseUrl: 'http://127.0.0.1:1/v1' });
    expect([compatible.provider, compatible.locality]).toEqual(['lmstudio', 'local']);
    const bad = { provider: 'nope', model: 'x', baseUrl: 'http://127.0.0.1:1', api: 'grpc' } as unknown as ProviderSpec;
    await expect(createProvider(bad)).rejects.toMatchObject({ kind: 'usage', message: expect.stringContaining('ollama, openai') });
  });
});
