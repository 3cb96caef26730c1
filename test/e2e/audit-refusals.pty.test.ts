import { describe, expect, it } from 'vitest';
import { startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN, runAgent } from '../helpers/agent.js';
import { spawnPty } from '../helpers/pty.js';
import { testState } from '../helpers/state.js';
import { makeRepo } from '../helpers/repo.js';

/**
 * Proposals refused whole are in the audit log: `git log` shows each (a step that changes
 * nothing, its hunks and reasons as trailers), and `agent stats` counts every refused hunk.
 */

const open = testState();

describe('refused proposals in the audit log', () => {
  it('shows every refusal with its reason in git log, and agent stats counts each hunk', async () => {
    const server = await startFakeOllama({
      script: [
        { content: 'Renaming the greeting.', toolCalls: [{ name: 'edit_file', arguments: { path: 'greet.txt', old_text: 'hello', new_text: 'howdy' } }] },
        { content: 'Adding notes instead.', toolCalls: [{ name: 'write_file', arguments: { path: 'notes.md', content: '# Notes\n' } }] },
        { content: 'Two lines then.', toolCalls: [{ name: 'write_file', arguments: { path: 'greet.txt', content: 'HELLO\nworld\nand more\n' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'nothing was wanted' } }] },
      ],
    });
    open.server = server;
    const repo = makeRepo({ 'greet.txt': 'hello\nworld\n' });
    open.repo = repo;
    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'improve the greeting'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url }, cols: 160 });
    open.pty = pty;
    await pty.waitFor(/\(1\/1\) Stage this hunk \[y,n,a,d,e,r,q,\?\]\?/);
    pty.type('r');
    await pty.waitFor(/Reason for refusing/);
    pty.type('keep hello\r');
    await pty.waitFor(/· step 1 [0-9a-f]{8} edit_file greet\.txt \(refused, 1 hunk: recorded, nothing changed\)/);
    await pty.waitFor(/Stage addition \[y,n,a,d,e,r,q,\?\]\?/);
    pty.type('n');
    await pty.waitFor(/· step 2 [0-9a-f]{8} write_file notes\.md \(refused, 1 hunk/);
    await pty.waitFor(/Stage this hunk \[y,n,a,d,e,r,q,\?\]\?/);
    pty.type('q');
    await pty.waitFor(/Follow-up instruction \(empty = done\)/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);

    const branch = repo.git('for-each-ref', '--format=%(refname:short)', 'refs/heads/agent/').trim();
    const log = repo.git('log', '--format=%s%n%(trailers:key=Agent-Hunks)%(trailers:key=Agent-Refused)', `main..${branch}`);
    expect(log).toContain('agent step 1: refused: edit_file greet.txt\nAgent-Hunks: 0 approved, 1 refused\nAgent-Refused: greet.txt hunk 1/1: keep hello\n');
    expect(log).toContain('agent step 2: refused: write_file notes.md\nAgent-Hunks: 0 approved, 1 refused\nAgent-Refused: notes.md hunk 1/1\n');
    expect(log).toMatch(/agent step 3: refused: write_file greet\.txt\nAgent-Hunks: 0 approved, \d refused\n(Agent-Refused: greet\.txt hunk \d\/\d\n)+/);
    // Nothing changed: the branch's tree is the base's.
    expect(repo.git('diff', '--stat', 'main', branch)).toBe('');

    const stats = JSON.parse((await runAgent(['stats', '--json'], { cwd: repo.root, env: repo.env })).stdout);
    const refusedThird = Number(/agent step 3[^\n]*\nAgent-Hunks: 0 approved, (\d) refused/.exec(log)?.[1]);
    expect(stats.totals).toMatchObject({ tasks: 1, steps: 3, approved: 0, refused: 2 + refusedThird });
    expect(stats.byDay[0]).toMatchObject({ tasks: 1, steps: 3, refused: 2 + refusedThird });
  });

  it('says a refused command once, in one wording, and the model hears the reason', async () => {
    const server = await startFakeOllama({
      script: [
        { toolCalls: [{ name: 'run_command', arguments: { command: 'rm -rf build' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'left the build alone' } }] },
      ],
    });
    open.server = server;
    const repo = makeRepo({ 'greet.txt': 'hello\n' });
    open.repo = repo;
    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'clean up'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url }, cols: 160 });
    open.pty = pty;
    await pty.waitFor(/Run this command\?/);
    pty.type('r');
    await pty.waitFor(/Reason for refusing/);
    pty.type('not the build folder\r');
    await pty.waitFor(/Follow-up instruction \(empty = done\)/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);
    const screen = pty.screen();
    expect(screen.match(/refused/g)).toHaveLength(1);
    expect(screen).toMatch(/refused run_command rm -rf build: not the build folder/);
    expect(server.chatRequests()[1]?.messages.at(-1)?.content).toContain('not the build folder');
  });
});
