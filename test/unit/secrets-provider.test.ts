import { describe, expect, it } from 'vitest';
import { maskedProvider } from '../../src/model/masked.js';
import type { ChatMessage, ChatRequest, ModelEvent, ModelProvider } from '../../src/model/types.js';
import { createMasker } from '../../src/secrets/mask.js';

/** AWS's documented example key pair (IAM User Guide, "Manage access keys for IAM users"). */
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** A provider that records what it is sent: the boundary the wrapper sits on. */
function recorder(): ModelProvider & { sent: ChatRequest[] } {
  const sent: ChatRequest[] = [];
  return {
    provider: 'cloud',
    model: 'm',
    locality: 'remote',
    sent,
    info: async () => ({ contextLength: 1000, capabilities: [] }),
    async *chat(request: ChatRequest): AsyncGenerator<ModelEvent> {
      sent.push(request);
      yield { type: 'done', stats: { promptTokens: 0, evalTokens: 0, evalMs: 0, loadMs: 0, totalMs: 0 } };
    },
  };
}

const drain = async (events: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> => {
  const all: ModelEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
};

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: `You work in a repository; its CI uses ${KEY_ID}.` },
  { role: 'user', content: 'read the config' },
  { role: 'assistant', content: '', thinking: `The config says aws_secret_access_key = ${SECRET}`, toolCalls: [{ name: 'run_command', arguments: { command: `aws configure set aws_secret_access_key ${SECRET}`, env: { list: [KEY_ID, 3] } } }] },
  { role: 'tool', toolName: 'run_command', content: `aws_secret_access_key = ${SECRET}` },
];

const TOOLS = [{ name: 'run_command', description: 'Runs a command.', parameters: { type: 'object' as const, properties: { command: { type: 'string' as const } } } }];

describe('maskedProvider', () => {
  it('masks the system prompt, every message and every string of earlier tool calls; nothing else changes', async () => {
    const inner = recorder();
    const provider = maskedProvider(inner, async () => createMasker());
    expect(provider.locality).toBe('remote');
    expect(await provider.info()).toEqual({ contextLength: 1000, capabilities: [] });
    expect(await drain(provider.chat({ messages: MESSAGES, tools: TOOLS, numCtx: 4096 }))).toHaveLength(1);
    const sent = inner.sent[0];
    expect(JSON.stringify(sent)).not.toContain(KEY_ID);
    expect(JSON.stringify(sent)).not.toContain(SECRET);
    expect(sent?.messages[0]).toEqual({ role: 'system', content: 'You work in a repository; its CI uses [masked: aws-access-token].' });
    expect(sent?.messages[2]).toMatchObject({
      thinking: 'The config says aws_secret_access_key = [masked: aws-secret-access-key]',
      toolCalls: [{ name: 'run_command', arguments: { command: 'aws configure set aws_secret_access_key [masked: aws-secret-access-key]', env: { list: ['[masked: aws-access-token]', 3] } } }],
    });
    expect(sent?.messages[3]).toEqual({ role: 'tool', toolName: 'run_command', content: 'aws_secret_access_key = [masked: aws-secret-access-key]' });
    expect(sent?.tools).toEqual(TOOLS);
    expect(sent?.numCtx).toBe(4096);
    expect(MESSAGES[0]?.content).toContain(KEY_ID);
  });

  it('sends each earlier message exactly as before, and masks a message again when it changed', async () => {
    const inner = recorder();
    const provider = maskedProvider(inner, async () => createMasker());
    const messages = [...MESSAGES];
    await drain(provider.chat({ messages, tools: TOOLS, numCtx: 4096 }));
    messages.push({ role: 'user', content: 'go on' });
    await drain(provider.chat({ messages, tools: TOOLS, numCtx: 4096 }));
    const [first, second] = inner.sent;
    expect(second?.messages.slice(0, 4)).toEqual(first?.messages);
    expect(second?.messages[3]).toBe(first?.messages[3]);
    const tool = messages[3];
    if (tool?.role === 'tool') tool.content = '[output shortened]';
    await drain(provider.chat({ messages, tools: TOOLS, numCtx: 4096 }));
    expect(inner.sent[2]?.messages[3]).toEqual({ role: 'tool', toolName: 'run_command', content: '[output shortened]' });
  });

  it('sends nothing when the mask cannot be loaded, and says so as an error event', async () => {
    const inner = recorder();
    const provider = maskedProvider(inner, async () => {
      throw new Error('chunk missing');
    });
    const events = await drain(provider.chat({ messages: MESSAGES, tools: TOOLS, numCtx: 4096 }));
    expect(inner.sent).toEqual([]);
    expect(events).toEqual([{ type: 'error', error: expect.objectContaining({ message: expect.stringContaining('chunk missing') }) }]);
  });
});
