import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../fake-ollama/server.js';
import { runAgent } from '../helpers/agent.js';
import { makeRepo, snapshotCheckout, type TestRepo } from '../helpers/repo.js';
import { onlyTask, readTask } from '../helpers/tasks.js';

let server: FakeOllama | undefined;
let repo: TestRepo | undefined;

afterEach(async () => {
  await server?.close();
  repo?.cleanup();
});

const EDIT = {
  toolCalls: [{ name: 'edit_file', arguments: { path: 'a.txt', old_text: 'two', new_text: 'TWO' } }],
};
const FINISH = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

/** A task killed with SIGKILL at a point of a step's commit, then resumed. */
async function killThenResume(point: string) {
  server = await startFakeOllama({ script: [EDIT, FINISH] });
  repo = makeRepo({ 'a.txt': 'one\ntwo\nthree\n' });
  const env = { ...repo.env, OLLAMA_HOST: server.url };
  const before = snapshotCheckout(repo);

  const killed = await runAgent(['task', 'capitalise two', '--approve', 'all'], {
    cwd: repo.root,
    env: { ...env, HUNKWISE_KILL_AT: point },
  });
  expect(killed.signal).toBe('SIGKILL');
  expect(snapshotCheckout(repo)).toBe(before);
  const id = onlyTask(repo).id;

  const resumed = await runAgent(['task', '--resume', id, '--approve', 'all'], { cwd: repo.root, env });
  expect(resumed.stderr).toBe('');
  expect(resumed.code).toBe(0);
  expect(snapshotCheckout(repo)).toBe(before);

  const task = readTask(repo, id);
  const steps = repo.git('log', '--format=%(trailers:key=Agent-Step,valueonly)', `main..${task.branch}`);
  expect(steps.split('\n').filter(Boolean)).toEqual(['1', '0']);
  expect(repo.git('show', `${task.branch}:a.txt`)).toBe('one\nTWO\nthree\n');
  expect(readFileSync(join(task.worktree, 'a.txt'), 'utf8')).toBe('one\nTWO\nthree\n');
  expect(repo.git('notes', '--ref=hunkwise', 'show', task.branch)).toContain('Step 1 committed');
  // The model hears of the step exactly once, whatever moment the kill came.
  const chats = server.chatRequests();
  expect(new Set(chats.map((chat) => chat.options?.num_ctx))).toEqual(new Set([32768]));
  const last = chats.at(-1)?.messages ?? [];
  expect(last.filter((message) => message.content.includes('Step 1 committed'))).toHaveLength(1);
  expect(last.filter((message) => message.role === 'tool')).toHaveLength(1);
  return { chats, resumed };
}

describe('a task killed in the middle of a step', () => {
  for (const point of ['step:journaled', 'step:prepared', 'step:committed', 'step:recorded']) {
    it(`resumes without losing or repeating the step (killed at ${point})`, async () => {
      const { resumed } = await killThenResume(point);
      expect(resumed.stdout).toMatch(/finished/);
    });
  }
});

describe('one process at a time', () => {
  it('refuses to resume a task another live process runs, and takes over a dead one', async () => {
    server = await startFakeOllama({ script: [FINISH, FINISH] });
    repo = makeRepo({ 'a.txt': 'one\n' });
    const env = { ...repo.env, OLLAMA_HOST: server.url };
    expect((await runAgent(['task', 'look'], { cwd: repo.root, env })).code).toBe(0);
    const [id = ''] = readdirSync(join(repo.root, '.git', 'hunkwise', 'tasks'));
    const lock = join(repo.root, '.git', 'hunkwise', 'tasks', id, 'lock');

    writeFileSync(lock, String(process.pid));
    const busy = await runAgent(['task', '--resume', id, 'more'], { cwd: repo.root, env });
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`Task ${id} is running in another process (pid ${process.pid})`);

    writeFileSync(lock, '999999999');
    const taken = await runAgent(['task', '--resume', id, 'more'], { cwd: repo.root, env });
    expect(taken.stderr).toBe('');
    expect(taken.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });
});

describe('a task killed while git was checking its worktree out', () => {
  it('makes the worktree again on resume, and proposes nothing of the half-made one', async () => {
    server = await startFakeOllama({ script: [FINISH] });
    repo = makeRepo({ 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'bee\n' });
    const env = { ...repo.env, OLLAMA_HOST: server.url };
    const first = await runAgent(['task', 'look', '--approve', 'all'], { cwd: repo.root, env });
    expect(first.code).toBe(0);
    const [id = ''] = readdirSync(join(repo.root, '.git', 'hunkwise', 'tasks'));
    const task = JSON.parse(readFileSync(join(repo.root, '.git', 'hunkwise', 'tasks', id, 'task.json'), 'utf8'));
    // What `git worktree add` leaves when it is killed mid-checkout: the worktree still locked
    // ("initializing"), files missing.
    const [admin = ''] = readdirSync(join(repo.root, '.git', 'worktrees'));
    writeFileSync(join(repo.root, '.git', 'worktrees', admin, 'locked'), 'initializing');
    rmSync(join(task.worktree, 'b.txt'));

    server.setScript([FINISH]);
    const resumed = await runAgent(['task', '--resume', id, '--approve', 'all'], { cwd: repo.root, env });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(task.worktree, 'b.txt'), 'utf8')).toBe('bee\n');
    expect(resumed.stdout).not.toContain('changes no step holds');
    expect(repo.git('log', '--format=%s', `main..${task.branch}`).split('\n').filter(Boolean)).toHaveLength(1);
    expect(existsSync(join(repo.root, '.git', 'worktrees', admin, 'locked'))).toBe(false);
  });
});
