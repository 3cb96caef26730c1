import { describe, expect, it } from 'vitest';
import { type FakeOllama, type FakeTurn, startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN } from '../helpers/agent.js';
import { type PtySession, spawnPty } from '../helpers/pty.js';
import { testState } from '../helpers/state.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

/**
 * Ctrl-C at each of the task's questions (a command to allow, a hunk to stage, the follow-up)
 * stops the task at once with exit 130 and the resume hint, the model told nothing; `--resume`
 * continues it from the same question.
 */

const open = testState();
const EDIT = { name: 'write_file', arguments: { path: 'notes.md', content: '# Notes\n\nWritten.\n' } };
const FINISH = { name: 'finish', arguments: { summary: 'done' } };

function start(repo: TestRepo, server: FakeOllama, args: string[]): PtySession {
  const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', ...args], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url }, cols: 160 });
  open.pty = pty;
  return pty;
}

async function interrupted(pty: PtySession): Promise<string> {
  pty.type('\x03');
  const exit = await pty.exited;
  expect(exit.exitCode).toBe(130);
  // The last words may reach the screen just after the exit is known.
  await pty.waitFor(/agent: Interrupted\.$/m);
  const id = /agent task --resume ([a-z0-9]+)/.exec(pty.screen())?.[1];
  expect(id).toBeDefined();
  // Said once: the task's summary says how to go on, and the error does not say it again.
  expect(pty.screen().match(/agent task --resume/g)).toHaveLength(1);
  return id ?? '';
}

/** No request after the Ctrl-C carried a message about it: the model was told nothing. */
function expectModelToldNothing(server: FakeOllama): void {
  for (const request of server.chatRequests()) {
    for (const message of request.messages) expect(message.content).not.toMatch(/SIGINT|force closed|cancel/i);
  }
}

describe('Ctrl-C at a question', () => {
  it.each<[string, FakeTurn[], RegExp, string]>([
    ['the command question', [{ toolCalls: [{ name: 'run_command', arguments: { command: 'echo made' } }] }], /Run this command\?/, 'y'],
    ['the hunk question', [{ toolCalls: [EDIT] }], /Stage addition \[y,n,a,d,e,r,q,\?\]\?/, 'y'],
  ])('at %s: stops the task (130), and --resume asks it again', async (_, first, question, answer) => {
    const script: FakeTurn[] = [...first, { toolCalls: [FINISH] }];
    const server = await startFakeOllama({ script });
    open.server = server;
    const repo = makeRepo({ 'README.md': '# demo\n' });
    open.repo = repo;
    const pty = start(repo, server, ['write the notes']);
    await pty.waitFor(question);
    const id = await interrupted(pty);
    expect(server.chatRequests()).toHaveLength(1);
    expectModelToldNothing(server);

    const resumed = start(repo, server, ['--resume', id]);
    await resumed.waitFor(question);
    resumed.type(answer);
    await resumed.waitFor(/Follow-up instruction \(empty = done\)/);
    resumed.type('\r');
    expect((await resumed.exited).exitCode).toBe(0);
    expect(server.chatRequests()).toHaveLength(2);
    expectModelToldNothing(server);
  });

  it('at the follow-up question: stops the task (130), and --resume asks for the next instruction', async () => {
    const server = await startFakeOllama({ script: [{ toolCalls: [FINISH] }, { toolCalls: [FINISH] }] });
    open.server = server;
    const repo = makeRepo({ 'README.md': '# demo\n' });
    open.repo = repo;
    const pty = start(repo, server, ['say hello']);
    await pty.waitFor(/Follow-up instruction \(empty = done\)/);
    const id = await interrupted(pty);

    const resumed = start(repo, server, ['--resume', id, 'and then stop']);
    await resumed.waitFor(/Follow-up instruction \(empty = done\)/);
    resumed.type('\r');
    expect((await resumed.exited).exitCode).toBe(0);
    const last = server.chatRequests().at(-1)?.messages.at(-1);
    expect(last).toEqual({ role: 'user', content: 'and then stop' });
  });

  it('--resume without an instruction goes on with a task the model had not finished', async () => {
    const server = await startFakeOllama({ script: [{ content: 'I will write the notes next.' }, { toolCalls: [FINISH] }] });
    open.server = server;
    const repo = makeRepo({ 'README.md': '# demo\n' });
    open.repo = repo;
    const pty = start(repo, server, ['write the notes']);
    await pty.waitFor(/Follow-up instruction \(empty = done\)/);
    const id = await interrupted(pty);

    const resumed = start(repo, server, ['--resume', id]);
    await resumed.waitFor(/finished: done/);
    await resumed.waitFor(/Follow-up instruction \(empty = done\)/);
    resumed.type('\r');
    expect((await resumed.exited).exitCode).toBe(0);
    const [, second] = server.chatRequests();
    expect(second?.messages.at(-1)).toEqual({
      role: 'user',
      content: 'The task was stopped and is resumed now: go on with it where you left off, and call finish when it is done.',
    });
  });
});
