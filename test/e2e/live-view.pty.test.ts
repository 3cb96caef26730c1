import { describe, expect, it } from 'vitest';
import { type FakeOllama, type FakeTurn, startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN } from '../helpers/agent.js';
import { type PtySession, spawnPty } from '../helpers/pty.js';
import { testState } from '../helpers/state.js';
import { makeRepo } from '../helpers/repo.js';

const open = testState();

/** `agent task "fix the greeting"` in a terminal, against a fake model answering `script`. */
async function startTask(script: FakeTurn[]): Promise<{ server: FakeOllama; pty: PtySession }> {
  const server = await startFakeOllama({ script });
  open.server = server;
  const repo = makeRepo({ 'greet.ts': 'export const greet = "hello";\n' });
  open.repo = repo;
  const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'fix the greeting'], {
    cwd: repo.root,
    env: { ...repo.env, OLLAMA_HOST: server.url },
    cols: 160,
  });
  open.pty = pty;
  return { server, pty };
}

const LONG_ANSWER = 'First I will rewrite the whole module from scratch, then add a framework, then ...';

describe('the live view in a real terminal', () => {
  it('shows the waiting line, streams the answer, and after Ctrl-C takes a steering instruction and goes on', async () => {
    const { server, pty } = await startTask([
      // Slow to start (as a model that loads) and slow to stream: time to see and to interrupt.
      { delayMs: 1500, content: LONG_ANSWER, chunkSize: 6, lineDelayMs: 250 },
      { delayMs: 800, content: 'Understood, only the greeting.', toolCalls: [{ name: 'finish', arguments: { summary: 'nothing else to do' } }] },
    ]);
    await pty.waitFor(/… turn 1: ollama\/qwen2\.5-coder:7b is loading, then reading [\d,]+ tokens of prompt/);
    await pty.waitFor(/· 1s/);
    await pty.waitFor(/First I will rewrite/);
    // The waiting line is erased once the answer streams.
    expect(pty.screen()).not.toContain('is loading');
    pty.type('\x03');
    await pty.waitFor(/What should the model do instead\?/);
    // The stopped answer stays on the screen, above the question.
    expect(pty.screen()).toMatch(/First I will rewrite.*\nStopped the model \(Ctrl-C\)\.\n.*What should the model do instead/);
    pty.type('only change the greeting\r');
    await pty.waitFor(/… turn 2: .* reading [\d,]+ new tokens of prompt \([\d,]+ in all\)/);
    await pty.waitFor(/\d+ prompt tokens · \d+ tokens · [\d.]+ tok\/s/);
    await pty.waitFor(/Follow-up instruction \(empty = done\)/);
    pty.type('\r');
    const exit = await pty.exited;
    expect(exit.exitCode).toBe(0);

    const chats = server.requests.filter((r) => r.path === '/api/chat');
    expect(chats).toHaveLength(2);
    expect(chats[0]?.clientClosedEarly).toBe(true);
    const messages = server.chatRequests()[1]?.messages ?? [];
    const [stopped, steer] = messages.slice(-2);
    expect(stopped?.role).toBe('assistant');
    expect(stopped?.content).toMatch(/^First I will rewrite.* \[stopped by the user\]$/);
    expect(LONG_ANSWER.startsWith(stopped?.content.replace(' [stopped by the user]', '') ?? '')).toBe(true);
    expect(steer).toEqual({ role: 'user', content: 'only change the greeting' });
  });

  it('leaves on a second Ctrl-C at the steering question; the task resumes', async () => {
    const { pty } = await startTask([{ content: LONG_ANSWER, chunkSize: 4, lineDelayMs: 250 }]);
    await pty.waitFor(/First I/);
    pty.type('\x03');
    await pty.waitFor(/What should the model do instead\?/);
    pty.type('\x03');
    const exit = await pty.exited;
    expect(exit.exitCode).toBe(130);
    expect(pty.screen()).toMatch(/agent task --resume [a-z0-9]+/);
  });
});
