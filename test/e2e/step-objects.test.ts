import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commitJournal } from '../../src/agent/commit-journal.js';
import { Conversation } from '../../src/agent/conversation.js';
import { TaskState } from '../../src/agent/task-state.js';
import type { AgentEvent } from '../../src/agent/events.js';
import { readJournal, type StepJournal, writeJournal } from '../../src/agent/step-journal.js';
import { TaskFault } from '../../src/errors.js';
import { GitError, type GitOptions, type GitResult } from '../../src/git/exec.js';
import { gitDate } from '../../src/git/notes.js';
import { openRepo } from '../../src/git/repo.js';
import { indexMissingObjects, repairIndex } from '../../src/git/step-objects.js';
import { createTask } from '../../src/git/task-branch.js';
import type { TaskRecord } from '../../src/git/task-store.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

/**
 * A `git gc --prune=now` taking a step's objects at the worst moments, made exact: the test's git
 * runner deletes a loose object right after the git process named. The step writes it again from
 * its journal, or stops the task resumable with an index that names no lost object.
 */

const spy = vi.hoisted(() => ({
  /** Called after each git process of hunkwise with its arguments, input and result. */
  after: undefined as undefined | ((args: string[], options: GitOptions, result: GitResult) => void),
  /** Called before each git process: what it returns is thrown instead of running git. */
  instead: undefined as undefined | ((args: string[], options: GitOptions) => Error | undefined),
  calls: [] as string[][],
}));

vi.mock('../../src/git/exec.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/git/exec.js')>();
  const git = async (args: string[], options: GitOptions): Promise<GitResult> => {
    spy.calls.push(args);
    const failure = spy.instead?.(args, options);
    if (failure) throw failure;
    const result = await real.git(args, options);
    spy.after?.(args, options, result);
    return result;
  };
  const gitOut = async (args: string[], options: GitOptions): Promise<string> => {
    const { stdout } = await git(args, options);
    return stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout;
  };
  return { ...real, git, gitOut };
});

let repo: TestRepo;
const savedEnv = { ...process.env };

beforeEach(() => {
  repo = makeRepo({ 'a.txt': 'one\ntwo\n', 'keep.txt': 'kept\n' });
  Object.assign(process.env, repo.env);
  spy.after = undefined;
  spy.instead = undefined;
  spy.calls = [];
});

afterEach(() => {
  process.env = { ...savedEnv };
  repo.cleanup();
});

/** Deletes a loose object of the repository, as `git prune` does. */
function prune(id: string): void {
  const file = join(repo.root, '.git', 'objects', id.slice(0, 2), id.slice(2));
  expect(existsSync(file), `${id} is a loose object`).toBe(true);
  rmSync(file);
}

/** The git command of a call, past any `-c name=value`. */
const sub = (args: string[]): string => args.find((arg, i) => arg !== '-c' && args[i - 1] !== '-c') ?? '';

async function startTask(): Promise<{ task: TaskRecord; commonDir: string; journal: StepJournal; events: AgentEvent[] }> {
  const r = await openRepo(repo.root);
  const base = repo.git('rev-parse', 'HEAD').trim();
  const task = await createTask({
    repo: r,
    instruction: 'gc test',
    base: { ref: 'main', commit: base },
    model: 'ollama/m',
    locality: 'local',
    worktreesDir: join(repo.home, 'worktrees'),
  });
  const parent = repo.git('rev-parse', task.branch).trim();
  const journal: StepJournal = {
    step: 1,
    branch: task.branch,
    parent,
    files: [{ path: 'a.txt', content: 'one\nTWO\n' }, { path: 'new.txt', content: `fresh ${Math.random()}\n` }],
    message: `agent step 1: edit\n\nAgent-Task: ${task.id}\nAgent-Step: 1\n`,
    note: `[step 1 result]\nStep 1 committed ${Math.random()}\n`,
    date: gitDate(new Date()),
    outcome: 'Step 1 committed.',
    action: 'edit a.txt',
    approved: 2,
    refused: 0,
    restore: [],
  };
  writeJournal(r.commonDir, task.id, journal);
  return { task, commonDir: r.commonDir, journal, events: [] };
}

/** What `git fsck` says is missing or broken (dangling objects are not). */
const fsckProblems = (): string[] => {
  let out: string;
  try {
    out = repo.git('fsck', '--no-dangling', '--no-progress');
  } catch (error) {
    out = String((error as { stderr?: string }).stderr ?? error);
  }
  return out.split('\n').filter((line) => /missing|broken|invalid|error/i.test(line));
};

const gc = (): void => void repo.git('gc', '--prune=now', '--quiet');

describe('a step whose objects a gc takes', () => {
  it('writes its blobs again when write-tree finds one gone', async () => {
    const { task, commonDir, journal, events } = await startTask();
    let taken = 0;
    spy.after = (args, options) => {
      if (sub(args) === 'update-index' && args.includes('--index-info') && taken === 0) {
        taken += 1;
        prune(/100644 ([0-9a-f]+)\tnew\.txt/.exec(options.input ?? '')?.[1] ?? '');
      }
    };
    const commit = await commitJournal({ state: new TaskState(commonDir, task, Conversation.inMemory()), emit: (event) => events.push(event) }, journal);
    expect(taken).toBe(1);
    expect(spy.calls.filter((args) => args.includes('hash-object'))).toHaveLength(2);
    expect(repo.git('rev-parse', task.branch).trim()).toBe(commit);
    expect(repo.git('show', `${commit}:new.txt`)).toBe(journal.files[1]?.content);
    expect(repo.git('notes', '--ref=hunkwise', 'show', commit)).toContain('Step 1 committed');
    expect(fsckProblems()).toEqual([]);
    gc();
  });

  it('writes the very same commit and notes commit again when they go after the refs moved', async () => {
    const { task, commonDir, journal } = await startTask();
    let stepCommit = '';
    let notesCommit = '';
    spy.after = (args, options) => {
      if (sub(args) === 'update-ref' && args.includes(`refs/heads/${task.branch}`) && !stepCommit) {
        stepCommit = args.at(-2) ?? '';
        prune(stepCommit);
      }
      if (sub(args) === 'update-ref' && args.includes('--stdin') && !notesCommit) {
        notesCommit = /^update refs\/notes\/hunkwise ([0-9a-f]+)/.exec(options.input ?? '')?.[1] ?? '';
        prune(notesCommit);
      }
    };
    const commit = await commitJournal({ state: new TaskState(commonDir, task, Conversation.inMemory()), emit: () => {} }, journal);
    expect(commit).toBe(stepCommit);
    expect(repo.git('rev-parse', task.branch).trim()).toBe(stepCommit);
    expect(repo.git('rev-parse', 'refs/notes/hunkwise').trim()).toBe(notesCommit);
    expect(repo.git('cat-file', '-t', stepCommit).trim()).toBe('commit');
    expect(repo.git('notes', '--ref=hunkwise', 'show', commit)).toContain('Step 1 committed');
    expect(fsckProblems()).toEqual([]);
    expect(repo.git('for-each-ref', 'refs/notes/hunkwise-tmp/')).toBe('');
    gc();
  });

  it('stops the task resumable, its index naming no lost object, when the objects keep going; resume commits the step', async () => {
    const { task, commonDir, journal } = await startTask();
    const parent = journal.parent;
    spy.after = (args, options) => {
      if (sub(args) === 'update-index' && args.includes('--index-info')) {
        prune(/100644 ([0-9a-f]+)\tnew\.txt/.exec(options.input ?? '')?.[1] ?? '');
      }
    };
    const stopped = await commitJournal({ state: new TaskState(commonDir, task, Conversation.inMemory()), emit: () => {} }, journal).catch((error: unknown) => error);
    expect(stopped).toBeInstanceOf(TaskFault);
    expect((stopped as TaskFault).message).toMatch(/could not be committed: objects git had just written for it were deleted, 5 times/);
    expect((stopped as TaskFault).hint).toContain(`agent task --resume ${task.id}`);
    expect(repo.git('rev-parse', task.branch).trim()).toBe(parent);
    expect(readJournal(commonDir, task.id)).toEqual(journal);
    expect(await indexMissingObjects(task.worktree)).toEqual([]);
    gc(); // the user's gc works

    spy.after = undefined;
    const commit = await commitJournal({ state: new TaskState(commonDir, task, Conversation.inMemory()), emit: () => {} }, journal);
    expect(repo.git('show', `${commit}:new.txt`)).toBe(journal.files[1]?.content);
    expect(repo.git('notes', '--ref=hunkwise', 'show', commit)).toContain('Step 1 committed');
    expect(fsckProblems()).toEqual([]);
  });
});

describe('a worktree index that names a lost object', () => {
  it('is found, and set back to the branch tip', async () => {
    const { task } = await startTask();
    const worktree = task.worktree;
    const blob = execIn(worktree, ['hash-object', '-w', '--stdin'], 'never committed\n');
    execIn(worktree, ['update-index', '--cacheinfo', `100644,${blob},keep.txt`]);
    prune(blob);
    expect(await indexMissingObjects(worktree)).toEqual(['keep.txt']);
    expect(() => gc()).toThrow();
    expect(await repairIndex(worktree)).toEqual(['keep.txt']);
    expect(await indexMissingObjects(worktree)).toEqual([]);
    expect(execIn(worktree, ['status', '--porcelain'])).toBe('');
    gc();
  });
});

function execIn(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', ['-C', cwd, ...args], { env: repo.env, input, encoding: 'utf8' }).trim();
}

/**
 * Makes the first `git worktree add -b` fail as git does in a race: the branch made, then `stderr`
 * (given the worktree's name); returns how many adds it failed.
 */
function failFirstWorktreeAdd(stderr: (name: string) => string): () => number {
  let failed = 0;
  spy.instead = (args, options) => {
    if (sub(args) !== 'worktree' || !args.includes('add') || failed > 0) return undefined;
    failed += 1;
    const [branch = '', , start = ''] = args.slice(args.indexOf('-b') + 1);
    execFileSync('git', ['branch', branch, start], { cwd: options.cwd, env: repo.env });
    return new GitError(args, 128, stderr(branch.replace(/^agent\//, '')));
  };
  return () => failed;
}

/** The task made by createTask, its worktree checked out on its branch at its first commit. */
async function madeTask(instruction: string): Promise<TaskRecord> {
  const task = await createTask({
    repo: await openRepo(repo.root),
    instruction,
    base: { ref: 'main', commit: repo.git('rev-parse', 'HEAD').trim() },
    model: 'ollama/m',
    locality: 'local',
    worktreesDir: join(repo.home, 'worktrees'),
  });
  expect(repo.git('rev-parse', task.branch).trim()).toBe(task.root);
  expect(execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: task.worktree, encoding: 'utf8' }).trim()).toBe(task.branch);
  return task;
}

describe("a task's worktree while a gc runs", () => {
  it('is made again when the gc pruned its registration while git worktree add wrote it', async () => {
    // As `git worktree add -b` fails when `git gc` runs `git worktree prune` under it (git 2.39's words).
    const failed = failFirstWorktreeAdd((name) => `fatal: could not open '.git/worktrees/${name}/gitdir' for writing: No such file or directory\n`);
    await madeTask('gc test');
    expect(failed()).toBe(1);
    expect(spy.calls.filter((args) => sub(args) === 'worktree' && args.includes('add'))).toHaveLength(2);
  });

  it("is made again when git read another task's registration half written by a concurrent worktree add", async () => {
    // git 2.39 makes the -b branch first, then dies reading the other worktree's folder.
    const failed = failFirstWorktreeAdd(() => 'fatal: failed to read .git/worktrees/2acu4b-task-number-4/commondir: Success\n');
    await madeTask('concurrent test');
    expect(failed()).toBe(1);
  });
});
