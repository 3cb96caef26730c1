import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN, runAgent } from '../helpers/agent.js';
import { makeRepo, snapshotCheckout, type TestRepo } from '../helpers/repo.js';
import { readTask, runTaskToEnd } from '../helpers/tasks.js';
import type { TaskRecord } from '../../src/git/task-store.js';

let server: FakeOllama | undefined;
let repo: TestRepo | undefined;

afterEach(async () => {
  await server?.close();
  repo?.cleanup();
});

const edit = (path: string, oldText: string, newText: string) => ({
  toolCalls: [{ name: 'edit_file', arguments: { path, old_text: oldText, new_text: newText } }],
});
const FINISH = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };


/** Runs one scripted task to its end with every class approved and returns its record. */
async function doneTask(repo: TestRepo, env: NodeJS.ProcessEnv, instruction: string): Promise<TaskRecord> {
  const { run, task } = await runTaskToEnd(repo, env, instruction);
  expect(run.stderr).toBe('');
  return task;
}

async function setup(script: object[]) {
  server = await startFakeOllama({ script });
  repo = makeRepo({ 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'alpha\nbeta\n' });
  return { repo, env: { ...repo.env, OLLAMA_HOST: server.url } };
}

describe('review and merge', () => {
  it('shows the audit log and diff, then merges with --no-ff whose second parent is the task branch', async () => {
    const { repo, env } = await setup([{ content: 'Capitalising the second line, as asked.\nNothing else changes.', ...edit('a.txt', 'two', 'TWO') }, FINISH]);
    const task = await doneTask(repo, env, 'capitalise two');

    const review = await runAgent(['review', task.id.slice(0, 3)], { cwd: repo.root, env });
    expect(review.code).toBe(0);
    expect(review.stdout).toContain(`task ${task.id}`);
    // Each step with the first line of what the model said before it.
    expect(review.stdout).toMatch(/ {4}agent step 1: edit_file a\.txt\n {4}Capitalising the second line, as asked\.\n/);
    expect(review.stdout).toContain('Agent-Action: edit_file a.txt');
    expect(review.stdout).toContain('Agent-Hunks: 1 approved, 0 refused');
    expect(review.stdout).toContain('-two\n+TWO');
    const json = JSON.parse((await runAgent(['show', task.branch, '--json'], { cwd: repo.root, env })).stdout);
    expect(json.commits.map((c: { trailers: Record<string, string> }) => c.trailers['Agent-Step'])).toEqual(['0', '1']);
    expect(json.commits[1].explanation).toBe('Capitalising the second line, as asked.');

    const tip = repo.git('rev-parse', task.branch).trim();
    const merge = await runAgent(['merge', task.id], { cwd: repo.root, env });
    expect(merge.stderr).toBe('');
    expect(merge.code).toBe(0);
    const parents = repo.git('log', '-1', '--format=%P', 'main').trim().split(' ');
    expect(parents).toHaveLength(2);
    expect(parents[1]).toBe(tip);
    expect(repo.read('a.txt')).toBe('one\nTWO\nthree\n');
    expect(existsSync(task.worktree)).toBe(false);
    expect(readTask(repo, task.id).status).toBe('merged');
    // Tidy: the branch is gone with its worktree; its steps are kept, and show still reads them.
    expect(merge.stdout).toContain(`Branch ${task.branch} deleted (its steps: agent show ${task.id}).`);
    expect(repo.git('branch', '--list', 'agent/*')).toBe('');
    expect(repo.git('rev-parse', `refs/hunkwise/merged/${task.id}`).trim()).toBe(tip);
    const shown = await runAgent(['show', task.id], { cwd: repo.root, env });
    expect(shown.stdout).toContain('Agent-Action: edit_file a.txt');
    // list shows what is open; --all the merged task too.
    expect(JSON.parse((await runAgent(['list', '--json'], { cwd: repo.root, env })).stdout)).toEqual([]);
    expect((await runAgent(['list'], { cwd: repo.root, env })).stdout).toContain('No open tasks (1 merged or aborted: agent list --all)');
    const list = JSON.parse((await runAgent(['list', '--all', '--json'], { cwd: repo.root, env })).stdout);
    expect(list[0]).toMatchObject({ id: task.id, status: 'merged', steps: 1, base: 'main' });
  });

  it('refuses a conflicting merge, names the files and leaves everything as it was', async () => {
    const { repo, env } = await setup([edit('a.txt', 'two', 'TWO'), FINISH]);
    const task = await doneTask(repo, env, 'capitalise two');
    repo.write('a.txt', 'one\ndeux\nthree\n');
    repo.git('commit', '-qam', 'my own change to the same line');
    const before = snapshotCheckout(repo);
    const branchTip = repo.git('rev-parse', task.branch);

    const merge = await runAgent(['merge', task.id], { cwd: repo.root, env });
    expect(merge.code).toBe(1);
    expect(merge.stderr).toMatch(/would conflict in:\n {2}a\.txt/);
    expect(snapshotCheckout(repo)).toBe(before);
    expect(repo.git('rev-parse', task.branch)).toBe(branchTip);
    expect(existsSync(join(repo.root, '.git', 'MERGE_HEAD'))).toBe(false);
    expect(readTask(repo, task.id).status).toBe('ready');
  });

  it('squashes on request, with the steps in the message', async () => {
    const { repo, env } = await setup([edit('a.txt', 'two', 'TWO'), edit('b.txt', 'beta', 'BETA'), FINISH]);
    const task = await doneTask(repo, env, 'capitalise the second line of a.txt, the second line of b.txt, and nothing else');
    const merge = await runAgent(['merge', task.id, '--squash'], { cwd: repo.root, env });
    expect(merge.code).toBe(0);
    expect(repo.git('log', '-1', '--format=%P', 'main').trim().split(' ')).toHaveLength(1);
    // A long instruction is cut at a word, with no dangling comma.
    expect(repo.git('log', '-1', '--format=%s', 'main').trim()).toBe(`Merge task ${task.id}: capitalise the second line of a.txt, the second line of…`);
    const message = repo.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain('- agent step 1: edit_file a.txt');
    expect(message).toContain('- agent step 2: edit_file b.txt');
    expect(message).toContain(`Agent-Task: ${task.id}`);
    expect(repo.read('b.txt')).toBe('alpha\nBETA\n');
  });

  it('fast-forwards with --ff-only, and says what to do when it cannot', async () => {
    const { repo, env } = await setup([edit('a.txt', 'two', 'TWO'), FINISH]);
    const task = await doneTask(repo, env, 'capitalise two');
    repo.write('c.txt', 'new\n');
    repo.git('add', 'c.txt');
    repo.git('commit', '-qm', 'moved on');
    const refused = await runAgent(['merge', task.id, '--ff-only'], { cwd: repo.root, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--ff-only/);
    repo.git('reset', '-q', '--hard', 'HEAD~1');
    const tip = repo.git('rev-parse', task.branch);
    const merged = await runAgent(['merge', task.id, '--ff-only'], { cwd: repo.root, env });
    expect(merged.code).toBe(0);
    expect(repo.git('rev-parse', 'main')).toBe(tip);
  });
});

describe('undo, abort, prune', () => {
  it('undo drops the last step and keeps it under refs/hunkwise/undone', async () => {
    const { repo, env } = await setup([edit('a.txt', 'two', 'TWO'), edit('b.txt', 'beta', 'BETA'), FINISH]);
    const task = await doneTask(repo, env, 'capitalise');
    const tip = repo.git('rev-parse', task.branch).trim();
    const undo = await runAgent(['undo', task.id], { cwd: repo.root, env });
    expect(undo.code).toBe(0);
    expect(repo.git('rev-parse', task.branch).trim()).toBe(repo.git('rev-parse', `${tip}^`).trim());
    expect(repo.git('rev-parse', `refs/hunkwise/undone/${task.id}/2`).trim()).toBe(tip);
    expect(readFileSync(join(task.worktree, 'b.txt'), 'utf8')).toBe('alpha\nbeta\n');
    expect(readTask(repo, task.id).steps).toBe(1);
  });

  it('undo of a task with no step left says so and fails (exit 1, not a usage error), changing nothing', async () => {
    const { repo, env } = await setup([FINISH]);
    const task = await doneTask(repo, env, 'nothing');
    const tip = repo.git('rev-parse', task.branch).trim();
    const undo = await runAgent(['undo', task.id], { cwd: repo.root, env });
    expect(undo.code).toBe(1);
    expect(undo.stderr).toContain(`Task ${task.id} has no step to undo: nothing was changed.`);
    expect(undo.stderr).toContain(`agent abort ${task.id}`);
    expect(repo.git('rev-parse', task.branch).trim()).toBe(tip);
  });

  it('abort removes worktree and branch and keeps the history; prune clears finished tasks', async () => {
    const { repo, env } = await setup([edit('a.txt', 'two', 'TWO'), FINISH]);
    const task = await doneTask(repo, env, 'capitalise two');
    const tip = repo.git('rev-parse', task.branch).trim();
    const before = snapshotCheckout(repo);
    const abort = await runAgent(['abort', task.id], { cwd: repo.root, env });
    expect(abort.code).toBe(0);
    // The JSON says the worktree is gone, as it is (and that nothing is amiss: an aborted task has none).
    const [listed] = JSON.parse((await runAgent(['list', '--all', '--json'], { cwd: repo.root, env })).stdout);
    expect(listed).toMatchObject({ id: task.id, status: 'aborted', worktreeExists: false, worktreeMissing: false });
    expect(existsSync(task.worktree)).toBe(false);
    expect(repo.git('branch', '--list', 'agent/*')).toBe('');
    expect(repo.git('rev-parse', `refs/hunkwise/aborted/${task.id}`).trim()).toBe(tip);
    expect(snapshotCheckout(repo)).toBe(before);
    const show = await runAgent(['show', task.id], { cwd: repo.root, env });
    expect(show.stdout).toContain('Agent-Action: edit_file a.txt');

    const prune = await runAgent(['prune', '--json'], { cwd: repo.root, env });
    expect(JSON.parse(prune.stdout)).toMatchObject({ clearedState: [task.id] });
    const unknown = await runAgent(['abort', 'zzz'], { cwd: repo.root, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No task of this repository is named 'zzz'/);
  });

  it('a worktree deleted by hand: prune says so and --resume makes it again', async () => {
    const { repo, env } = await setup([edit('a.txt', 'two', 'TWO'), FINISH, FINISH]);
    const task = await doneTask(repo, env, 'capitalise two');
    const { rmSync } = await import('node:fs');
    rmSync(task.worktree, { recursive: true, force: true });
    const prune = await runAgent(['prune'], { cwd: repo.root, env });
    expect(prune.stdout).toMatch(/deleted by hand; agent task --resume/);
    const resume = await runAgent(['task', '--resume', task.id, 'anything else?', '--approve', 'all'], {
      cwd: repo.root,
      env,
    });
    expect(resume.code).toBe(0);
    expect(readFileSync(join(task.worktree, 'a.txt'), 'utf8')).toBe('one\nTWO\nthree\n');
  });
});

describe('list', () => {
  it('finds the task branches also from a checkout whose branch has no commit yet, and a closed pipe ends it quietly', async () => {
    const { repo, env } = await setup([edit('a.txt', 'two', 'TWO'), FINISH, FINISH]);
    const done = await doneTask(repo, env, 'capitalise two');
    const other = await doneTask(repo, env, 'nothing');
    repo.git('update-ref', '-d', `refs/heads/${other.branch}`);
    const expected = [
      { id: done.id, status: 'ready', steps: 1 },
      { id: other.id, status: 'missing', steps: 0 },
    ];
    const listed = async () => JSON.parse((await runAgent(['list', '--json'], { cwd: repo.root, env })).stdout);
    expect(await listed()).toMatchObject(expected);
    // git rev-parse stops at a HEAD without a commit: the branches are then asked of for-each-ref.
    repo.git('checkout', '-q', '--orphan', 'fresh');
    expect(await listed()).toMatchObject(expected);

    const piped = spawnSync('bash', ['-c', `node ${JSON.stringify(AGENT_BIN)} list | true; echo "status \${PIPESTATUS[0]}"`], { cwd: repo.root, env, encoding: 'utf8' });
    expect([piped.stdout, piped.stderr]).toEqual(['status 141\n', '']);
  });
});
