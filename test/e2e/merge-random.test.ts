import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../src/errors.js';
import { type MergeMode, mergeTask } from '../../src/git/merge.js';
import { openRepo } from '../../src/git/repo.js';
import type { TaskRecord } from '../../src/git/task-store.js';
import { makeRepo, snapshotCheckout, type TestRepo } from '../helpers/repo.js';

/**
 * Random things users do to their checkout (edit, stage, delete, stash, leave untracked and ignored
 * files, commit on the base branch, turn on merge.autoStash), then a merge in a random mode. The
 * outcome is foretold from the checkout by git's porcelain, independently of hunkwise: a merge
 * either succeeds with nothing of the user's lost, or is refused with the checkout byte-identical.
 * HUNKWISE_MERGE_SEED replays a run.
 */

const SEED = Number(process.env.HUNKWISE_MERGE_SEED ?? 14);
const CASES = 300;

const TRACKED = ['a.txt', 'b.txt', 'c/d.txt', 'e.txt'];
/** What the task's step writes: a.txt changed, e.txt deleted, three files created (one ignored). */
const TASK_WRITES = new Map<string, string | null>([
  ['a.txt', 'one\nTWO\nthree\n'],
  ['e.txt', null],
  ['new.txt', 'from the task\n'],
  ['c/new.txt', 'also from the task\n'],
  ['settings.local', 'task=1\n'],
]);
const CREATED = ['new.txt', 'c/new.txt', 'settings.local'];
const LOOSE = [...CREATED, 'other.txt', 'other.local'];

let repo: TestRepo;
let base: string;
let task: TaskRecord;
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  repo = makeRepo({
    'a.txt': 'one\ntwo\nthree\n',
    'b.txt': 'alpha\nbeta\n',
    'c/d.txt': 'delta\n',
    'e.txt': 'epsilon\n',
    '.gitignore': '*.local\n',
  });
  base = repo.git('rev-parse', 'main').trim();
  repo.git('switch', '-q', '-c', 'agent/t1-random');
  repo.git('commit', '-q', '--allow-empty', '-m', 'agent task: random\n\nAgent-Task: t1\nAgent-Step: 0');
  for (const [path, content] of TASK_WRITES) {
    if (content === null) repo.git('rm', '-q', path);
    else repo.write(path, content);
  }
  repo.git('add', '-f', '--', ...CREATED, 'a.txt');
  repo.git('commit', '-q', '-m', 'agent step 1: change\n\nAgent-Task: t1\nAgent-Step: 1');
  repo.git('switch', '-q', 'main');
  repo.git('clean', '-qfdx');
  task = {
    id: 't1',
    branch: 'agent/t1-random',
    instruction: 'random',
    base: { ref: 'main', commit: base },
    root: repo.git('rev-parse', 'agent/t1-random~1').trim(),
    models: ['ollama/fake'],
    locality: 'local',
    worktree: join(repo.root, '..', 'no-worktree'),
    status: 'ready',
    steps: 1,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  };
  // mergeTask runs in this process: git must see the test's home and identity.
  for (const [name, value] of Object.entries(repo.env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  repo.cleanup();
});

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Back to the base commit on main, nothing else in the checkout. */
function reset(): void {
  repo.git('update-ref', 'refs/heads/main', base);
  repo.git('reset', '-q', '--hard');
  repo.git('clean', '-qfdx');
  repo.git('stash', 'clear');
  if (repo.git('config', '--get', '--default', '', 'merge.autoStash').trim()) repo.git('config', '--unset-all', 'merge.autoStash');
}

function act(pick: <T>(items: T[]) => T, roll: () => number, log: string[]): void {
  const path = pick(TRACKED);
  const line = `user ${Math.floor(roll() * 1000)}\n`;
  switch (pick(['edit', 'edit', 'stage', 'delete', 'loose', 'loose', 'stash', 'commit', 'autostash'])) {
    case 'edit':
      if (existsSync(join(repo.root, path))) repo.write(path, `${repo.read(path)}${line}`);
      else repo.write(path, line);
      log.push(`edit ${path}`);
      break;
    case 'stage':
      repo.write(path, `${existsSync(join(repo.root, path)) ? repo.read(path) : ''}${line}`);
      repo.git('add', '--', path);
      log.push(`stage ${path}`);
      break;
    case 'delete':
      rmSync(join(repo.root, path), { force: true });
      log.push(`delete ${path}`);
      break;
    case 'loose': {
      const loose = pick(LOOSE);
      repo.write(loose, line);
      log.push(`untracked or ignored ${loose}`);
      break;
    }
    case 'stash':
      repo.git('stash', 'push', '-q', '--include-untracked');
      log.push('stash');
      break;
    case 'commit': {
      // On b.txt the merge goes through; on a.txt's second line it conflicts.
      const conflicting = roll() < 0.4;
      const target = conflicting ? 'a.txt' : 'b.txt';
      repo.write(target, conflicting ? 'one\ndeux\nthree\n' : `alpha\nbeta\n${line}`);
      repo.git('commit', '-q', '--allow-empty', '-m', 'my commit', '--', target);
      log.push(`commit ${target}`);
      break;
    }
    case 'autostash':
      repo.git('config', 'merge.autoStash', 'true');
      log.push('merge.autoStash');
      break;
  }
}

/** The outcome foretold with git's porcelain: why the merge must be refused, or '' when it must merge. */
function foretell(mode: MergeMode): string {
  const staged = repo.git('diff', '--cached', '--name-only');
  if (staged) return `staged ${staged}`;
  const dirty = repo.git('diff', '--name-only').split('\n').filter((path) => TASK_WRITES.has(path));
  if (dirty.length) return `changed ${dirty}`;
  const inTheWay = CREATED.filter((path) => existsSync(join(repo.root, path)));
  if (inTheWay.length) return `in the way ${inTheWay}`;
  const moved = repo.git('rev-parse', 'main').trim() !== base;
  if (moved && mode === 'ff-only') return 'moved';
  if (repo.git('show', 'main:a.txt').includes('deux')) return 'conflict';
  return '';
}

/** Every file of the checkout with its inode, mtime and bytes. */
function files(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, entry.name);
      if (entry.name === '.git' && dir === repo.root) continue;
      if (entry.isDirectory()) walk(abs);
      else {
        const { ino, mtimeMs } = lstatSync(abs);
        found.set(relative(repo.root, abs), `${ino} ${mtimeMs} ${readFileSync(abs).toString('base64')}`);
      }
    }
  };
  walk(repo.root);
  return found;
}

describe('a merge after random user actions', () => {
  it(`keeps every byte of the user's work in ${CASES} cases (seed ${SEED})`, async () => {
    const roll = random(SEED);
    const pick = <T>(items: T[]): T => items[Math.floor(roll() * items.length)] as T;
    const tally = { merged: 0, refused: 0 };
    for (let n = 0; n < CASES; n++) {
      reset();
      const log: string[] = [];
      const count = Math.floor(roll() * 5);
      for (let i = 0; i < count; i++) act(pick, roll, log);
      const mode = pick<MergeMode>(['no-ff', 'squash', 'ff-only']);
      const why = foretell(mode);
      const before = snapshotCheckout(repo);
      const beforeFiles = files();
      const stash = repo.git('stash', 'list');
      const head = repo.git('rev-parse', 'main').trim();
      const label = `case ${n} (seed ${SEED}): ${log.join(', ') || 'nothing'}; ${mode}; foretold: ${why || 'merge'}`;
      const outcome = await mergeTask(await openRepo(repo.root), task, mode).then(
        () => 'merged',
        (error: unknown) => {
          if (!(error instanceof AgentError)) throw new Error(`${label}: ${String(error)}`);
          return error.message;
        },
      );
      if (outcome !== 'merged') {
        tally.refused++;
        expect(why, `${label}: refused with ${outcome}`).not.toBe('');
        expect(snapshotCheckout(repo), label).toBe(before);
        continue;
      }
      tally.merged++;
      expect(why, label).toBe('');
      const after = files();
      for (const [path, content] of TASK_WRITES) {
        if (content === null) expect(existsSync(join(repo.root, path)), label).toBe(false);
        else expect(readFileSync(join(repo.root, path), 'utf8'), label).toBe(content);
      }
      // Every other file is the very file it was: same bytes, same inode, same mtime.
      for (const [path, was] of beforeFiles) if (!TASK_WRITES.has(path)) expect(after.get(path), `${label}: ${path}`).toBe(was);
      expect(repo.git('stash', 'list'), label).toBe(stash);
      expect(repo.git('diff', '--cached', '--name-only'), label).toBe('');
      expect(existsSync(join(repo.root, '.git', 'MERGE_HEAD')), label).toBe(false);
      expect(repo.git('rev-parse', 'ORIG_HEAD').trim(), label).toBe(head);
    }
    // Both outcomes were reached often: a test that refused everything would prove nothing.
    expect(tally.merged, JSON.stringify(tally)).toBeGreaterThan(CASES / 6);
    expect(tally.refused, JSON.stringify(tally)).toBeGreaterThan(CASES / 6);
  }, 240_000);
});
