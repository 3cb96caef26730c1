import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fake-ollama/server.js';
import { closeScriptedTasks, runScriptedTask, type ScriptedTask } from '../helpers/scripted-task.js';

afterEach(closeScriptedTasks);

const FILES = { 'greet.ts': 'export function greet(name: string) {\n  return "hello " + name;\n}\n' };
/** The edit turns the concatenation into a template literal (its `${name}` is code, not a placeholder here). */
const TEMPLATE = '`Hello, $' + '{name}!`';
const EDIT = { path: 'greet.ts', old_text: '"hello " + name', new_text: TEMPLATE };
const FINISH = { name: 'finish', arguments: { summary: 'greeting fixed' } };
const EDITED = `export function greet(name: string) {\n  return ${TEMPLATE};\n}\n`;

const call = (value: object): string => JSON.stringify(value);

/** The three ways small models write a call into their text, each with prose around it. */
const WRITTEN: Record<string, (value: object) => string> = {
  'in <tool_call> tags': (value) => `I will fix the greeting.\n<tool_call>\n${call(value)}\n</tool_call>`,
  'as a fenced json block': (value) => `I will fix the greeting.\n\`\`\`json\n${call(value)}\n\`\`\`\nThat should do it.`,
  'as a bare JSON object': (value) => `I will fix the greeting: ${call(value)} and then finish.`,
};

function expectEditCommitted(task: ScriptedTask): void {
  expect(task.run.stderr).toBe('');
  expect(task.run.code).toBe(0);
  expect(task.repo.git('show', `${task.task.branch}:greet.ts`)).toBe(EDITED);
  expect(task.repo.git('log', '-1', '--format=%(trailers:key=Agent-Action,valueonly)', task.task.branch).trim()).toBe('edit_file greet.ts');
  // The step's commit is explained by the model's prose, not by the call it wrote.
  const body = task.repo.git('log', '-1', '--format=%b', task.task.branch);
  expect(body).toMatch(/^I will fix the greeting/);
  expect(body).not.toMatch(/edit_file"|<tool_call>|```/);
}

describe('tool calls as text', () => {
  it('describes the tools in the prompt to a model that does not support tools, and completes the edit', async () => {
    const script: FakeTurn[] = [{ content: WRITTEN['in <tool_call> tags']?.({ name: 'edit_file', arguments: EDIT }) }, { content: `<tool_call>${call(FINISH)}</tool_call>` }];
    const task = await runScriptedTask(FILES, script, { models: [{ name: 'qwen2.5-coder:7b', tools: false }] });
    expectEditCommitted(task);
    expect(task.run.stdout).toContain('does not call tools natively');
    const requests = task.server.chatRequests();
    expect(requests).toHaveLength(2);
    for (const request of requests) expect(request.tools).toBeUndefined();
    expect(requests[0]?.messages[0]?.content).toContain('<tool_call>');
    expect(requests[0]?.messages[0]?.content).toContain('edit_file(path, old_text, new_text)');
    // The result comes back as a user message, after the answer as the model wrote it.
    const [answer, result] = requests[1]?.messages.slice(-2) ?? [];
    expect(answer).toMatchObject({ role: 'assistant', content: script[0]?.content });
    expect(answer?.tool_calls).toBeUndefined();
    expect(result?.role).toBe('user');
    expect(result?.content).toMatch(/^<tool_result name="edit_file">\n[\s\S]*<\/tool_result>$/);
  });

  it('switches to the text protocol when the server answers that the model does not support tools', async () => {
    const script: FakeTurn[] = [{ content: WRITTEN['in <tool_call> tags']?.({ name: 'edit_file', arguments: EDIT }) }, { content: `<tool_call>${call(FINISH)}</tool_call>` }];
    const task = await runScriptedTask(FILES, script, { models: [{ name: 'qwen2.5-coder:7b', tools: false, showsCapabilities: false }] });
    expectEditCommitted(task);
    const requests = task.server.requests.filter((r) => r.path === '/api/chat');
    // The first request offered native tools and was refused with a 400; the rest describe them in the prompt.
    expect(requests).toHaveLength(3);
    const tools = requests.map((request) => (request.body as { tools?: unknown[] }).tools);
    expect(tools[0]?.length).toBeGreaterThan(0);
    expect(tools[1]).toBeUndefined();
  });

  for (const [form, write] of Object.entries(WRITTEN)) {
    it(`reads a call a tool-calling model wrote ${form}, and completes the same edit`, async () => {
      const script: FakeTurn[] = [{ content: write({ name: 'edit_file', arguments: EDIT }) }, { content: write(FINISH) }];
      const task = await runScriptedTask(FILES, script);
      expectEditCommitted(task);
      expect(task.server.chatRequests()[1]?.messages.at(-1)?.role).toBe('tool');
    });
  }

  it('answers a malformed call with what was wrong, and goes on when the model writes it again', async () => {
    const script: FakeTurn[] = [
      { content: `<tool_call>{'name': 'edit_file', 'arguments': {}}</tool_call>` },
      { content: WRITTEN['in <tool_call> tags']?.({ name: 'edit_file', arguments: EDIT }) },
      { content: `<tool_call>${call(FINISH)}</tool_call>` },
    ];
    const task = await runScriptedTask(FILES, script);
    expectEditCommitted(task);
    const problem = task.server.chatRequests()[1]?.messages.at(-1);
    expect(problem?.role).toBe('user');
    expect(problem?.content).toContain('not valid JSON');
    expect(problem?.content).toContain('double quotes');
  });

  it('stops a model that repeats the same call three times in a row, and says so', async () => {
    const read = { name: 'read_file', arguments: { path: 'greet.ts' } };
    const script: FakeTurn[] = [{ toolCalls: [read] }, { toolCalls: [read] }, { toolCalls: [read] }, { toolCalls: [FINISH] }];
    const task = await runScriptedTask(FILES, script);
    expect(task.run.code).toBe(1);
    expect(task.run.stdout).toContain('The model repeated read_file {"path":"greet.ts"} three times in a row');
    expect(task.run.stdout).toContain(`agent task --resume ${task.task.id}`);
    expect(task.server.chatRequests()).toHaveLength(3);
    expect(task.results.every((result) => result.includes('export function greet'))).toBe(true);
  });
});
