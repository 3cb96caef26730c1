import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAIProvider, type OpenAIProviderOptions } from '../../src/model/openai.js';
import type { ChatRequest, ModelEvent, ModelProvider } from '../../src/model/types.js';
import { type FakeOpenAI, type FakeOpenAIOptions, startFakeOpenAI } from '../fake-openai/server.js';
import { collect, deadUrl, lastError, texts } from '../helpers/model-events.js';

// The provider against the fake over real HTTP, through the real `openai` client.

const MODEL = 'qwen2.5-coder-7b-instruct';
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function fakeProvider(options: FakeOpenAIOptions, extra: Partial<OpenAIProviderOptions> = {}): Promise<[FakeOpenAI, ModelProvider]> {
  const fake = await startFakeOpenAI(options);
  closers.push(() => fake.close());
  return [fake, createOpenAIProvider({ baseUrl: fake.baseUrl, model: MODEL, ...extra })];
}

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [{ role: 'user', content: 'hello' }],
  tools: [],
  numCtx: 8192,
  ...extra,
});

const TOOLS: ChatRequest['tools'] = [
  { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string', description: 'the path' } }, required: ['path'] } },
];

const calls = (events: ModelEvent[]) => events.flatMap((e) => (e.type === 'tool_call' ? [e.call] : []));

describe('openai provider: chat', () => {
  it('streams text in pieces, then done with usage and measured durations', async () => {
    const content = 'Hello there, I am a model answering in pieces.';
    const [fake, provider] = await fakeProvider({ script: [{ content, chunkSize: 5, promptTokens: 120, completionTokens: 30, chunkDelayMs: 5 }] });
    expect([provider.provider, provider.model, provider.locality]).toEqual(['openai', MODEL, 'local']);
    const events = await collect(provider.chat(request()));
    expect(texts(events).length).toBeGreaterThan(5);
    expect(texts(events).join('')).toBe(content);
    const done = events.at(-1);
    if (done?.type !== 'done') throw new Error('expected done');
    expect(done.stats).toMatchObject({ promptTokens: 120, evalTokens: 30, loadMs: 0 });
    expect(done.stats.evalMs).toBeGreaterThan(20);
    expect(done.stats.totalMs).toBeGreaterThanOrEqual(done.stats.evalMs);
    expect(fake.chatRequests()[0]).toMatchObject({ model: MODEL, stream: true, stream_options: { include_usage: true } });
    expect(fake.chatRequests()[0]).not.toHaveProperty('tools');
  });

  it('assembles two tool calls from fragments, after the text, and sends the tools', async () => {
    const toolCalls = [
      { name: 'read_file', arguments: { path: 'src/a.ts' } },
      { name: 'read_file', arguments: { path: 'src/b.ts', nested: { deep: [1, 2] } } },
    ];
    const [fake, provider] = await fakeProvider({ script: [{ content: 'Reading both.', toolCalls }] });
    const events = await collect(provider.chat(request({ tools: TOOLS })));
    expect(calls(events)).toEqual(toolCalls);
    expect(events.map((e) => e.type).slice(-3)).toEqual(['tool_call', 'tool_call', 'done']);
    expect(fake.chatRequests()[0]?.tools).toEqual([{ type: 'function', function: { name: 'read_file', description: 'Read a file', parameters: TOOLS[0]?.parameters } }]);
  });

  it('turns arguments that are not JSON into {} without failing', async () => {
    const [, provider] = await fakeProvider({ script: [{ toolCalls: [{ name: 'read_file', arguments: '{"path": "a.ts' }] }] });
    const events = await collect(provider.chat(request({ tools: TOOLS })));
    expect(calls(events)).toEqual([{ name: 'read_file', arguments: {} }]);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('sends tool calls with ids and pairs each tool result with its call', async () => {
    const [fake, provider] = await fakeProvider({ script: [{ content: 'ok' }] });
    await collect(
      provider.chat(
        request({
          messages: [
            { role: 'system', content: 'be brief' },
            { role: 'user', content: 'look' },
            { role: 'assistant', content: '', toolCalls: [{ name: 'read_file', arguments: { path: 'a' } }, { name: 'list_files', arguments: {} }] },
            { role: 'tool', toolName: 'list_files', content: 'a b' },
            { role: 'tool', toolName: 'read_file', content: 'A' },
            { role: 'assistant', content: 'again', toolCalls: [{ name: 'read_file', arguments: { path: 'b' } }] },
            { role: 'tool', toolName: 'read_file', content: 'B' },
          ],
        }),
      ),
    );
    expect(fake.chatRequests()[0]?.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'look' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a"}' } },
          { id: 'call_2', type: 'function', function: { name: 'list_files', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_2', content: 'a b' },
      { role: 'tool', tool_call_id: 'call_1', content: 'A' },
      { role: 'assistant', content: 'again', tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'read_file', arguments: '{"path":"b"}' } }] },
      { role: 'tool', tool_call_id: 'call_3', content: 'B' },
    ]);
  });

  it('sends the API key as a bearer token, and a placeholder when there is none', async () => {
    const [fake, provider] = await fakeProvider({ apiKey: 'sk-test', script: [{ content: 'ok' }] }, { apiKey: 'sk-test', provider: 'lmstudio' });
    expect(provider.provider).toBe('lmstudio');
    expect(events(await collect(provider.chat(request())))).toContain('done');
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer sk-test');
    const [fake2, keyless] = await fakeProvider({ script: [{ content: 'ok' }] });
    await collect(keyless.chat(request()));
    expect(fake2.requests[0]?.headers.authorization).toBe('Bearer none');
  });
});

const events = (all: ModelEvent[]) => all.map((e) => e.type);

describe('openai provider: errors, as one error event', () => {
  it('unreachable: nothing listens on the port', async () => {
    const url = await deadUrl('/v1');
    const provider = createOpenAIProvider({ baseUrl: url, model: MODEL });
    const error = lastError(await collect(provider.chat(request())));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain(url);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.hint).toMatch(/running.*base URL/);
    await expect(provider.info()).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('server with a hint naming the key variable: a refused key', async () => {
    const [, provider] = await fakeProvider({ apiKey: 'sk-right' }, { apiKey: 'sk-wrong', apiKeyEnv: 'OPENROUTER_API_KEY' });
    const error = lastError(await collect(provider.chat(request())));
    expect([error.kind, error.message]).toEqual(['server', expect.stringContaining('401')]);
    expect(error.hint).toContain('OPENROUTER_API_KEY');
  });

  it('model_not_found: a model the server does not have', async () => {
    const [, provider] = await fakeProvider({}, { model: 'gpt-nope' });
    const error = lastError(await collect(provider.chat(request())));
    expect(error.kind).toBe('model_not_found');
    expect(error.message).toContain('gpt-nope');
  });

  it('tools_unsupported: a 400 saying the model takes no tools', async () => {
    const [, provider] = await fakeProvider({ models: [{ id: MODEL, tools: false }] });
    expect(lastError(await collect(provider.chat(request({ tools: TOOLS })))).kind).toBe('tools_unsupported');
  });

  it('server: any other HTTP error, with the server message', async () => {
    const [, provider] = await fakeProvider({ script: [{ error: { status: 500, body: { error: { message: 'out of memory' } } } }] });
    const error = lastError(await collect(provider.chat(request())));
    expect([error.kind, error.message]).toEqual(['server', expect.stringContaining('out of memory')]);
  });

  it('stream_broken: the socket drops mid-answer, or the stream ends without finishing', async () => {
    const [, provider] = await fakeProvider({ script: [{ content: 'one two three four five six', chunkSize: 3, cutAfter: 3 }, { content: 'a b c', noFinish: true }] });
    const cut = await collect(provider.chat(request()));
    expect(texts(cut).length).toBeGreaterThan(0);
    expect(lastError(cut).kind).toBe('stream_broken');
    const unfinished = await collect(provider.chat(request()));
    expect(texts(unfinished).join('')).toBe('a b c');
    expect(lastError(unfinished).kind).toBe('stream_broken');
  });

  it('aborted: the signal stops the stream and really closes the request', async () => {
    const [fake, provider] = await fakeProvider({ script: [{ content: 'one two three four five six', chunkSize: 3, hangAfter: 3 }] });
    const controller = new AbortController();
    const seen: ModelEvent[] = [];
    for await (const event of provider.chat(request({ signal: controller.signal }))) {
      seen.push(event);
      if (texts(seen).length === 2) controller.abort();
    }
    expect(texts(seen)).toHaveLength(2);
    expect(lastError(seen).kind).toBe('aborted');
    await expect.poll(() => fake.requests[0]?.clientClosedEarly).toBe(true);
  });

  it('leaving the loop early closes the request too', async () => {
    const [fake, provider] = await fakeProvider({ script: [{ content: 'one two three four five six', chunkSize: 3, hangAfter: 3 }] });
    for await (const event of provider.chat(request())) if (event.type === 'text_delta') break;
    await expect.poll(() => fake.requests[0]?.clientClosedEarly).toBe(true);
  });

  it('unreachable: no answer within the timeout', async () => {
    const [, provider] = await fakeProvider({ script: [{ content: 'late', delayMs: 2000 }] }, { timeoutMs: 100 });
    const error = lastError(await collect(provider.chat(request())));
    expect([error.kind, error.message]).toEqual(['unreachable', expect.stringContaining('did not answer in time')]);
  });

  it('aborted: a signal already aborted sends nothing', async () => {
    const [fake, provider] = await fakeProvider({ script: [{ content: 'x' }] });
    const error = lastError(await collect(provider.chat(request({ signal: AbortSignal.abort() }))));
    expect(error.kind).toBe('aborted');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('openai provider: info', () => {
  it('finds the model and reads context_length or max_model_len', async () => {
    const [, provider] = await fakeProvider({ models: [{ id: MODEL, max_model_len: 65536 }] });
    expect(await provider.info()).toEqual({ contextLength: 65536, capabilities: [] });
    const [, other] = await fakeProvider({ models: [{ id: MODEL, context_length: 131072 }] });
    expect(await other.info()).toEqual({ contextLength: 131072, capabilities: [] });
    const [, plain] = await fakeProvider({});
    expect(await plain.info()).toEqual({ contextLength: undefined, capabilities: [] });
  });

  it('model_not_found with a hint listing the models there', async () => {
    const [, provider] = await fakeProvider({ models: [{ id: 'alpha' }, { id: 'beta' }] });
    await expect(provider.info()).rejects.toMatchObject({ kind: 'model_not_found', hint: 'Models it has: alpha, beta' });
  });
});
