import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextWindow } from '../../src/agent/context-window.js';
import type { AgentEvent } from '../../src/agent/events.js';
import { Generation, runTurn, type TurnResult } from '../../src/agent/turn.js';
import { textProtocolRender } from '../../src/agent/wire.js';
import { createOllamaProvider } from '../../src/model/ollama.js';
import { createOpenAIProvider } from '../../src/model/openai.js';
import type { ModelProvider } from '../../src/model/types.js';
import { type FakeOllama, startFakeOllama } from '../fake-ollama/server.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fake-openai/server.js';
import { type CorpusEntry, checkMessages, corpus, expectedCalls, toolsOf } from '../helpers/model-corpus.js';

/**
 * The corpus of real model outputs (test/fixtures/model-outputs) through real HTTP and the real
 * turn: each answer streamed by the fake Ollama to a model with native tools that wrote its calls
 * into its text anyway, to a model without tools (the text protocol), and by the fake
 * OpenAI-compatible server (llama.cpp, LM Studio, vLLM leave unparsed calls in `content` too).
 */

const NUM_CTX = 32768;
let ollama: FakeOllama;
let openai: FakeOpenAI;

beforeAll(async () => {
  ollama = await startFakeOllama({ models: [{ name: 'native:1b', tools: true }, { name: 'text:1b', tools: false }] });
  openai = await startFakeOpenAI({});
});

afterAll(async () => {
  await Promise.all([ollama.close(), openai.close()]);
});

type Mode = 'ollama native tools' | 'ollama text protocol' | 'openai-compatible';
const MODES: Mode[] = ['ollama native tools', 'ollama text protocol', 'openai-compatible'];

async function turnOf(entry: CorpusEntry, mode: Mode): Promise<{ result: TurnResult; events: AgentEvent[] }> {
  const tools = toolsOf(entry);
  const text = mode === 'ollama text protocol';
  let provider: ModelProvider;
  if (mode === 'openai-compatible') {
    openai.setScript([{ content: entry.output }]);
    provider = createOpenAIProvider({ baseUrl: openai.baseUrl, model: 'qwen2.5-coder-7b-instruct' });
  } else {
    ollama.setScript([{ content: entry.output }]);
    provider = createOllamaProvider({ host: ollama.url, model: text ? 'text:1b' : 'native:1b' });
  }
  const events: AgentEvent[] = [];
  const setup = {
    provider,
    numCtx: NUM_CTX,
    window: new ContextWindow({ numCtx: NUM_CTX, tools: text ? [] : tools, render: text ? textProtocolRender(tools) : undefined }),
    tools: text ? [] : tools,
    toolSpecs: tools,
    think: undefined,
    signal: new AbortController().signal,
    generation: new Generation(),
    emit: (event: AgentEvent) => void events.push(event),
  };
  const result = await runTurn(setup, [{ role: 'system', content: 'You are a coding agent.' }, { role: 'user', content: 'Go on.' }], 1, { tokens: 0 });
  return { result, events };
}

describe.each(MODES)('real model outputs, %s', (mode) => {
  it.each(corpus.map((entry) => [entry.id, entry] as const))('%s', async (_, entry) => {
    const { result, events } = await turnOf(entry, mode);
    if (result.kind !== 'answer') throw new Error(`the turn ended ${result.kind}: ${result.kind === 'error' ? result.error.message : ''}`);
    expect(result.calls).toEqual(expectedCalls(entry));
    expect(checkMessages(entry, result.problems)).toBeUndefined();
    // Whatever was thinking reached the view as thinking, and none of it as the answer.
    const thinking = events.filter((e) => e.type === 'thinking').map((e) => (e as { text: string }).text).join('');
    if (result.thinking) expect(thinking).toBe(result.thinking);
  });
});
