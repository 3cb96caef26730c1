import { describe, expect, it } from 'vitest';
import { startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN, runAgent } from '../helpers/agent.js';
import { spawnPty } from '../helpers/pty.js';
import { testState } from '../helpers/state.js';
import { makeRepo } from '../helpers/repo.js';

/**
 * What a command writes reaches the user as it comes, not only the model: on a terminal its last
 * lines under a spinner with the time it has run, kept once it ends; in --json every piece.
 */

const open = testState();
/** Eight lines over about two seconds: time to see it run. */
const SLOW = 'for i in 1 2 3 4 5 6 7 8; do echo "building part $i"; sleep 0.25; done';

describe('a command running', () => {
  it('shows its output on screen while it runs, and the model gets the same text', async () => {
    const server = await startFakeOllama({
      script: [{ toolCalls: [{ name: 'run_command', arguments: { command: SLOW } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'built' } }] }],
    });
    open.server = server;
    // Commands run in the sandbox, which hides /tmp: the repository lives elsewhere.
    const repo = makeRepo({ 'README.md': '# demo\n' }, { under: '/var/tmp' });
    open.repo = repo;
    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'build it'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url }, cols: 120 });
    open.pty = pty;
    await pty.waitFor(/Run this command\?/);
    pty.type('y');
    // While it runs: a line of its output, and the spinner with the time.
    await pty.waitFor(/building part 2\n(?: {4}building part \d\n)* {2}\S running · \d+\.\d s$/);
    expect(pty.screen()).not.toMatch(/building part 8/);
    await pty.waitFor(/exit code 0/);
    // Once it ended: its last five lines stay, the spinner goes.
    const screen = pty.screen();
    expect(screen).toMatch(/ {4}building part 4\n {4}building part 5\n {4}building part 6\n {4}building part 7\n {4}building part 8\n {4}\(8 lines in all: o at the next approval shows them\)\n {2}exit code 0/);
    expect(screen).not.toMatch(/running · /);
    await pty.waitFor(/Follow-up instruction \(empty = done\)/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);
    const result = server.chatRequests()[1]?.messages.at(-1)?.content ?? '';
    expect(result).toBe(`exit code 0 (sandbox: no network)\n${Array.from({ length: 8 }, (_, i) => `building part ${i + 1}`).join('\n')}\n`);
  });

  it('gives every piece of the output in --json, as it came', async () => {
    const server = await startFakeOllama({
      script: [{ toolCalls: [{ name: 'run_command', arguments: { command: 'printf "one\\ntwo\\n"; printf "three\\n" >&2' } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] }],
    });
    open.server = server;
    const repo = makeRepo({ 'README.md': '# demo\n' }, { under: '/var/tmp' });
    open.repo = repo;
    const run = await runAgent(['task', '--json', '--approve', 'run', 'print'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url } });
    expect(run.code).toBe(0);
    const events = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; text?: string });
    const start = events.findIndex((event) => event.type === 'command_start');
    expect(start).toBeGreaterThan(0);
    const output = events.filter((event) => event.type === 'command_output').map((event) => event.text).join('');
    expect(output.split('\n').sort()).toEqual(['', 'one', 'three', 'two']);
  });

  it('shows the whole of a long output with o at the next approval, through the pager, in the words the model read', async () => {
    const server = await startFakeOllama({
      script: [
        { toolCalls: [{ name: 'run_command', arguments: { command: 'seq -f "result %g" 1 12' } }] },
        { toolCalls: [{ name: 'write_file', arguments: { path: 'notes.md', content: '# Notes\n' } }] },
        { toolCalls: [{ name: 'run_command', arguments: { command: 'echo again' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'noted' } }] },
      ],
    });
    open.server = server;
    const repo = makeRepo({ 'README.md': '# demo\n' }, { under: '/var/tmp' });
    open.repo = repo;
    // The real less, as a user has it: LESS=FRX prints what fits the screen and returns.
    const env = { ...repo.env, OLLAMA_HOST: server.url, GIT_PAGER: 'less', LESS: 'FRX' };
    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'take notes'], { cwd: repo.root, env, cols: 120, rows: 400 });
    open.pty = pty;
    await pty.waitFor(/Run this command\?/);
    // Nothing ran yet: nothing to show.
    expect(pty.screen()).not.toMatch(/o\) Show the whole output/);
    pty.type('y');
    // The screen keeps the last five lines and says how many there were.
    await pty.waitFor(/ {4}result 12\n {4}\(12 lines in all: o at the next approval shows them\)\n {2}exit code 0/);
    expect(pty.screen()).not.toMatch(/ {4}result 7\n/);
    await pty.waitFor(/Stage addition \[y,n,a,d,e,r,o,q,\?\]\?\s*$/);
    pty.type('o');
    // All of it, as the model read it, then the hunk again.
    await pty.waitFor(/run_command seq -f "result %g" 1 12\nexit code 0 \(sandbox: no network\)\nresult 1\nresult 2\n(result \d+\n)+result 12\n[\s\S]*Stage addition \[y,n,a,d,e,r,o,q,\?\]\?\s*$/);
    expect(pty.screen()).toMatch(/result 7\n/);
    pty.type('y');
    await pty.waitFor(/o\) Show the whole output of run_command seq -f "result %g" 1 12 \(13 lines\)/);
    pty.type('o');
    await pty.waitFor(/(run_command seq -f "result %g" 1 12\nexit code 0[\s\S]*){2}Run this command\?[\s\S]*o\) Show the whole output/);
    pty.type('n');
    await pty.waitFor(/Follow-up instruction \(empty = done\)/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);
    const result = server.chatRequests()[1]?.messages.at(-1)?.content ?? '';
    expect(result).toBe(`exit code 0 (sandbox: no network)\n${Array.from({ length: 12 }, (_, i) => `result ${i + 1}`).join('\n')}\n`);
  });
});
