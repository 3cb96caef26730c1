import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type FakeScript, startFakeOllama } from '../fake-ollama/server.js';
import { type AgentRun, runAgent } from '../helpers/agent.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';
import { allTasks, taskStateDir } from '../helpers/tasks.js';
import { testState } from '../helpers/state.js';

/**
 * Several tasks of one repository at once, and the user's `git gc --prune=now` while a task runs:
 * every step keeps its note, and the repository stays whole (the user's `git gc` works after).
 */

const run = promisify(execFile);

const open = testState();

const FINISH = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

/**
 * A model that writes f.txt once a turn, a new content each step, until the conversation holds
 * `steps` committed steps; then it finishes. It goes on from wherever a resume finds the task.
 */
function stepper(steps: number): FakeScript {
  return (body) => {
    const made = body.messages.filter((m) => m.role === 'tool' && /^Step \d+ committed/.test(m.content)).length;
    if (made >= steps) return FINISH;
    return { toolCalls: [{ name: 'write_file', arguments: { path: 'f.txt', content: `step ${made + 1} of ${body.messages[1]?.content.slice(0, 40)}\n` } }] };
  };
}

interface TaskInfo {
  id: string;
  branch: string;
  worktree: string;
}

const tasksOf = (r: TestRepo): TaskInfo[] => allTasks(r) as TaskInfo[];

/** The step commits of a task branch (Agent-Step 1 and up), newest first. */
function stepCommits(r: TestRepo, branch: string): string[] {
  return r
    .git('log', '--format=%H %(trailers:key=Agent-Step,valueonly,separator=)', `main..${branch}`)
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
    .filter(([, step]) => Number(step) >= 1)
    .map(([commit = '']) => commit);
}

/** The commits that have a note under refs/notes/hunkwise. */
const annotated = (r: TestRepo): Set<string> =>
  new Set(
    r
      .git('notes', '--ref=hunkwise', 'list')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[1] ?? ''),
  );

/** What `git fsck` finds missing or broken (dangling objects are no problem). */
async function fsckProblems(r: TestRepo): Promise<string[]> {
  const result = await run('git', ['fsck', '--no-dangling', '--no-progress'], { cwd: r.root, env: r.env }).catch(
    (error: { stdout: string; stderr: string }) => error,
  );
  return `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => /missing|broken|invalid|error|fatal/i.test(line));
}

describe('four tasks at once', () => {
  it('keep a note for every one of their 160 steps', async () => {
    const server = await startFakeOllama({ script: stepper(40) });
    open.server = server;
    const r = makeRepo({ 'f.txt': 'start\n' });
    open.repo = r;
    const env = { ...r.env, OLLAMA_HOST: server.url };
    const runs = await Promise.all(
      [1, 2, 3, 4].map((k) => runAgent(['task', `task number ${k}`, '--approve', 'all'], { cwd: r.root, env })),
    );
    for (const done of runs) {
      expect(done.stderr).toBe('');
      // What the task said, when it failed: its view is on stdout.
      expect(done.code, done.stdout.slice(-1500)).toBe(0);
    }
    const tasks = tasksOf(r);
    expect(tasks).toHaveLength(4);
    const notes = annotated(r);
    const steps = tasks.flatMap((task) => stepCommits(r, task.branch));
    expect(steps).toHaveLength(160);
    expect(steps.filter((commit) => !notes.has(commit))).toEqual([]);
    expect(r.git('for-each-ref', 'refs/notes/hunkwise-tmp/')).toBe('');
    expect(await fsckProblems(r)).toEqual([]);
  });
});

describe('git gc --prune=now in a loop while a task runs', () => {
  it('takes nothing of the task: it finishes (or stops resumable and a resume finishes it), every step noted, the repository whole', async () => {
    const server = await startFakeOllama({ script: stepper(40) });
    open.server = server;
    const r = makeRepo({ 'f.txt': 'start\n' });
    open.repo = r;
    const env = { ...r.env, OLLAMA_HOST: server.url };
    let running = true;
    let gcs = 0;
    const loop = (async () => {
      // From the start: the task's first commit too is reachable from nothing until its branch is made.
      while (running) {
        // A gc may fail while it runs into a step half made; it must not break the next one.
        await run('git', ['gc', '--prune=now', '--quiet'], { cwd: r.root, env: r.env }).catch(() => {});
        gcs += 1;
      }
    })();
    const stopLoop = async (): Promise<void> => {
      running = false;
      await loop;
    };
    let done: AgentRun;
    try {
      done = await runAgent(['task', 'forty steps', '--approve', 'all'], { cwd: r.root, env });
    } finally {
      await stopLoop();
    }
    const [task] = tasksOf(r);
    if (done.code !== 0) {
      // Stopped resumable: it says so, and a resume finishes it.
      const said = done.stdout + done.stderr;
      expect(said).toContain('could not be committed: objects git had just written for it were deleted');
      expect(said).toContain(`agent task --resume ${task?.id}`);
      done = await runAgent(['task', '--resume', task?.id ?? '', '--approve', 'all'], { cwd: r.root, env });
    }
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(gcs).toBeGreaterThan(5);

    const steps = stepCommits(r, task?.branch ?? '');
    expect(steps).toHaveLength(40);
    const notes = annotated(r);
    expect(steps.filter((commit) => !notes.has(commit))).toEqual([]);
    expect(r.git('show', `${task?.branch}:f.txt`)).toMatch(/^step 40 of /);
    await run('git', ['gc', '--prune=now'], { cwd: r.root, env: r.env });
    expect(await fsckProblems(r)).toEqual([]);
  });
});

describe('a gc that takes the blobs of a step every time it is written', () => {
  it('stops the task resumable, the index naming no lost object; the resume commits the step', async () => {
    const server = await startFakeOllama({ script: stepper(1) });
    open.server = server;
    const r = makeRepo({ 'f.txt': 'start\n' });
    open.repo = r;
    // git, but every blob a step stages is deleted right after, as a gc --prune=now can.
    const bin = join(r.home, 'bin');
    mkdirSync(bin);
    const realGit = (await run('sh', ['-c', 'command -v git'])).stdout.trim();
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh
case " $* " in
  *" --index-info "*)
    staged=$(mktemp)
    cat > "$staged"
    "${realGit}" "$@" < "$staged"
    code=$?
    objects="$("${realGit}" rev-parse --git-common-dir)/objects"
    tr '\\0' '\\n' < "$staged" | while read -r mode id rest; do
      [ "$mode" = 0 ] || rm -f "$objects/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-)"
    done
    rm -f "$staged"
    exit $code;;
esac
exec "${realGit}" "$@"
`,
      { mode: 0o755 },
    );
    const env = { ...r.env, OLLAMA_HOST: server.url };
    const stopped = await runAgent(['task', 'one step', '--approve', 'all'], { cwd: r.root, env: { ...env, PATH: `${bin}:${r.env.PATH}` } });
    const [task] = tasksOf(r);
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toContain(`Step 1 of task ${task?.id} could not be committed: objects git had just written for it were deleted, 5 times over`);
    expect(stopped.stdout).toContain(`continue with agent task --resume ${task?.id}; it commits the step first`);
    expect(existsSync(join(taskStateDir(r, task?.id ?? ''), 'journal.json'))).toBe(true);
    r.git('gc', '--prune=now', '--quiet');

    const resumed = await runAgent(['task', '--resume', task?.id ?? '', '--approve', 'all'], { cwd: r.root, env });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Step 1 was approved before the task stopped; it is committed.');
    const steps = stepCommits(r, task?.branch ?? '');
    expect(steps).toHaveLength(1);
    expect(annotated(r).has(steps[0] ?? '')).toBe(true);
    r.git('gc', '--prune=now', '--quiet');
    expect(await fsckProblems(r)).toEqual([]);
  });
});

describe('a task worktree whose index names a lost object', () => {
  it('is named by agent doctor, and repaired on resume', async () => {
    const server = await startFakeOllama({ script: stepper(1) });
    open.server = server;
    const r = makeRepo({ 'f.txt': 'start\n', 'g.txt': 'gee\n' });
    open.repo = r;
    const env = { ...r.env, OLLAMA_HOST: server.url };
    expect((await runAgent(['task', 'one step', '--approve', 'all'], { cwd: r.root, env })).code).toBe(0);
    const [task] = tasksOf(r);
    const worktree = task?.worktree ?? '';
    // What a gc leaves when it takes a blob between a step's hash-object and its commit.
    const { stdout } = await run('sh', ['-c', 'printf "lost\\n" | git hash-object -w --stdin'], { cwd: worktree, env: r.env });
    const blob = stdout.trim();
    r.git('-C', worktree, 'update-index', '--cacheinfo', `100644,${blob},g.txt`);
    rmSync(join(r.root, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    expect(() => r.git('gc', '--prune=now', '--quiet')).toThrow();

    const doctor = await runAgent(['doctor', '--json'], { cwd: r.root, env });
    const checks = JSON.parse(doctor.stdout).checks as { name: string; status: string; detail: string; fix?: string }[];
    const check = checks.find((c) => c.name === 'task worktrees');
    expect(check?.status).toBe('fail');
    expect(check?.detail).toContain(`task ${task?.id}: the index of its worktree ${worktree} names objects git no longer has (g.txt)`);
    expect(check?.fix).toContain(`agent task --resume ${task?.id}`);

    server.setScript([FINISH]);
    const resumed = await runAgent(['task', '--resume', task?.id ?? '', '--approve', 'all'], { cwd: r.root, env });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("The worktree's index named objects git no longer has (g.txt");
    expect(resumed.stdout).not.toContain('changes no step holds');
    r.git('gc', '--prune=now', '--quiet');
    expect(await fsckProblems(r)).toEqual([]);

    const after = await runAgent(['doctor', '--json'], { cwd: r.root, env });
    const again = (JSON.parse(after.stdout).checks as { name: string; status: string }[]).find((c) => c.name === 'task worktrees');
    expect(again?.status).toBe('ok');
  });
});

describe("a task whose first commit a gc took before its branch was made", () => {
  it('makes it again when the worktree is made', async () => {
    const server = await startFakeOllama({ script: [FINISH] });
    open.server = server;
    const r = makeRepo({ 'f.txt': 'start\n' });
    open.repo = r;
    const env = { ...r.env, OLLAMA_HOST: server.url };
    // Killed once the task is recorded, before its branch: then its first commit is lost as a gc would lose it.
    const killed = await runAgent(['task', 'start', '--approve', 'all'], { cwd: r.root, env: { ...env, HUNKWISE_KILL_AT: 'task:created' } });
    expect(killed.signal).toBe('SIGKILL');
    const [id = ''] = readdirSync(join(r.root, '.git', 'hunkwise', 'tasks'));
    const file = join(r.root, '.git', 'hunkwise', 'tasks', id, 'task.json');
    const record = JSON.parse(readFileSync(file, 'utf8'));
    record.root = 'f'.repeat(40);
    writeFileSync(file, JSON.stringify(record));
    const resumed = await runAgent(['task', '--resume', id, '--approve', 'all'], { cwd: r.root, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const root = JSON.parse(readFileSync(file, 'utf8')).root;
    expect(root).not.toBe('f'.repeat(40));
    expect(r.git('rev-parse', `${record.branch}`).trim()).toBe(root);
  });
});
