// What the benchmarks share: statistics, the environment of an agent run, throwaway git
// repositories, and spawning `agent` with a timer. Every measured process runs alone: the helpers
// here wait for one to end before they return, and no benchmark starts two at once.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { startFakeOllama } from '../test/fake-ollama/server.js';

/** The executable as a user runs it: `npm run bench` builds dist/ first. */
export const AGENT_BIN = fileURLToPath(new URL('../bin/agent.js', import.meta.url));

/** The user config of every benchmark task: no language server, so none is ever measured. */
export const NO_LSP = { lsp: { typescript: false, python: false } };

/** How many runs: BENCH_<NAME>_RUNS, else BENCH_RUNS, else the benchmark's default. */
export function runCount(name, fallback) {
  const value = Number(process.env[`BENCH_${name}_RUNS`] ?? process.env.BENCH_RUNS ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_${name}_RUNS / BENCH_RUNS must be a whole number ≥ 1`);
  return value;
}

/** The middle value; for an even count the lower of the two middle ones (a value that was measured). */
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/** What the SPEC's start-up targets assume `node -e 0` takes (SPEC section 11). */
export const SPEC_NODE_MS = 60;

/**
 * A row of the table. `target` is the SPEC's bound (undefined: no target): an upper one, or a
 * lower one with `atLeast`. `baseline` is a comparison measured in the same run, `{ label, value }`.
 * `scale` (start-up rows): how much slower this machine starts node than the SPEC assumes; the row
 * then also says whether the target, scaled by it, is met here.
 */
export function row(figure, values, { unit = 'ms', target, atLeast = false, baseline, note, scale } = {}) {
  const value = median(values);
  let met;
  if (target !== undefined) met = atLeast ? Math.min(...values) >= target : value <= target;
  const targetHere = scale !== undefined && target !== undefined ? target * scale : undefined;
  return {
    figure,
    value,
    unit,
    min: Math.min(...values),
    max: Math.max(...values),
    runs: values.length,
    target,
    atLeast,
    met,
    ...(targetHere !== undefined ? { targetHere, metHere: value <= targetHere } : {}),
    ...(baseline ? { baseline } : {}),
    ...(note ? { note } : {}),
  };
}

/** True when the module at `url` is the script node was asked to run (`node bench/x.mjs`). */
export const isMain = (url) => url === `file://${process.argv[1]}`;

/** How a script run alone prints its rows. */
export function printRows(rows) {
  for (const r of rows) {
    const spread = `min ${format(r.min)}, max ${format(r.max)}, ${r.runs} run${r.runs === 1 ? '' : 's'}`;
    const base = r.baseline ? `; ${r.baseline.label} ${format(r.baseline.value)} ${r.unit}, ratio ${(r.value / r.baseline.value).toFixed(2)}` : '';
    const target = r.target === undefined ? '' : `; target ${bound(r)}: ${r.met ? 'met' : 'NOT met'}${here(r)}`;
    console.log(`${r.figure}: ${format(r.value)} ${r.unit} (${spread})${base}${target}${r.note ? ` [${r.note}]` : ''}`);
  }
}

/** A scaled target and whether it is met: `, here ≤ 203 ms: met`, or ''. */
export const here = (r) => (r.targetHere === undefined ? '' : `; on this machine ≤ ${format(r.targetHere)} ${r.unit}: ${r.metHere ? 'met' : 'NOT met'}`);

/** The target as the table shows it: `≤ 1,000 ms`, `≥ 100 %` (a floor is met only by every run), or a phrase. */
export const bound = (r) => (typeof r.target === 'string' ? r.target : `${r.atLeast ? '≥' : '≤'} ${format(r.target)} ${r.unit}`);

/** A number as the table shows it: whole from 10 up, one decimal below. */
export const format = (n) => (Math.abs(n) >= 10 || Number.isInteger(n) ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

/**
 * A git repository in a new temporary folder, made of `files` (path → content) and committed on
 * `main`, with a HOME of its own (and the user config `config` in it). `env` is what every agent
 * run of the benchmark gets; `cleanup()` removes the whole folder.
 */
export function makeRepo(files, { config = NO_LSP, ollama } = {}) {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'hunkwise-bench-')));
  const root = join(base, 'repo');
  const home = join(base, 'home');
  mkdirSync(root);
  mkdirSync(join(home, '.config', 'hunkwise'), { recursive: true });
  writeFileSync(join(home, '.config', 'hunkwise', 'config.json'), JSON.stringify(config));
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Bench User',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'Bench User',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
    NO_COLOR: '1',
  };
  delete env.FORCE_COLOR;
  if (ollama) env.OLLAMA_HOST = ollama;
  else delete env.OLLAMA_HOST;
  const git = (...args) => execFileSync('git', args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  try {
    git('init', '-q', '-b', 'main');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', 'Initial commit');
  } catch (error) {
    cleanup();
    throw error;
  }
  return { base, root, home, env, git, cleanup };
}

/**
 * A task of `repo` made by hunkwise's own createTask (from dist/, so `npm run build` first), its
 * worktrees under `worktreesDir`; git runs with this process's environment, which the caller sets.
 */
export async function benchTask(repo, instruction, worktreesDir) {
  const [{ openRepo }, { createTask }] = await Promise.all([import('../dist/git/repo.js'), import('../dist/git/task-branch.js')]);
  const opened = await openRepo(repo.root);
  const task = await createTask({
    repo: opened,
    instruction,
    base: { ref: 'main', commit: repo.git('rev-parse', 'HEAD').trim() },
    model: 'ollama/bench',
    locality: 'local',
    worktreesDir: worktreesDir(opened),
  });
  return { repo: opened, task };
}

/**
 * Runs `command args` to its end without a terminal and resolves with its exit code, output,
 * `spawnedAt` (Date.now() just before the spawn, to compare with the fake's `receivedAt`) and `ms`
 * (from spawn to exit, by the monotonic clock). `onSpawn(child)` sees the process while it runs.
 */
export function timedRun(command, args, { cwd, env, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const spawnedAt = Date.now();
    const began = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let ms = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    // 'exit' is when the process ended; 'close' also waits for its pipes to drain.
    child.on('exit', () => {
      ms = performance.now() - began;
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, spawnedAt, ms }));
    onSpawn?.(child);
  });
}

/** `agent ...` as a user runs it; rejects when it fails, with what it printed. */
export async function runAgent(args, options) {
  const run = await timedRun(process.execPath, [AGENT_BIN, ...args], options);
  if (run.code !== 0) {
    // The end of what it printed says why; a long task's whole transcript would bury it.
    throw new Error(`agent ${args.join(' ')} exited with ${run.code ?? run.signal}:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
  }
  return run;
}

/** A fake-Ollama turn that calls one tool. */
export const call = (name, args = {}) => ({ toolCalls: [{ name, arguments: args }] });

/** The turn that ends a task at once. */
export const FINISH = call('finish', { summary: 'Done.' });
