// A sandboxed command's start over the same command unsandboxed (SPEC section 11): `sh -c true` in
// a real task worktree (made by createTask, its node_modules linked), spawned as run_command spawns
// (detached, stdin closed, three pipes) and waited for to its exit, against what the agent's task
// sandbox (createTaskSandbox) adds: wrap() — the private folder, the throwaway git view, one
// `git ls-files` for the untracked withheld files — then bwrap, then the private folder's removal. The two
// alternate in each round (their order too), so both see the same machine. Later commands run in
// one long-lived task sandbox; a task's first command runs in a fresh one each round: it also
// probes bwrap once and learns the task's facts (`git worktree list`, the dependency folders).
// Parts measured alone, to say where the time goes: the `git ls-files`, the git view, bwrap with
// the probe's mounts only, the first command's `git worktree list` and dependency folders. All of
// it again in a repository of 20,000 tracked files, for what grows with the repository.
// The repositories live under /var/tmp: a sandboxed command gets a /tmp of its own.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTaskSandbox } from '../dist/agent/command-sandbox.js';
import { Permissions, SECRET_PATTERNS } from '../dist/permissions.js';
import { userConfigDir, userStateDir, worktreesDir } from '../dist/config/paths.js';
import { git } from '../dist/git/exec.js';
import { openRepo } from '../dist/git/repo.js';
import { dependencyFolders } from '../dist/git/worktree.js';
import { makeGitView } from '../dist/sandbox/git-view.js';
import { findBwrap } from '../dist/sandbox/support.js';
import { benchTask, format, isMain, makeRepo, median, printRows, row, runCount } from './lib.mjs';

const RUNS = runCount('SANDBOX', 40);
const BIG_RUNS = runCount('SANDBOX_BIG', 30);
const TARGET_MS = 30;
const OUTSIDE_TMP = '/var/tmp';
const COMMAND = ['sh', '-c', 'true'];
/** The probe's bwrap line (src/sandbox/support.ts): the namespaces and the fewest mounts. */
const PROBE_MOUNTS = ['--unshare-all', '--die-with-parent', '--cap-drop', 'ALL', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/run'];
/** The pathspecs command-sandbox.ts gives `git ls-files` with no read rules in the config. */
const WITHHELD = SECRET_PATTERNS.map((pattern) => `:(glob)**/${pattern}`);

const SMALL = {
  '.gitignore': 'node_modules/\n.env\n',
  'package.json': '{ "name": "demo", "type": "module" }\n',
  'README.md': '# demo\n',
  ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`src/m${i}.ts`, `export const m${i} = ${i};\n`])),
};

/** 20 folders of 20 folders of 50 files: 20,000 tracked files. */
const big = () => ({
  ...SMALL,
  ...Object.fromEntries(
    Array.from({ length: 20_000 }, (_, i) => [`lib/p${Math.floor(i / 1000)}/d${Math.floor(i / 50) % 20}/f${i % 50}.ts`, `export const f${i} = ${i};\n`]),
  ),
});

/**
 * The repository and the user's side of it: an ignored node_modules (50 packages) and .env in the
 * checkout, a few credential files in the home, and a task made by hunkwise's own createTask (its
 * worktree under the XDG state folder, node_modules linked into it). Made under /var/tmp.
 */
async function world(files) {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = OUTSIDE_TMP; // makeRepo makes its folder under os.tmpdir()
  let repo;
  try {
    repo = makeRepo(files);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  if (saved === undefined) delete repo.env.TMPDIR;
  else repo.env.TMPDIR = saved;
  try {
    for (let p = 0; p < 50; p++) {
      mkdirSync(join(repo.root, 'node_modules', `pkg${p}`, 'lib'), { recursive: true });
      writeFileSync(join(repo.root, 'node_modules', `pkg${p}`, 'package.json'), `{ "name": "pkg${p}" }\n`);
      writeFileSync(join(repo.root, 'node_modules', `pkg${p}`, 'lib', 'index.js'), `module.exports = ${p};\n`);
    }
    writeFileSync(join(repo.root, '.env'), 'API_KEY=not-a-real-key\n');
    mkdirSync(join(repo.home, '.ssh'));
    writeFileSync(join(repo.home, '.ssh', 'id_ed25519'), 'not a real key\n');
    for (const name of ['.netrc', '.npmrc', '.bash_history']) writeFileSync(join(repo.home, name), 'not a secret\n');
    // hunkwise's git, the sandbox's folders and the commands see this environment, as in a task.
    process.env = { ...repo.env };
    const { repo: r, task } = await benchTask(repo, 'bench sandbox', (opened) => worktreesDir(repo.root, opened.commonDir));
    const { gitDir } = await openRepo(task.worktree);
    return { ...repo, commonDir: r.commonDir, worktree: task.worktree, gitDir };
  } catch (error) {
    repo.cleanup();
    throw error;
  }
}

/** The agent's task sandbox for `w`'s task, as src/commands/task.ts makes it (no config rules). */
function taskSandbox(w, probe) {
  return createTaskSandbox({
    enabled: true,
    worktree: w.worktree,
    commonDir: w.commonDir,
    permissions: new Permissions([]),
    ownFolders: [userConfigDir(), userStateDir()],
    hide: [],
    env: process.env,
    notice: (message) => {
      throw new Error(message);
    },
    ...(probe ? { probe } : {}),
  });
}

/** Spawns as run_command does and resolves at the process's end (its pipes closed); rejects unless it exits 0. */
function runToExit(file, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', PAGER: 'cat' },
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} ended with ${code ?? signal}: ${output}`))));
  });
}

/** Milliseconds that `fn` takes to resolve. */
async function time(fn) {
  const began = performance.now();
  await fn();
  return performance.now() - began;
}

/** The command run unsandboxed, as run_command runs it when there is no sandbox. */
const unsandboxed = (w) => time(() => runToExit(COMMAND[0], COMMAND.slice(1), w.worktree));

/** A command run sandboxed, each of its parts timed: wrap(), bwrap to its exit, cleanup. */
async function sandboxed(sandbox, cwd) {
  const began = performance.now();
  const wrapped = await sandbox.wrap(COMMAND, false);
  const wrapMs = performance.now() - began;
  let runMs;
  try {
    runMs = await time(() => runToExit(wrapped.file, wrapped.args, cwd));
  } finally {
    wrapped.cleanup();
  }
  const total = performance.now() - began;
  return { total, wrapMs, runMs, cleanupMs: total - wrapMs - runMs };
}

let tasks = 0;
/** A fresh task sandbox with a probe of its own (the probe is cached per process, as per `agent task`). */
async function freshTask(w) {
  tasks += 1;
  const { probeSandbox } = await import(`../dist/sandbox/support.js?task=${tasks}`);
  return taskSandbox(w, () => probeSandbox(process.env));
}

/** The 90th percentile: the value that 90 % of the runs do not exceed. */
const p90 = (values) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.9) - 1];
const ms = (values) => `${format(median(values))} ms (p90 ${format(p90(values))})`;

/** `runs` rounds in `w`, each: unsandboxed, a later sandboxed command, a task's first, and the parts alone. */
async function measure(w, runs) {
  const bwrap = findBwrap();
  if (!bwrap.ok) throw new Error(`this benchmark needs bubblewrap: ${bwrap.why}`);
  const later = taskSandbox(w);
  const m = { base: [], later: [], wrap: [], run: [], cleanup: [], first: [], probe: [], firstWrap: [], firstRun: [], lsFiles: [], view: [], bare: [], list: [], deps: [] };
  // Two unmeasured rounds: the first spawns load code and warm the disk cache.
  for (let round = -2; round < runs; round++) {
    const task = await freshTask(w);
    // Unsandboxed first in even rounds, sandboxed first in odd ones.
    let base;
    if (round % 2 === 0) base = await unsandboxed(w);
    const l = await sandboxed(later, w.worktree);
    if (round % 2 !== 0) base = await unsandboxed(w);
    // A task's first command: the approval asks confinement() first (the probe), then wrap() (the facts).
    const probeMs = await time(() => task.confinement());
    const f = await sandboxed(task, w.worktree);
    // What runs before every command: the untracked files (the tracked ones are listed once per index).
    const lsFilesMs = await time(() => git(['ls-files', '-z', '--others', '--', ...WITHHELD], { cwd: w.worktree }));
    const own = mkdtempSync(join(tmpdir(), 'hunkwise-bench-view-'));
    const viewMs = await time(async () => makeGitView({ gitDir: w.gitDir, commonDir: w.commonDir, into: join(own, 'git'), history: true }));
    rmSync(own, { recursive: true, force: true });
    const bareMs = await time(() => runToExit(bwrap.bwrap, [...PROBE_MOUNTS, '--', ...COMMAND], w.worktree));
    const listMs = await time(() => git(['worktree', 'list', '--porcelain'], { cwd: w.worktree }));
    const depsMs = await time(() => dependencyFolders(w.root));
    if (round < 0) continue;
    m.base.push(base);
    m.later.push(l.total);
    m.wrap.push(l.wrapMs);
    m.run.push(l.runMs);
    m.cleanup.push(l.cleanupMs);
    m.first.push(probeMs + f.total);
    m.probe.push(probeMs);
    m.firstWrap.push(f.wrapMs);
    m.firstRun.push(f.runMs);
    m.lsFiles.push(lsFilesMs);
    m.view.push(viewMs);
    m.bare.push(bareMs);
    m.list.push(listMs);
    m.deps.push(depsMs);
  }
  return m;
}

/** The rows of one repository: the target's, what a sandboxed command costs part by part, a task's first command. */
function rows(label, m) {
  const over = m.later.map((value, i) => value - m.base[i]);
  const firstOver = m.first.map((value, i) => value - m.base[i]);
  const baseline = { label: 'unsandboxed', value: median(m.base) };
  return [
    row(`sandboxed command over unsandboxed (sh -c true), ${label}`, over, {
      target: TARGET_MS,
      baseline,
      note: `overhead p90 ${format(p90(over))} ms; sandboxed ${ms(m.later)}, unsandboxed ${ms(m.base)}`,
    }),
    row('  sh -c true unsandboxed, spawn to exit (the baseline)', m.base),
    row('  sh -c true sandboxed: wrap(), bwrap to exit, cleanup', m.later, { baseline }),
    row('    wrap(): private folder, git view, git ls-files', m.wrap, { note: `measured alone: the git view ${ms(m.view)}` }),
    row('      git ls-files of the untracked withheld files, alone', m.lsFiles),
    row('    bwrap … sh -c true, spawn to exit', m.run, { baseline }),
    row("      bwrap with the probe's mounts only", m.bare, { baseline }),
    row('    cleanup: rm of the private folder', m.cleanup),
    row(`  a task's first command over unsandboxed, ${label}`, firstOver, {
      target: TARGET_MS,
      note: `sandboxed ${ms(m.first)}: probe (one bwrap) ${ms(m.probe)}, wrap() learning the task's facts ${ms(m.firstWrap)}, bwrap to exit ${ms(m.firstRun)}; measured alone: git worktree list ${ms(m.list)}, the checkout's dependency folders (git ls-files --others --ignored) ${ms(m.deps)}`,
    }),
  ];
}

export async function figures() {
  const savedEnv = process.env;
  const result = [];
  try {
    for (const [label, files, runs] of [
      ['small repo', SMALL, RUNS],
      ['20,000 files', big(), BIG_RUNS],
    ]) {
      const w = await world(files);
      try {
        result.push(...rows(label, await measure(w, runs)));
      } finally {
        process.env = savedEnv;
        w.cleanup();
      }
    }
    return result;
  } finally {
    process.env = savedEnv;
  }
}

if (isMain(import.meta.url)) printRows(await figures());
