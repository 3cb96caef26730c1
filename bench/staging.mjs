// Staging the approved hunks of one step (SPEC section 11): `proposeStep` with every hunk approved
// (`--approve edit`), 10 hunks in 1 file, 100 in 10 files and 1,000 in 100 files, timed in-process
// from the call to its return (diff, stage, commit, note). The git processes a step spawns are
// counted by a `git` shim put first on PATH, which logs a line and runs the real git: the SPEC
// asks for the same count whatever the number of hunks.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Permissions } from '../dist/permissions.js';
import { Conversation } from '../dist/agent/conversation.js';
import { proposeStep } from '../dist/agent/step.js';
import { TaskState } from '../dist/agent/task-state.js';
import { benchTask, isMain, makeRepo, median, printRows, row, runCount } from './lib.mjs';

const RUNS = runCount('STAGING', 5);
const LINES = 100;
const HUNKS_PER_FILE = 10; // a change every 10th line: far enough apart (3 lines of context) to be separate hunks
const SHAPES = [1, 10, 100]; // files per step

const path = (f) => `src/f${f}.txt`;
const original = () => Array.from({ length: LINES }, (_, i) => `line ${i}\n`).join('');
/** The file with every 10th line marked `mark`: 10 hunks against any other mark. */
const marked = (mark) => Array.from({ length: LINES }, (_, i) => `line ${i}${i % (LINES / HUNKS_PER_FILE) === 0 ? ` ${mark}` : ''}\n`).join('');

/** A `git` first on PATH that logs each call (its first arguments, one line) to `log`, then becomes the real git. */
function gitShim(dir, log) {
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  mkdirSync(dir);
  writeFileSync(join(dir, 'git'), `#!/bin/sh\necho "$1 $2 $3 $4 $5 $6 $7" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(dir, 'git'), 0o755);
  writeFileSync(log, '');
}

/** The git commands logged so far, by name: `-c key=value notes` is `notes`. */
function loggedCommands(log) {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const words = line.split(' ');
      while (words[0] === '-c' || words[0] === '-C') words.splice(0, 2);
      return words[0];
    });
}

export async function figures() {
  const files = Object.fromEntries(Array.from({ length: Math.max(...SHAPES) }, (_, f) => [path(f), original()]));
  const repo = makeRepo(files);
  const log = join(repo.base, 'git-calls.log');
  const shim = join(repo.base, 'shim');
  gitShim(shim, log);
  const savedEnv = process.env;
  // In-process git inherits this process's environment: the repository's HOME and identity.
  process.env = { ...repo.env };
  try {
    const { repo: r, task } = await benchTask(repo, 'bench staging', () => join(repo.home, 'worktrees'));
    const events = [];
    const ctx = {
      state: new TaskState(r.commonDir, task, Conversation.inMemory([{ role: 'user', content: 'bench staging' }])),
      model: 'ollama/bench',
      locality: 'local',
      io: undefined,
      approveEdits: true,
      permissions: new Permissions([]),
      emit: (event) => events.push(event),
    };
    let step = 0;
    /**
     * One step changing `count` files: its time, or with `counted` the git commands it ran. The
     * shim costs a shell per git process, so counted steps are never the timed ones.
     */
    const stage = async (count, { counted = false } = {}) => {
      step += 1;
      const proposal = { action: 'bench', files: Array.from({ length: count }, (_, f) => ({ path: path(f), content: marked(`step ${step}`) })) };
      const before = loggedCommands(log).length;
      process.env.PATH = counted ? `${shim}:${repo.env.PATH}` : repo.env.PATH;
      const began = performance.now();
      const outcome = await proposeStep(ctx, proposal, 'bench');
      const ms = performance.now() - began;
      const committed = events.findLast((event) => event.type === 'step_committed');
      if (!outcome.commit || committed?.approved !== count * HUNKS_PER_FILE) {
        throw new Error(`step ${step} did not commit ${count * HUNKS_PER_FILE} hunks: ${outcome.content}`);
      }
      return { ms, calls: loggedCommands(log).slice(before) };
    };
    await stage(Math.max(...SHAPES)); // unmeasured: the first step also loads code and warms the disk cache
    const rows = [];
    const perStep = [];
    let calls = [];
    for (const count of SHAPES) {
      const times = [];
      for (let run = 0; run < RUNS; run++) times.push((await stage(count)).ms);
      calls = (await stage(count, { counted: true })).calls;
      perStep.push(calls.length);
      const hunks = count * HUNKS_PER_FILE;
      rows.push(
        row(`staging ${hunks.toLocaleString('en-US')} hunks in ${count} file${count === 1 ? '' : 's'}`, times, {
          target: hunks === 1000 ? 1000 : undefined,
          note: `${calls.length} git processes; ${(median(times) / hunks).toFixed(2)} ms per hunk`,
        }),
      );
    }
    const same = perStep.every((n) => n === perStep[0]);
    rows.push({
      ...row('  git processes per step (10, 100, 1,000 hunks)', perStep, { unit: 'processes', note: `${perStep.join(', ')}: ${calls.join(', ')}` }),
      target: 'the same for all',
      met: same,
    });
    return rows;
  } finally {
    process.env = savedEnv;
    repo.cleanup();
  }
}

if (isMain(import.meta.url)) printRows(await figures());
