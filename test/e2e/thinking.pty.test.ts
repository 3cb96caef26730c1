import { describe, expect, it } from 'vitest';
import { type FakeTurn, startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN, runAgent } from '../helpers/agent.js';
import { spawnPty } from '../helpers/pty.js';
import { testState } from '../helpers/state.js';
import { makeRepo, writeUserConfig } from '../helpers/repo.js';

/**
 * A thinking model's turns in a real terminal: Ollama's `think` sent to a model with the thinking
 * capability, its `message.thinking` shown dimmed and folded to one line once the answer starts,
 * `<think>` in the content taken for thinking too, and nothing in the thinking ever run.
 */

const open = testState();
const MODEL = 'qwen3:8b';
const FILES = { 'notes.md': '# Notes\n' };

/** Thinking that holds a call's JSON: a model weighing a call it then does not make. */
const THOUGHT_CALL = '{"name": "run_command", "arguments": {"command": "rm -rf notes.md"}}';

const SCRIPT: FakeTurn[] = [
  {
    thinking: 'The user wants the notes read first. I will call read_file on notes.md.',
    toolCalls: [{ name: 'read_file', arguments: { path: 'notes.md' } }],
    chunkSize: 8,
    lineDelayMs: 40,
  },
  {
    content: `<think>\nMaybe I should run ${THOUGHT_CALL} instead. No: nothing to delete.\n</think>\n\nThe notes are there.\n<tool_call>{"name": "finish", "arguments": {"summary": "read the notes"}}</tool_call>`,
    chunkSize: 7,
    lineDelayMs: 20,
  },
];

describe('a thinking model', () => {
  it('thinks where the user can see it, folded, and only what it answers is run', async () => {
    const server = await startFakeOllama({ models: [{ name: MODEL, thinking: true }], script: SCRIPT });
    open.server = server;
    const repo = makeRepo(FILES);
    open.repo = repo;
    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', '--model', `ollama/${MODEL}`, 'read the notes'], {
      cwd: repo.root,
      // Colour on, as a terminal has it: the dim attribute is what is checked.
      env: { ...repo.env, OLLAMA_HOST: server.url, NO_COLOR: '', FORCE_COLOR: '1' },
      cols: 120,
    });
    open.pty = pty;
    await pty.waitFor(/thought · \d+ tokens: The user wants the notes read first/);
    await pty.waitFor(/Allow this read\?/);
    pty.type('y');
    await pty.waitFor(/thought · \d+ tokens: Maybe I should run/);
    await pty.waitFor(/Follow-up instruction \(empty = done\)/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);

    // Dimmed: each folded line is written inside the dim attribute.
    const raw = pty.output();
    expect(raw).toMatch(/\x1b\[2mthought · \d+ tokens: The user wants the notes read first[^\n]*\x1b\[22m/);
    expect(raw).toMatch(/\x1b\[2mthinking · \d+ tokens: [^\n]*/);
    // The thinking is not shown as the answer; the answer is.
    const screen = pty.screen();
    expect(screen).toContain('The notes are there.');
    expect(screen).not.toContain('<think>');

    const requests = server.chatRequests();
    expect(requests).toHaveLength(2);
    for (const request of requests) expect(request.think).toBe(true);
    // The call in the thinking is shown as thought, and never ran nor was asked about.
    expect(screen).not.toMatch(/→ run_command|Allow this command/);
    expect(repo.git('show', 'HEAD:notes.md')).toBe('# Notes\n');
    // Each request extends the previous one: the second starts with every message of the first.
    const [first, second] = requests;
    expect(second?.messages.slice(0, first?.messages.length)).toEqual(first?.messages);
    // The thinking goes back in Ollama's own field, the answer without it.
    const answer = second?.messages.find((m) => m.role === 'assistant');
    expect(answer).toMatchObject({ role: 'assistant', content: '', thinking: 'The user wants the notes read first. I will call read_file on notes.md.' });
  });

  it('gives the whole thinking as one event in --json, never the JSON in it as a call', async () => {
    const server = await startFakeOllama({ models: [{ name: MODEL, thinking: true }], script: SCRIPT });
    open.server = server;
    const repo = makeRepo(FILES);
    open.repo = repo;
    const run = await runAgent(['task', '--json', '--model', `ollama/${MODEL}`, 'read the notes'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url } });
    expect(run.code).toBe(0);
    const events = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; text?: string; tool?: string });
    expect(events.some((event) => event.type === 'thinking_delta')).toBe(false);
    const thinking = events.filter((event) => event.type === 'thinking').map((event) => event.text);
    expect(thinking).toEqual([
      'The user wants the notes read first. I will call read_file on notes.md.',
      `Maybe I should run ${THOUGHT_CALL} instead. No: nothing to delete.`,
    ]);
    const calls = events.filter((event) => event.type === 'tool_call').map((event) => event.tool);
    expect(calls).toEqual(['read_file', 'finish']);
  });

  it.each([
    ['a thinking model, no config', { thinking: true }, undefined, true],
    ['a thinking model, think: false', { thinking: true }, false, false],
    ['gpt-oss, think: "low"', { thinking: true }, 'low', 'low'],
    ['a model that does not think', {}, undefined, undefined],
  ] as const)('sends think as the model and the config say: %s', async (_, model, think, sent) => {
    const server = await startFakeOllama({ models: [{ name: MODEL, ...model }], script: [{ toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }] });
    open.server = server;
    const repo = makeRepo(FILES);
    open.repo = repo;
    if (think !== undefined) writeUserConfig(repo, { think });
    const run = await runAgent(['task', '--json', '--model', `ollama/${MODEL}`, 'finish'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url } });
    expect(run.code).toBe(0);
    const [request] = server.chatRequests();
    expect(request?.think).toBe(sent);
    expect('think' in (request ?? {})).toBe(sent !== undefined);
  });

  it('keeps the thinking in the requests of a model on the text protocol too, each an extension of the one before', async () => {
    const server = await startFakeOllama({
      models: [{ name: MODEL, thinking: true, tools: false }],
      script: [
        { thinking: 'Read it first.', content: '<tool_call>{"name": "read_file", "arguments": {"path": "notes.md"}}</tool_call>' },
        { content: '<tool_call>{"name": "finish", "arguments": {"summary": "read"}}</tool_call>' },
      ],
    });
    open.server = server;
    const repo = makeRepo(FILES);
    open.repo = repo;
    writeUserConfig(repo, { permissions: { read: 'allow' } });
    const run = await runAgent(['task', '--json', '--model', `ollama/${MODEL}`, 'read the notes'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url } });
    expect(run.code).toBe(0);
    const [first, second] = server.chatRequests();
    expect(first?.tools).toBeUndefined();
    expect(second?.messages.slice(0, first?.messages.length)).toEqual(first?.messages);
    expect(second?.messages.find((m) => m.role === 'assistant')).toMatchObject({ thinking: 'Read it first.' });
  });

  it('tells the user and the model when the thinking used the whole length limit and no answer came', async () => {
    const server = await startFakeOllama({
      models: [{ name: MODEL, thinking: true }],
      script: [
        { thinking: 'Let me consider every file in turn, and then every line of each', doneReason: 'length' },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ],
    });
    open.server = server;
    const repo = makeRepo(FILES);
    open.repo = repo;
    const run = await runAgent(['task', '--json', '--model', `ollama/${MODEL}`, 'read the notes'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url } });
    expect(run.code).toBe(0);
    const events = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; message?: string; content?: string });
    expect(events.find((event) => event.type === 'notice' && event.message?.includes('length limit'))?.message).toMatch(
      /^The model thought until the length limit \(about \d+ tokens of thinking\) and wrote no answer; it is told to think less\.$/,
    );
    const told = server.chatRequests()[1]?.messages.at(-1);
    expect(told).toMatchObject({ role: 'user' });
    expect(told?.content).toContain('Your answer reached the length limit while you were still thinking');
    expect(told?.content).not.toContain('Your answer was empty');
  });
});
