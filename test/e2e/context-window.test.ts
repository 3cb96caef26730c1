import { countTokens } from 'gpt-tokenizer';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeChatBody, FakeTurn } from '../fake-ollama/server.js';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

afterEach(closeScriptedTasks);

/** A source file of `lines` lines that reads like code (about 40 characters a line). */
function sourceFile(name: string, lines: number): string {
  const text = Array.from({ length: lines }, (_, i) => `export const ${name}_${i} = compute(${i}, "${name}-${i}");`);
  return `${text.join('\n')}\n`;
}

/** A request's size as gpt-tokenizer counts it: tool definitions, then each message with its calls. */
function requestTokens(body: FakeChatBody): number {
  let tokens = countTokens(JSON.stringify(body.tools ?? []));
  for (const message of body.messages) {
    tokens += 4 + countTokens(message.content) + (message.tool_calls ? countTokens(JSON.stringify(message.tool_calls)) : 0);
  }
  return tokens;
}

/** True when `next` begins with every message of `previous`, unchanged, and the same tools. */
function extendsPrevious(previous: FakeChatBody, next: FakeChatBody): boolean {
  return (
    JSON.stringify(previous.tools) === JSON.stringify(next.tools) &&
    JSON.stringify(next.messages.slice(0, previous.messages.length)) === JSON.stringify(previous.messages)
  );
}

describe('the context window', () => {
  it('keeps every request of a 10-turn task inside num_ctx 4096, shortening old results in one large step', async () => {
    const names = Array.from({ length: 9 }, (_, i) => `part${i + 1}`);
    const files = Object.fromEntries(names.map((name) => [`src/${name}.ts`, sourceFile(name, 10)]));
    const script: FakeTurn[] = [
      ...names.map((name) => ({ toolCalls: [{ name: 'read_file', arguments: { path: `src/${name}.ts` } }] })),
      { toolCalls: [{ name: 'finish', arguments: { summary: 'read them all' } }] },
    ];
    const { run, server } = await runScriptedTask(files, script, { config: { contextWindow: 4096 } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('The conversation no longer fit the context window (num_ctx 4096)');

    const requests = server.chatRequests();
    expect(requests).toHaveLength(10);
    const [first] = requests;
    if (!first) throw new Error('no request');
    const system = first.messages[0];
    const instruction = first.messages[1];
    expect(system?.role).toBe('system');
    expect(instruction).toEqual({ role: 'user', content: 'scripted' });
    for (const request of requests) {
      expect(request.options?.num_ctx).toBe(4096);
      expect(requestTokens(request)).toBeLessThanOrEqual(4096 - 1024);
      expect(request.messages[0]).toEqual(system);
      expect(request.messages[1]).toEqual(instruction);
      // The last turn is never shortened: the newest result is whole.
      expect(request.messages.at(-1)?.content ?? '').not.toContain('left out to fit the context window');
    }
    const extending = requests.slice(1).filter((request, i) => extendsPrevious(requests[i] as FakeChatBody, request));
    expect(extending.length).toBeGreaterThanOrEqual(8);
    // The shortening happened: some request carries a stub in place of an early read.
    const last = requests.at(-1);
    expect(last?.messages.some((m) => m.content.startsWith('[read_file result of'))).toBe(true);
  });

  it('cuts a single result that would fill the window, and says how to read the rest', async () => {
    const files = { 'big.ts': sourceFile('big', 400) };
    const script: FakeTurn[] = [
      { toolCalls: [{ name: 'read_file', arguments: { path: 'big.ts' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
    ];
    const { run, server } = await runScriptedTask(files, script, { config: { contextWindow: 4096 } });
    expect(run.code).toBe(0);
    const result = server.chatRequests()[1]?.messages.at(-1)?.content ?? '';
    expect(result).toContain('big_0 = compute(0');
    expect(result).toMatch(/\[cut to fit the context window: \d+ more lines not shown; ask for a smaller part/);
    for (const request of server.chatRequests()) expect(requestTokens(request)).toBeLessThanOrEqual(4096 - 1024);
  });
});
