import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN } from '../helpers/agent.js';
import { spawnPty } from '../helpers/pty.js';
import { testState } from '../helpers/state.js';
import { makeRepo, snapshotCheckout } from '../helpers/repo.js';
import { onlyTask } from '../helpers/tasks.js';

/** Thirty numbered lines: changes at lines 2, 12 and 22 make three hunks. */
const NUMBERS = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n').concat('\n');
const COMMAND = "sed -i -e 's/^line 2$/LINE 2/' -e 's/^line 12$/LINE 12/' -e 's/^line 22$/LINE 22/' numbers.txt && printf 'new\\n' > extra.txt";

const open = testState();

describe('agent task in a real terminal', () => {
  it('asks for the command, then each hunk: y, r with a reason, y, y; commits exactly the approved hunks', async () => {
    const server = await startFakeOllama({
      script: [
        { content: 'Capitalising three lines with sed.', toolCalls: [{ name: 'run_command', arguments: { command: COMMAND } }] },
        { content: 'Understood.', toolCalls: [{ name: 'finish', arguments: { summary: 'Capitalised two lines.' } }] },
      ],
    });
    open.server = server;
    const repo = makeRepo({ 'numbers.txt': NUMBERS, 'README.md': '# demo\n' });
    open.repo = repo;
    // The user's own work in progress: a stash, a staged change and an uncommitted edit.
    repo.write('README.md', '# demo\nstashed\n');
    repo.git('stash');
    repo.write('staged.txt', 'staged\n');
    repo.git('add', 'staged.txt');
    repo.write('numbers.txt', `${NUMBERS}my edit\n`);
    const before = snapshotCheckout(repo);

    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'capitalise lines 2, 12 and 22'], {
      cwd: repo.root,
      env: { ...repo.env, OLLAMA_HOST: server.url },
      cols: 200,
    });
    open.pty = pty;
    await pty.waitFor(/Run this command\?/);
    // The action is named once, by the task view; the question does not repeat it.
    expect(pty.screen()).toMatch(/^→ run_command sed/m);
    expect(pty.screen()).not.toMatch(/^run_command sed/m);
    pty.type('y');
    await pty.waitFor(/\(1\/3, 1\/4 in all\) Stage this hunk \[y,n,a,d,j,J,g,\/,e,r,q,\?\]\?$/m);
    expect(pty.screen()).toContain('+LINE 2');
    pty.type('y');
    await pty.waitFor(/\(2\/3, 2\/4 in all\) Stage this hunk \[y,n,a,d,j,J,K,g,\/,e,r,q,\?\]\?$/m);
    pty.type('r');
    await pty.waitFor(/Reason for refusing/);
    pty.type('keep line 12 as it is\r');
    await pty.waitFor(/\(3\/3, 3\/4 in all\) Stage this hunk \[y,n,a,d,j,J,K,g,\/,e,r,q,\?\]\?$/m);
    pty.type('y');
    await pty.waitFor(/\(1\/1, 4\/4 in all\) Stage addition \[y,n,a,d,K,g,\/,e,r,q,\?\]\?$/m);
    pty.type('y');
    await pty.waitFor(/Follow-up instruction \(empty = done\)/);
    pty.type('\r');
    const exit = await pty.exited;
    expect(exit.exitCode).toBe(0);
    expect(pty.screen()).toMatch(/step 1 [0-9a-f]{8} run_command sed/);

    // The user's checkout is byte for byte as it was.
    expect(snapshotCheckout(repo)).toBe(before);

    const task = onlyTask(repo);
    expect(repo.git('rev-list', '--count', `main..${task.branch}`).trim()).toBe('2');
    const trailers = repo.git('log', '-1', '--format=%(trailers)', task.branch);
    expect(trailers).toMatch(
      new RegExp(
        `^Agent-Task: ${task.id}\nAgent-Step: 1\nAgent-Model: ollama/qwen2\\.5-coder:7b\nAgent-Locality: local\nAgent-Action: run_command .+\nAgent-Hunks: 3 approved, 1 refused\nAgent-Refused: numbers\\.txt hunk 2/3: keep line 12 as it is\nAgent-Usage: \\d+ prompt tokens, \\d+ generated, \\d+\\.\\d s\n\n$`,
      ),
    );
    expect(trailers).toContain(`Agent-Action: run_command ${COMMAND}\n`);
    const committed = NUMBERS.replace('line 2\n', 'LINE 2\n').replace('line 22\n', 'LINE 22\n');
    expect(repo.git('show', `${task.branch}:numbers.txt`)).toBe(committed);
    expect(repo.git('show', `${task.branch}:extra.txt`)).toBe('new\n');
    // The worktree equals the commit: the refused hunk is not left behind.
    expect(readFileSync(join(task.worktree, 'numbers.txt'), 'utf8')).toBe(committed);
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: task.worktree, encoding: 'utf8' })).toBe('');

    const note = repo.git('notes', '--ref=hunkwise', 'show', task.branch);
    expect(note).toContain('Capitalising three lines with sed.');
    expect(note).toContain('keep line 12 as it is');

    // The model's next request carries the refusal and its reason.
    const next = server.chatRequests()[1]?.messages.at(-1);
    expect(next?.role).toBe('tool');
    expect(next?.content).toContain('Refused by the user');
    expect(next?.content).toContain('numbers.txt hunk 2/3');
    expect(next?.content).toContain('Reason: keep line 12 as it is');
    expect(next?.content).toContain('-line 12\n  +LINE 12');
  });

  it('splits a hunk with s and stages an edited hunk with e; the model hears of the edit', async () => {
    const edited = NUMBERS.replace('line 2\n', 'LINE 2\n').replace('line 5\n', 'LINE 5\n');
    const server = await startFakeOllama({
      script: [
        { toolCalls: [{ name: 'write_file', arguments: { path: 'numbers.txt', content: edited } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] },
      ],
    });
    open.server = server;
    const repo = makeRepo({ 'numbers.txt': NUMBERS });
    open.repo = repo;
    const log = join(repo.home, 'editor.log');
    writeFileSync(log, '');
    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'capitalise'], {
      cwd: repo.root,
      env: {
        ...repo.env,
        OLLAMA_HOST: server.url,
        GIT_EDITOR: `${process.execPath} ${fileURLToPath(new URL('../fixtures/edit-hunk.mjs', import.meta.url))}`,
        HUNK_EDIT_LOG: log,
        HUNK_EDITS: JSON.stringify([[['+LINE 5', '+Line five']]]),
      },
      cols: 160,
    });
    open.pty = pty;
    await pty.waitFor(/\(1\/1\) Stage this hunk \[y,n,a,d,s,e,r,q,\?\]\?$/m);
    pty.type('s');
    await pty.waitFor(/Split into 2 hunks\.[\s\S]*\(1\/2\) Stage this hunk \[y,n,a,d,j,J,g,\/,e,r,q,\?\]\?$/m);
    pty.type('n');
    await pty.waitFor(/\(2\/2\) Stage this hunk \[y,n,a,d,K,g,\/,e,r,q,\?\]\?$/m);
    pty.type('e');
    await pty.waitFor(/Follow-up instruction/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain('+LINE 5');

    const task = onlyTask(repo);
    expect(repo.git('show', `${task.branch}:numbers.txt`)).toBe(NUMBERS.replace('line 5\n', 'Line five\n'));
    expect(repo.git('log', '-1', '--format=%(trailers:key=Agent-Hunks,valueonly)', task.branch).trim()).toBe(
      '1 approved, 1 refused',
    );
    const told = server.chatRequests()[1]?.messages.at(-1)?.content ?? '';
    expect(told).toContain('The user edited before applying: numbers.txt hunk 2');
    expect(told).toMatch(/numbers\.txt hunk 1\/2 @@ -1,4 \+1,4 @@/);
  });

  it('names a new file the repository ignores above its hunk', async () => {
    const server = await startFakeOllama({
      script: [
        { toolCalls: [{ name: 'write_file', arguments: { path: 'config/settings.local', content: 'debug=true\n' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] },
      ],
    });
    open.server = server;
    const repo = makeRepo({ '.gitignore': 'node_modules\n*.local\n' });
    open.repo = repo;
    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'add local settings'], {
      cwd: repo.root,
      env: { ...repo.env, OLLAMA_HOST: server.url },
      cols: 160,
    });
    open.pty = pty;
    await pty.waitFor(/\(1\/1\) Stage addition \[y,n,a,d,e,r,q,\?\]\?$/m);
    expect(pty.output()).toContain('new file the repository ignores (.gitignore:2: *.local): committed to the task branch all the same');
    pty.type('y');
    await pty.waitFor(/Follow-up instruction/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);
  });
});
