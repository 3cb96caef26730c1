import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, type FakeOpenAIOptions, startFakeOpenAI } from '../fake-openai/server.js';

// The fake's wire format, read with raw fetch: what the real `openai` client will be parsing.

const MODEL = 'qwen2.5-coder-7b-instruct';
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function fake(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const server = await startFakeOpenAI(options);
  closers.push(() => server.close());
  return server;
}

type Chunk = { choices: { delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: Record<string, number> };

const post = (server: FakeOpenAI, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** The `data:` payloads of an SSE body, [DONE] kept as the string. */
async function sse(response: Response): Promise<(Chunk | '[DONE]')[]> {
  const text = await response.text();
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((event) => {
      expect(event.startsWith('data: ')).toBe(true);
      const data = event.slice(6);
      return data === '[DONE]' ? '[DONE]' : (JSON.parse(data) as Chunk);
    });
}

const chat = (extra: Record<string, unknown> = {}) => ({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true, ...extra });

describe('fake openai server', () => {
  it('lists its models with the extra keys scripted on them', async () => {
    const server = await fake({ models: [{ id: 'a', context_length: 4096 }, { id: 'b' }] });
    const body = (await (await fetch(`${server.baseUrl}/models`)).json()) as { object: string; data: Record<string, unknown>[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => [m.id, m.object, m.context_length])).toEqual([
      ['a', 'model', 4096],
      ['b', 'model', undefined],
    ]);
    expect(body.data[0]).not.toHaveProperty('tools');
  });

  it('streams content in pieces, a finish chunk, usage when asked, then [DONE]', async () => {
    const server = await fake({ script: [{ content: 'Hello there, friend', chunkSize: 5, promptTokens: 7, completionTokens: 3 }] });
    const response = await post(server, chat({ stream_options: { include_usage: true } }));
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = await sse(response);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.filter((e): e is Chunk => e !== '[DONE]');
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    const pieces = chunks.flatMap((c) => (typeof c.choices[0]?.delta.content === 'string' ? [c.choices[0].delta.content] : []));
    expect(pieces.join('')).toBe('Hello there, friend');
    expect(pieces.length).toBeGreaterThan(3);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } });
  });

  it('sends no usage chunk unless include_usage was asked for', async () => {
    const server = await fake({ script: [{ content: 'ok' }] });
    const chunks = (await sse(await post(server, chat()))).filter((e): e is Chunk => e !== '[DONE]');
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('splits each tool call into a head and argument fragments by index', async () => {
    const toolCalls = [
      { name: 'read_file', arguments: { path: 'src/a.ts' } },
      { name: 'list_files', arguments: { dir: '.' } },
    ];
    const server = await fake({ script: [{ toolCalls }] });
    const chunks = (await sse(await post(server, chat()))).filter((e): e is Chunk => e !== '[DONE]');
    type Fragment = { index: number; id?: string; type?: string; function: { name?: string; arguments: string } };
    const fragments = chunks.flatMap((c) => (c.choices[0]?.delta.tool_calls as Fragment[] | undefined) ?? []);
    expect(fragments[0]).toEqual({ index: 0, id: 'call_fake1', type: 'function', function: { name: 'read_file', arguments: '' } });
    for (const index of [0, 1]) {
      const mine = fragments.filter((f) => f.index === index);
      expect(mine.length).toBeGreaterThan(2);
      expect(mine.filter((f) => f.function.name).length).toBe(1);
      expect(JSON.parse(mine.map((f) => f.function.arguments).join(''))).toEqual(toolCalls[index]?.arguments);
    }
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('answers without streaming in one chat.completion object', async () => {
    const server = await fake({ script: [{ content: 'Hi', toolCalls: [{ name: 'x', arguments: { a: 1 } }], promptTokens: 2, completionTokens: 1 }] });
    const body = await (await post(server, chat({ stream: false }))).json();
    expect(body).toMatchObject({
      object: 'chat.completion',
      choices: [
        {
          message: { role: 'assistant', content: 'Hi', tool_calls: [{ id: 'call_fake1', type: 'function', function: { name: 'x', arguments: '{"a":1}' } }] },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 2, completion_tokens: 1 },
    });
  });

  it('records every request with its authorization header, and checks the key when it has one', async () => {
    const server = await fake({ apiKey: 'sk-test', script: [{ content: 'ok' }] });
    const refused = await post(server, chat(), { authorization: 'Bearer wrong' });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    await (await post(server, chat(), { authorization: 'Bearer sk-test' })).text();
    expect(server.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
      ['POST', '/v1/chat/completions', 'Bearer wrong'],
      ['POST', '/v1/chat/completions', 'Bearer sk-test'],
    ]);
    expect(server.chatRequests()[1]).toMatchObject({ model: MODEL, stream: true });
    expect(typeof server.requests[0]?.receivedAt).toBe('number');
  });

  it('answers errors in the OpenAI shape: unknown model, tools unsupported, scripted, script exhausted', async () => {
    const server = await fake({ models: [{ id: 'notools', tools: false }], script: [{ error: { status: 503, body: { error: { message: 'busy' } } } }] });
    const unknown = await post(server, chat({ model: 'nope' }));
    expect([unknown.status, await unknown.json()]).toMatchObject([404, { error: { code: 'model_not_found' } }]);
    const tools = await post(server, chat({ model: 'notools', tools: [{ type: 'function', function: { name: 'f' } }] }));
    expect([tools.status, await tools.json()]).toMatchObject([400, { error: { message: 'notools does not support tools' } }]);
    const scripted = await post(server, chat({ model: 'notools' }));
    expect([scripted.status, await scripted.json()]).toEqual([503, { error: { message: 'busy' } }]);
    const exhausted = await post(server, chat({ model: 'notools' }));
    expect(exhausted.status).toBe(500);
  });

  it('cuts the socket after N chunks, and notes a client that leaves a hanging answer', async () => {
    const server = await fake({ script: [{ content: 'one two three four five six seven', chunkSize: 3, cutAfter: 2 }, { content: 'a b c', hangAfter: 1 }] });
    const cut = await post(server, chat());
    await expect(cut.text()).rejects.toThrow();
    const hanging = await post(server, chat());
    const reader = hanging.body!.getReader();
    await reader.read();
    await reader.cancel();
    await expect.poll(() => server.requests[1]?.clientClosedEarly).toBe(true);
  });

  it('runs from the command line with a script file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-openai-'));
    writeFileSync(join(dir, 'turns.json'), JSON.stringify([{ content: 'from the cli' }]));
    const child = spawn(process.execPath, ['test/fake-openai/server.js', '--port', '0', '--script', join(dir, 'turns.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
    closers.push(async () => {
      child.kill();
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (data: Buffer) => {
        const match = /listening on (\S+)/.exec(data.toString());
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const response = await fetch(`${url}/chat/completions`, { method: 'POST', body: JSON.stringify(chat({ stream: false })) });
    expect(await response.json()).toMatchObject({ choices: [{ message: { content: 'from the cli' } }] });
  });
});
