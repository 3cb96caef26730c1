import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN, runAgent } from '../helpers/agent.js';
import { spawnPty } from '../helpers/pty.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';
import { readTask, taskIds } from '../helpers/tasks.js';

/**
 * Output conventions, through the real binary: `agent stats` (totals, the chart per day, by model
 * and locality, --since, --json) over a history of real tasks made on two days, one hunk refused
 * at a real terminal; colour only on a terminal, never with NO_COLOR, always with FORCE_COLOR; and
 * the pager git would use (GIT_PAGER, core.pager, PAGER, then less with LESS=FRX) for review and
 * stats, only on a terminal and never for --json.
 */

const ESC = '\x1b[';
const FINISH = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
const LINES = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join('\n');

let server: FakeOllama;
let repo: TestRepo;
let env: NodeJS.ProcessEnv;
let pagerLog: string;
/** The task of day two, with a refused hunk. */
let refusedOne: string;
let defaultPager: string;

/** A pager that records how it was started (its name, $LESS) and what it was given, then shows it. */
const RECORDING_PAGER = `#!/bin/sh
{ echo "pager: $1"; echo "LESS=\${LESS-unset}"; } >> "$PAGER_LOG"
tee -a "$PAGER_LOG"
`;

beforeAll(async () => {
  server = await startFakeOllama({ script: [] });
  repo = makeRepo({ 'a.txt': `${LINES}\n` });
  const bin = join(repo.root, '..', 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'record-pager'), RECORDING_PAGER);
  chmodSync(join(bin, 'record-pager'), 0o755);
  pagerLog = join(repo.root, '..', 'pager.log');
  env = { ...repo.env, OLLAMA_HOST: server.url, PATH: `${bin}:${process.env.PATH}`, PAGER_LOG: pagerLog };
  for (const name of ['GIT_PAGER', 'PAGER', 'LESS', 'NO_COLOR', 'FORCE_COLOR']) delete env[name];
  // What git runs when no pager is configured (`less`; Debian's git says `pager`), found on PATH.
  defaultPager = execFileSync('git', ['var', 'GIT_PAGER'], { cwd: repo.root, env, encoding: 'utf8' }).trim();
  writeFileSync(join(bin, defaultPager), `#!/bin/sh\nexec record-pager ${defaultPager}\n`);
  chmodSync(join(bin, defaultPager), 0o755);

  // Day one: a task whose edit is approved without asking.
  // The model's counts of each turn as Ollama reports them: the turn that proposes a step is its usage.
  const edit = { name: 'edit_file', arguments: { path: 'a.txt', old_text: 'line 2', new_text: 'LINE 2' } };
  server.setScript([{ toolCalls: [edit], promptEvalCount: 1000, evalCount: 40 }, FINISH]);
  const day1 = { GIT_AUTHOR_DATE: '2026-11-02T10:00:00Z', GIT_COMMITTER_DATE: '2026-11-02T10:00:00Z' };
  expect((await runAgent(['task', 'capitalise line 2', '--approve', 'all'], { cwd: repo.root, env: { ...env, ...day1 } })).code).toBe(0);

  // Day two, at a terminal: one edit of two hunks, the first approved, the second refused.
  server.setScript([
    {
      toolCalls: [{ name: 'write_file', arguments: { path: 'a.txt', content: `${LINES.replace('line 1\n', 'LINE 1\n').replace('line 12', 'LINE 12')}\n` } }],
      promptEvalCount: 2500,
      evalCount: 300,
      delayMs: 400,
    },
    FINISH,
  ]);
  const day2 = { GIT_AUTHOR_DATE: '2026-11-20T10:00:00Z', GIT_COMMITTER_DATE: '2026-11-20T10:00:00Z' };
  const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'capitalise the ends', '--approve', 'read,run'], { cwd: repo.root, env: { ...env, ...day2 } });
  try {
    await pty.waitFor(/\(1\/2\) Stage this hunk \[[a-zA-Z,?/]+\]\?$/m);
    pty.type('y');
    await pty.waitFor(/\(2\/2\) Stage this hunk \[[a-zA-Z,?/]+\]\?$/m);
    pty.type('n');
    await pty.waitFor(/Follow-up instruction \(empty = done\)/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);
  } finally {
    pty.kill('SIGKILL');
  }
  refusedOne = taskIds(repo).find((id) => readTask(repo, id).instruction === 'capitalise the ends') ?? '';
});

afterAll(async () => {
  await server.close();
  repo.cleanup();
});

beforeEach(() => {
  rmSync(pagerLog, { force: true });
  if (repo.git('config', '--local', '--list').includes('core.pager=')) repo.git('config', '--unset-all', 'core.pager');
});

const agent = (args: string[], extra: NodeJS.ProcessEnv = {}) => runAgent(args, { cwd: repo.root, env: { ...env, ...extra } });

/** Runs `agent args` at a terminal; its screen once it exited, and whether a pager ran (what the log says). */
async function atTerminal(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ screen: string; output: string; pager: string }> {
  const pty = spawnPty(process.execPath, [AGENT_BIN, ...args], { cwd: repo.root, env: { ...env, ...extra } });
  try {
    expect((await pty.exited).exitCode).toBe(0);
    // The last output may come after the exit: read the screen once it has been written.
    await pty.waitFor(/\S/);
    return { screen: pty.screen(), output: pty.output(), pager: existsSync(pagerLog) ? readFileSync(pagerLog, 'utf8') : '' };
  } finally {
    pty.kill('SIGKILL');
  }
}

describe('agent stats', () => {
  it('totals, a bar per day of approved and refused hunks, then by model and by locality', async () => {
    const run = await agent(['stats']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(ESC);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('2 tasks, 2 steps, 3 hunks: 2 approved, 1 refused');
    expect(lines[1]).toMatch(/^The model: 3,500 prompt tokens read, 340 generated, \d+\.\d s in the turns that led to the steps$/);
    expect(run.stdout).toContain('Per day  (█ approved, ░ refused hunks)');
    // The busiest day's bar is 40 cells: one approved hunk there is 20 of them.
    expect(lines).toContain(`  2026-11-02  1 step    ${'█'.repeat(20)} 1/0`);
    expect(lines).toContain(`  2026-11-20  1 step    ${'█'.repeat(20)}${'░'.repeat(20)} 1/1`);
    expect(run.stdout).toMatch(/By model\n {2}ollama\/qwen2\.5-coder:7b {2}2 tasks, 2 steps, 2 approved, 1 refused; 3,500 prompt tokens read, 340 generated, \d+\.\d s\n/);
    expect(run.stdout).toMatch(/By locality\n {2}local {2}2 tasks, 2 steps, 2 approved, 1 refused; 3,500 prompt tokens read/);
    // Read from git alone: the trailer of each step.
    expect(repo.git('log', '--all', '--format=%(trailers:key=Agent-Usage,valueonly)').trim().split('\n').filter(Boolean).sort()).toEqual([
      expect.stringMatching(/^1000 prompt tokens, 40 generated, \d+\.\d s$/),
      expect.stringMatching(/^2500 prompt tokens, 300 generated, \d+\.\d s$/),
    ]);
  });

  it('--since keeps what was committed since that date; --json has the same figures', async () => {
    const since = await agent(['stats', '--since', '2026-11-10']);
    expect(since.stdout.split('\n')[0]).toBe('1 task, 1 step, 2 hunks: 1 approved, 1 refused');
    expect(since.stdout).not.toContain('2026-11-02');
    const json = JSON.parse((await agent(['stats', '--json', '--since', '2026-11-10'])).stdout);
    const tally = { tasks: 1, steps: 1, approved: 1, refused: 1, promptTokens: 2500, generatedTokens: 300, modelMs: expect.any(Number) };
    expect(json).toEqual({
      totals: tally,
      byModel: { 'ollama/qwen2.5-coder:7b': tally },
      byLocality: { local: tally },
      byDay: [{ day: '2026-11-20', ...tally }],
    });
    // The time from the request to the end of the answer, which the fake delayed by 400 ms.
    expect(json.totals.modelMs).toBeGreaterThanOrEqual(400);
    const none = await agent(['stats', '--since', '2026-11-21']);
    expect(none.stdout).toBe('No agent tasks in this history yet. Start one with: agent task "<instruction>"\n');
  });
});

describe('colour', () => {
  it('none into a pipe, some with FORCE_COLOR; at a terminal some, none with NO_COLOR or FORCE_COLOR=0', async () => {
    expect((await agent(['stats'])).stdout).not.toContain(ESC);
    expect((await agent(['stats'], { FORCE_COLOR: '1' })).stdout).toContain(`${ESC}32m█`);
    expect((await agent(['stats'], { NO_COLOR: '1', FORCE_COLOR: '1' })).stdout).toContain(`${ESC}32m█`);
    const shown = await atTerminal(['stats'], { GIT_PAGER: 'cat' });
    expect(shown.output).toContain(`${ESC}32m█`);
    for (const off of [{ NO_COLOR: '1' }, { FORCE_COLOR: '0' }]) {
      const plain = await atTerminal(['stats'], { GIT_PAGER: 'cat', ...off });
      expect(plain.output).not.toMatch(/\x1b\[\d+m/);
      expect(plain.screen).toContain('2 tasks, 2 steps, 3 hunks: 2 approved, 1 refused');
    }
  });
});

describe('the pager', () => {
  it('GIT_PAGER before core.pager before PAGER before less, which gets LESS=FRX unless LESS is set', async () => {
    const pagers = async (extra: NodeJS.ProcessEnv) => {
      rmSync(pagerLog, { force: true });
      const { pager } = await atTerminal(['stats'], extra);
      return pager.split('\n').slice(0, 2);
    };
    repo.git('config', 'core.pager', 'record-pager core.pager');
    expect(await pagers({ GIT_PAGER: 'record-pager GIT_PAGER', PAGER: 'record-pager PAGER' })).toEqual(['pager: GIT_PAGER', 'LESS=FRX']);
    expect(await pagers({ PAGER: 'record-pager PAGER' })).toEqual(['pager: core.pager', 'LESS=FRX']);
    repo.git('config', '--unset-all', 'core.pager');
    expect(await pagers({ PAGER: 'record-pager PAGER' })).toEqual(['pager: PAGER', 'LESS=FRX']);
    expect(await pagers({})).toEqual([`pager: ${defaultPager}`, 'LESS=FRX']);
    expect(await pagers({ LESS: '-S' })).toEqual([`pager: ${defaultPager}`, 'LESS=-S']);
  });

  it('pages review and stats at a terminal: the whole text reaches the pager, and the screen', async () => {
    const review = await atTerminal(['review', refusedOne], { GIT_PAGER: 'record-pager GIT_PAGER' });
    const paged = review.pager.replace(/\x1b\[[0-9;]*m/g, '');
    expect(paged).toContain('Agent-Hunks: 1 approved, 1 refused');
    expect(paged).toContain('+LINE 1');
    expect(review.screen).toContain('+LINE 1');
    const stats = await atTerminal(['stats'], { GIT_PAGER: 'record-pager GIT_PAGER', NO_COLOR: '1' });
    expect(stats.pager).toContain('pager: GIT_PAGER\nLESS=FRX\n2 tasks, 2 steps, 3 hunks: 2 approved, 1 refused\n');
  });

  it('no pager into a pipe, for --json, nor with GIT_PAGER=cat', async () => {
    const piped = await agent(['review', refusedOne], { GIT_PAGER: 'record-pager GIT_PAGER' });
    expect(piped.stdout).toContain('+LINE 1');
    const json = await atTerminal(['stats', '--json'], { GIT_PAGER: 'record-pager GIT_PAGER' });
    expect(JSON.parse(json.screen.replaceAll('\n', '')).totals.steps).toBe(2);
    const cat = await atTerminal(['stats'], { GIT_PAGER: 'cat' });
    expect(cat.screen).toContain('2 tasks, 2 steps, 3 hunks');
    expect(existsSync(pagerLog)).toBe(false);
  });
});
