import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FakeChatBody, type FakeOllama, startFakeOllama } from '../fake-ollama/server.js';
import { runAgent } from '../helpers/agent.js';
import { makeRepo, snapshotCheckout, type TestRepo } from '../helpers/repo.js';
import { onlyTask, taskStateDir } from '../helpers/tasks.js';

/**
 * The disk full in the middle of a step, for real: the repository, its git directory, the task's
 * worktree and state all live in a small tmpfs, and while the model "thinks" the test fills that
 * file system up to a chosen number of free bytes. The step that follows runs out of space at a
 * different point for each amount, from the conversation file through the journal, the worktree
 * file, the blob, the commit and the note. Whatever the point: a message that says so and what to
 * do, exit 1, only whole steps on the branch, no half-written file, the user's checkout untouched,
 * and `--resume` after freeing space finishes the step.
 */

const PAGE = 4096;
const SMALL = 'small\n';
/** 16 KB of incompressible text in lines, so that every write of it takes a known number of pages. */
const BIG = pseudoRandomLines(16 * 1024);
const WRITE = { toolCalls: [{ name: 'write_file', arguments: { path: 'data.txt', content: BIG } }] };
const FINISH = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

const canMount = probeMount();

interface Disk {
  mount: string;
  repo: TestRepo;
  server: FakeOllama;
  env: NodeJS.ProcessEnv;
  /** Free bytes when the model answered (before the step). */
  freeAtAnswer: () => number;
  release(): Promise<void>;
}

/**
 * A repository on its own tmpfs with a fake model whose first answer (the big write_file) comes
 * once the file system has been filled to leave `free` bytes (undefined: not filled).
 */
async function diskWith(free: number | undefined): Promise<Disk> {
  const mount = mkdtempSync(join(tmpdir(), 'hunkwise-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = mount;
  let repo: TestRepo;
  try {
    repo = makeRepo({ 'data.txt': SMALL, 'keep.txt': 'the user keeps this\n' });
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  let freeAtAnswer = -1;
  const server = await startFakeOllama({
    models: [{ name: 'qwen2.5-coder:7b', contextLength: 65536 }],
    script: async (body: FakeChatBody, index: number) => {
      if (index === 0) {
        // The worktree is made while the model reads its first prompt: fill once it is there.
        await worktreeMade(repo);
        if (free !== undefined) fill(mount, free);
        freeAtAnswer = freeBytes(mount);
        return WRITE;
      }
      // After a resume: the write again if its call never made it into the conversation.
      return body.messages.at(-1)?.role === 'tool' ? FINISH : WRITE;
    },
  });
  mkdirSync(join(repo.home, '.config', 'hunkwise'), { recursive: true });
  writeFileSync(join(repo.home, '.config', 'hunkwise', 'config.json'), JSON.stringify({ contextWindow: 65536 }));
  const env = { ...repo.env, OLLAMA_HOST: server.url, TMPDIR: mount };
  return {
    mount,
    repo,
    server,
    env,
    freeAtAnswer: () => freeAtAnswer,
    async release() {
      await server.close();
      execFileSync('umount', ['-l', mount]);
      rmSync(mount, { recursive: true, force: true });
    },
  };
}

const freeBytes = (path: string): number => {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
};

/** Fills the file system of `mount` with a ballast file until `free` bytes are left. */
/** Waits (at most 10 s) until the task's worktree is checked out: git unlocks it when done. */
async function worktreeMade(repo: TestRepo): Promise<void> {
  const admin = join(repo.root, '.git', 'worktrees');
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 10))) {
    const [name] = existsSync(admin) ? readdirSync(admin) : [];
    if (name && !existsSync(join(admin, name, 'locked'))) return;
  }
}

function fill(mount: string, free: number): void {
  const ballast = join(mount, 'ballast');
  const missing = freeBytes(mount) - free;
  if (missing > 0) writeFileSync(ballast, Buffer.alloc(missing, 1));
}

const unfill = (mount: string): void => rmSync(join(mount, 'ballast'), { force: true });

function probeMount(): boolean {
  if (process.platform !== 'linux') return false;
  const dir = mkdtempSync(join(tmpdir(), 'hunkwise-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pseudoRandomLines(bytes: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let seed = 0x9e3779b9;
  let out = '';
  while (out.length < bytes) {
    let line = '';
    for (let i = 0; i < 75; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      line += alphabet[seed >>> 26];
    }
    out += `${line}\n`;
  }
  return out;
}

const taskOf = onlyTask;

const STACK = /\n\s+at .+:\d+:\d+/;

/** Bytes of the file system used between the model's answer and a fault point of the step (where the task is killed). */
async function usedAt(point: string): Promise<number> {
  const disk = await diskWith(undefined);
  try {
    const run = await runAgent(['task', 'fill data.txt', '--approve', 'all'], {
      cwd: disk.repo.root,
      env: { ...disk.env, HUNKWISE_KILL_AT: point },
    });
    expect(run.signal, run.stdout + run.stderr).toBe('SIGKILL');
    return disk.freeAtAnswer() - freeBytes(disk.mount);
  } finally {
    await disk.release();
  }
}

interface Outcome {
  /** Where the disk ran out ("journal.json", "git hash-object", ...), or "none" when the step fit. */
  where: string;
  /** Whether the step was on the branch when the task stopped. */
  committed: boolean;
}

/** One task whose step runs out of space with `free` bytes left, checked, then resumed with space freed. */
async function outOfSpace(free: number): Promise<Outcome> {
  const disk = await diskWith(free);
  const { repo } = disk;
  try {
    const before = snapshotCheckout(repo);
    const run = await runAgent(['task', 'fill data.txt', '--approve', 'all'], { cwd: repo.root, env: disk.env });
    const output = run.stdout + run.stderr;
    const task = taskOf(repo);
    const label = `with ${free} bytes free:\n${output}`;
    expect(output, label).not.toMatch(STACK);
    expect(output, label).not.toMatch(/unexpected error/);
    let where = 'none';
    if (run.code !== 0) {
      expect(run.code, label).toBe(1);
      const said = /The disk is full \(no space left on device, (?:writing (\S+)|in git (\S+))\), so task \w+ stopped/.exec(output);
      expect(said, label).not.toBeNull();
      where = said?.[1] ? (said[1].split('/').at(-1) ?? '') : `git ${said?.[2]}`;
      expect(output, label).toContain('Nothing was half-written');
      expect(output, label).toContain(`Free some space (df -h shows how much is left where), then continue with agent task --resume ${task.id}`);
    }
    const committed = expectWhole(repo, task, label);
    expect(snapshotCheckout(repo), label).toBe(before);

    unfill(disk.mount);
    const resumed = await runAgent(['task', '--resume', task.id, '--approve', 'all'], { cwd: repo.root, env: disk.env });
    const again = `${label}\nresumed:\n${resumed.stdout}${resumed.stderr}`;
    expect(resumed.code, again).toBe(0);
    expect(resumed.stderr, again).toBe('');
    // The step is on the branch once, whole, with its note; the worktree equals it.
    expect(repo.git('rev-list', '--count', `main..${task.branch}`).trim(), again).toBe('2');
    expect(repo.git('log', '-1', '--format=%(trailers:key=Agent-Step,valueonly)', task.branch).trim(), again).toBe('1');
    expect(repo.git('show', `${task.branch}:data.txt`), again).toBe(BIG);
    expect(repo.git('notes', '--ref=hunkwise', 'show', task.branch), again).toContain('write_file');
    expect(readFileSync(join(task.worktree, 'data.txt'), 'utf8'), again).toBe(BIG);
    expect(repo.git('-C', task.worktree, 'status', '--porcelain', '--untracked-files=all'), again).toBe('');
    expect(snapshotCheckout(repo), again).toBe(before);
    return { where, committed };
  } finally {
    await disk.release();
  }
}

/**
 * Only whole steps on the branch, no half-written file in the worktree, no broken object, readable
 * state. True when the branch holds the step.
 */
function expectWhole(repo: TestRepo, task: { id: string; branch: string; worktree: string }, label: string): boolean {
  const commits = Number(repo.git('rev-list', '--count', `main..${task.branch}`).trim());
  expect([1, 2], label).toContain(commits);
  if (commits === 2) expect(repo.git('show', `${task.branch}:data.txt`), label).toBe(BIG);
  expect(repo.git('show', `${task.branch}~${commits - 1}:data.txt`), label).toBe(SMALL);
  expect([SMALL, BIG], label).toContain(readFileSync(join(task.worktree, 'data.txt'), 'utf8'));
  expect(readdirSync(task.worktree).filter((name) => name.includes('tmp')), label).toEqual([]);
  repo.git('fsck', '--no-progress', '--no-dangling');
  const state = taskStateDir(repo, task.id);
  expect(readdirSync(state).filter((name) => name.endsWith('.tmp')), label).toEqual([]);
  for (const line of readFileSync(join(state, 'conversation.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    expect(() => JSON.parse(line), label).not.toThrow();
  }
  return commits === 2;
}

// A real full disk needs a file system of its own: mounting a tmpfs takes root (CAP_SYS_ADMIN) on Linux.
const WHY_SKIPPED = canMount ? '' : ' [skipped: cannot mount a tmpfs here (needs root on Linux)]';

describe.skipIf(!canMount)(`the disk full while a step is staged (a real tmpfs, filled up)${WHY_SKIPPED}`, () => {
  it('stops with what to do, keeps only whole steps and no half-written file, and --resume finishes the step', async () => {
    // Where the step stands once its journal is written, once its file and blob are, and once it is committed.
    const [journaled, prepared, committed] = await Promise.all([
      usedAt('step:journaled'),
      usedAt('step:prepared'),
      usedAt('step:committed'),
    ]);
    const levels = [
      0, // the model's answer, into the conversation
      journaled - PAGE, // the step's journal
      journaled + 2 * PAGE, // the approved file, in the worktree
      prepared - PAGE, // its blob
      prepared, // staging it
      prepared + PAGE, // the tree, the commit, the branch
      prepared + 2 * PAGE,
      prepared + 6 * PAGE, // the note
      committed, // what follows the commit: the step is on the branch, the task's record not yet
    ];
    const outcomes = await Promise.all(levels.map(outOfSpace));
    const places = outcomes.map((outcome) => outcome.where);
    expect(places.slice(0, 4)).toEqual(['conversation.jsonl', 'journal.json', 'data.txt', 'git hash-object']);
    // Which git command of the commit meets the full disk depends on how git writes; most of them do.
    const committing = new Set(['git update-index', 'git write-tree', 'git commit-tree', 'git update-ref', 'git notes']);
    expect(places.slice(4, 8).filter((place) => committing.has(place)).length, places.join(', ')).toBeGreaterThanOrEqual(3);
    expect(outcomes[8]).toMatchObject({ committed: true });
    expect(places[8]).not.toBe('none');
  }, 180_000);
});

describe('writing an approved file whole', () => {
  it('keeps the mode of the file it replaces', async () => {
    const server = await startFakeOllama({
      script: [{ toolCalls: [{ name: 'edit_file', arguments: { path: 'run.sh', old_text: 'echo one', new_text: 'echo two' } }] }, FINISH],
    });
    const repo = makeRepo({ 'run.sh': '#!/bin/sh\necho one\n' }, { commit: false });
    try {
      chmodSync(join(repo.root, 'run.sh'), 0o755);
      repo.git('add', '-A');
      repo.git('commit', '-qm', 'an executable script');
      const run = await runAgent(['task', 'say two', '--approve', 'all'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url } });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const task = taskOf(repo);
      expect(repo.git('ls-tree', task.branch, 'run.sh')).toMatch(/^100755 /);
      expect(statSync(join(task.worktree, 'run.sh')).mode & 0o777).toBe(0o755);
      expect(readFileSync(join(task.worktree, 'run.sh'), 'utf8')).toBe('#!/bin/sh\necho two\n');
    } finally {
      await server.close();
      repo.cleanup();
    }
  });
});
