import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../fake-ollama/server.js';
import { runAgent } from '../helpers/agent.js';
import { makeRepo, snapshotCheckout, type TestRepo } from '../helpers/repo.js';
import { runTaskToEnd, taskStateDir } from '../helpers/tasks.js';

/**
 * `agent merge` over every state a user's checkout is really in, in every mode: it merges with
 * nothing of the user's lost, or refuses with the checkout byte-identical (contents, inodes,
 * mtimes, the index file, refs, stash, no MERGE_HEAD).
 */

const open: { server: FakeOllama; repo: TestRepo }[] = [];
const sleepers: { kill(): void }[] = [];

afterEach(async () => {
  for (const sleeper of sleepers.splice(0)) sleeper.kill();
  for (const { server, repo } of open.splice(0)) {
    await server.close();
    repo.cleanup();
  }
});

const call = (name: string, args: object) => ({ toolCalls: [{ name, arguments: args }] });
const TASK = [
  call('edit_file', { path: 'a.txt', old_text: 'two', new_text: 'TWO' }),
  call('write_file', { path: 'new.txt', content: 'from the task\n' }),
  call('write_file', { path: 'settings.local', content: 'task=1\n' }),
  call('finish', { summary: 'done' }),
];
const NO_STEPS = [call('finish', { summary: 'nothing to do' })];

const FILES = { 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'alpha\nbeta\n', '.gitignore': '*.local\n' };

type Mode = 'no-ff' | 'squash' | 'ff-only';
const MODES: Mode[] = ['no-ff', 'squash', 'ff-only'];
const modeFlag = (mode: Mode): string[] => (mode === 'squash' ? ['--squash'] : mode === 'ff-only' ? ['--ff-only'] : []);

interface UserState {
  name: string;
  script?: object[];
  /** What the user did before `agent merge`. */
  prepare(repo: TestRepo, taskId: string): void;
  /** The modes in which the merge is refused; `names` must appear in the refusal. */
  refused: Mode[];
  names: string[];
}

const hooksPath = (repo: TestRepo, hook: string, body: string): void => {
  const dir = join(repo.home, 'hooks');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, hook), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, hook), 0o755);
  repo.git('config', 'core.hooksPath', dir);
};

const STATES: UserState[] = [
  { name: 'a clean checkout', prepare: () => {}, refused: [], names: [] },
  {
    name: 'staged changes in a file the task does not touch',
    prepare: (repo) => {
      repo.write('b.txt', 'alpha\nbeta\nmine\n');
      repo.git('add', 'b.txt');
    },
    refused: MODES,
    names: ['staged changes', 'b.txt'],
  },
  {
    name: 'staged changes in a file the task writes',
    prepare: (repo) => {
      repo.write('a.txt', 'one\ntwo\nthree\nmine\n');
      repo.git('add', 'a.txt');
    },
    refused: MODES,
    names: ['staged changes', 'a.txt'],
  },
  {
    name: 'unstaged changes in a file the task writes',
    prepare: (repo) => repo.write('a.txt', 'one\ntwo\nthree\nmine\n'),
    refused: MODES,
    names: ['not staged', 'a.txt'],
  },
  {
    name: 'unstaged changes in another file',
    prepare: (repo) => repo.write('b.txt', 'alpha\nbeta\nmine\n'),
    refused: [],
    names: [],
  },
  {
    name: 'an untracked file where the task creates one',
    prepare: (repo) => repo.write('new.txt', 'my own notes\n'),
    refused: MODES,
    names: ['untracked', 'new.txt'],
  },
  {
    name: 'an ignored file of the user where the task creates one',
    prepare: (repo) => repo.write('settings.local', 'password=mine\n'),
    refused: MODES,
    names: ['ignored', 'settings.local'],
  },
  {
    name: 'merge.autoStash with changes in a file the task writes',
    prepare: (repo) => {
      repo.git('config', 'merge.autoStash', 'true');
      repo.write('a.txt', 'one\ntwo\nthree\nmine\n');
    },
    refused: MODES,
    names: ['a.txt'],
  },
  {
    name: 'merge.autoStash with changes in another file',
    prepare: (repo) => {
      repo.git('config', 'merge.autoStash', 'true');
      repo.write('b.txt', 'alpha\nbeta\nmine\n');
    },
    refused: [],
    names: [],
  },
  {
    name: 'a commit-msg hook that fails',
    prepare: (repo) => hooksPath(repo, 'commit-msg', 'echo "subject must start with a ticket number" >&2\nexit 1'),
    // A fast-forward makes no commit: git runs no commit-msg hook for it either.
    refused: ['no-ff', 'squash'],
    names: ['commit-msg', 'ticket number'],
  },
  {
    name: 'commit.gpgSign without a key',
    prepare: (repo) => {
      repo.git('config', 'commit.gpgSign', 'true');
      repo.git('config', 'user.signingKey', 'NO-SUCH-KEY-0000');
    },
    refused: ['no-ff', 'squash'],
    names: ['commit.gpgSign'],
  },
  {
    name: 'a task that is running',
    prepare: (repo, taskId) => {
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
      sleepers.push(sleeper);
      writeFileSync(join(taskStateDir(repo, taskId), 'lock'), String(sleeper.pid));
    },
    refused: MODES,
    names: ['running in another process'],
  },
  { name: 'a task with no steps', script: NO_STEPS, prepare: () => {}, refused: MODES, names: ['no steps'] },
];

async function taskIn(state: UserState): Promise<{ repo: TestRepo; env: NodeJS.ProcessEnv; id: string; branch: string }> {
  const server = await startFakeOllama({ script: state.script ?? TASK });
  const repo = makeRepo(FILES);
  open.push({ server, repo });
  const env = { ...repo.env, OLLAMA_HOST: server.url, GNUPGHOME: join(repo.home, '.gnupg') };
  const { run, task } = await runTaskToEnd(repo, env, 'change a, add new.txt and settings.local');
  expect(run.code, run.stderr).toBe(0);
  state.prepare(repo, task.id);
  return { repo, env, id: task.id, branch: task.branch };
}

describe('agent merge over the states users leave their checkout in', () => {
  for (const state of STATES) {
    for (const mode of MODES) {
      const refused = state.refused.includes(mode);
      it(`${state.name}, ${mode}: ${refused ? 'refused, nothing touched' : 'merged, nothing of the user lost'}`, async () => {
        const { repo, env, id } = await taskIn(state);
        const before = snapshotCheckout(repo);
        const userFiles = userChanges(repo);
        const stash = repo.git('stash', 'list');
        const merge = await runAgent(['merge', id, ...modeFlag(mode)], { cwd: repo.root, env });
        if (refused) {
          expect(merge.code, merge.stdout).not.toBe(0);
          for (const word of state.names) expect(merge.stderr).toContain(word);
          expect(snapshotCheckout(repo)).toBe(before);
          return;
        }
        expect(merge.code, merge.stderr).toBe(0);
        expect(repo.read('a.txt')).toBe('one\nTWO\nthree\n');
        expect(repo.read('new.txt')).toBe('from the task\n');
        expect(repo.read('settings.local')).toBe('task=1\n');
        // The user's own changes are where they were, untouched, and nothing was stashed or left half done.
        for (const [path, stat] of userFiles) {
          const now = statSync(join(repo.root, path), { bigint: true });
          expect([now.ino, now.mtimeNs], path).toEqual([stat.ino, stat.mtimeNs]);
        }
        expect(repo.git('stash', 'list')).toBe(stash);
        expect(existsSync(join(repo.root, '.git', 'MERGE_HEAD'))).toBe(false);
        expect(repo.git('diff', '--cached', '--name-only')).toBe('');
        const parents = repo.git('log', '-1', '--format=%P', 'main').trim().split(' ');
        expect(parents).toHaveLength(mode === 'no-ff' ? 2 : 1);
        if (mode === 'squash') expect(repo.git('log', '-1', '--format=%B', 'main')).toContain(`Agent-Task: ${id}`);
        expect(repo.git('status', '--porcelain')).toBe(userFiles.size ? ' M b.txt\n' : '');
      });
    }
  }
});

/** The files the user changed without staging, with their inode and mtime. */
function userChanges(repo: TestRepo): Map<string, { ino: bigint; mtimeNs: bigint }> {
  const changed = repo.git('diff', '--name-only').split('\n').filter(Boolean);
  return new Map(changed.map((path) => [path, statSync(join(repo.root, path), { bigint: true })]));
}

describe('undo, abort and prune around a task', () => {
  it('undo and abort refuse while the task runs in another process, and name it', async () => {
    const { repo, env, id, branch } = await taskIn(STATES[0] as UserState);
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    sleepers.push(sleeper);
    writeFileSync(join(taskStateDir(repo, id), 'lock'), String(sleeper.pid));
    const tip = repo.git('rev-parse', branch);
    for (const verb of ['undo', 'abort']) {
      const run = await runAgent([verb, id], { cwd: repo.root, env });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`Task ${id} is running in another process (pid ${sleeper.pid})`);
      expect(run.stderr).toContain(`run agent ${verb} ${id} again`);
    }
    expect(repo.git('rev-parse', branch)).toBe(tip);
  });

  it('prune keeps a finished task worktree that holds changes no step has, unless --force', async () => {
    const { repo, env, id } = await taskIn(STATES[0] as UserState);
    const worktree = JSON.parse(readFileSync(join(taskStateDir(repo, id), 'task.json'), 'utf8')).worktree as string;
    writeFileSync(join(worktree, 'scratch.txt'), 'notes of mine\n');
    const merged = await runAgent(['merge', id], { cwd: repo.root, env });
    expect(merged.stdout).toContain('Worktree kept: it has changes no step holds (scratch.txt)');
    const kept = await runAgent(['prune'], { cwd: repo.root, env });
    expect(kept.stdout).toContain(`kept the worktree of task ${id} (${worktree}): it has changes no step holds (scratch.txt)`);
    expect(existsSync(join(worktree, 'scratch.txt'))).toBe(true);
    const forced = await runAgent(['prune', '--force', '--json'], { cwd: repo.root, env });
    expect(JSON.parse(forced.stdout).removedWorktrees).toEqual([worktree]);
    expect(existsSync(worktree)).toBe(false);
  });
});
