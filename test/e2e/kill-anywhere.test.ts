import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeChatBody,
  type FakeChatMessage,
  type FakeOllama,
  type FakeScript,
  type FakeTurn,
  startFakeOllama,
} from '../fake-ollama/server.js';
import { AGENT_BIN, type AgentRun, runAgent } from '../helpers/agent.js';
import { fixtureFiles } from '../helpers/fixture.js';
import { processesUnder } from '../helpers/processes.js';
import { type PtySession, spawnPty } from '../helpers/pty.js';
import { makeRepo, snapshotCheckout, type TestRepo } from '../helpers/repo.js';
import { onlyTask, taskStateDir } from '../helpers/tasks.js';

/**
 * The kill-anywhere fault test: one scripted task of four steps (an edit, a command that changes a
 * file, a rename through TypeScript 7's language server, a new file) killed with SIGKILL at 20
 * moments. After every kill the user's checkout is byte for byte as before, the task branch holds
 * only whole steps, and no process of the task is left; `--resume` then finishes the task with
 * every step exactly once.
 */

const NOTES = 'alpha\ntwo\nomega\n';
const DATA = 'alpha\nbeta\ngamma\n';
const FILES = { ...fixtureFiles('rename-ts'), 'notes.txt': NOTES, 'data.txt': DATA };
/** Sleeps as long as KILL_TEST_SLEEP says (not at all unless a test sets it), then changes data.txt. */
const COMMAND = `[ -z "$KILL_TEST_SLEEP" ] || sleep "$KILL_TEST_SLEEP"; sed -i 's/^beta$/BETA/' data.txt`;
const PLAN = [
  { name: 'read_file', arguments: { path: 'notes.txt' } },
  { name: 'edit_file', arguments: { path: 'notes.txt', old_text: 'two', new_text: 'TWO' } },
  { name: 'run_command', arguments: { command: COMMAND } },
  { name: 'rename_symbol', arguments: { name: 'parseConfig', new_name: 'loadConfig' } },
  { name: 'write_file', arguments: { path: 'src/version.ts', content: "export const VERSION = '1.0.0';\n" } },
  { name: 'finish', arguments: { summary: 'Capitalised, renamed, versioned.' } },
];
const STEPS = 4;

/** A slow answer for one call of the plan: where a kill during generation lands. */
type Slow = { call: string } & Partial<FakeTurn>;

/** A command the task was stopped at is answered so on resume, not run again: the model calls it again. */
const NOT_RUN_AGAIN = 'Not run again:';

/** A message as sent to the model (`tool_calls`) or as kept in the conversation file (`toolCalls`). */
interface Message {
  role: string;
  content: string;
  tool_calls?: { function: { name: string } }[];
  toolCalls?: { name: string }[];
}

/** The names of the calls of a conversation that were run, in order: each call is followed by its result. */
function callsRun(messages: Message[]): string[] {
  const run: string[] = [];
  messages.forEach((message, index) => {
    const names = message.tool_calls?.map((call) => call.function.name) ?? message.toolCalls?.map((call) => call.name) ?? [];
    names.forEach((name, k) => {
      if (!messages[index + 1 + k]?.content.startsWith(NOT_RUN_AGAIN)) run.push(name);
    });
  });
  return run;
}

/**
 * The model: it makes the first call of the plan not yet run in the conversation it is sent, so
 * that it continues wherever a kill left the task. `slow` slows the answer that makes one call.
 */
function model(slow?: Slow): FakeScript {
  return (body: FakeChatBody) => {
    const made = new Set(callsRun(body.messages));
    const next = PLAN.find((call) => !made.has(call.name));
    if (!next) return { content: 'Nothing left to do.' };
    const turn: FakeTurn = { content: `Next I call ${next.name}.`, toolCalls: [next] };
    if (slow?.call !== next.name) return turn;
    const { call: _, ...pace } = slow;
    return { ...turn, ...pace };
  };
}

/** The tree of each step of an uninterrupted run: what every step commit must hold, in order. */
let expectedTrees: string[] = [];

interface Trial {
  repo: TestRepo;
  server: FakeOllama;
  /** The test's temporary folder (the repository, the home, the worktrees). */
  base: string;
  env: NodeJS.ProcessEnv;
  checkout: string;
  kills: number;
}

let trial: Trial | undefined;
let pty: PtySession | undefined;
let child: ChildProcess | undefined;
let tried = 0;
let survived = 0;
let moments = 0;

afterEach(async () => {
  pty?.kill('SIGKILL');
  child?.kill('SIGKILL');
  pty = undefined;
  child = undefined;
  await trial?.server.close();
  trial?.repo.cleanup();
  trial = undefined;
});

afterAll(() => {
  console.log(`kill-anywhere: ${survived}/${tried} kills survived (${moments} moments)`);
});

/** A repository of FILES whose user has work in progress: a stash, a staged file, an uncommitted edit. */
async function startTrial(): Promise<Trial> {
  const server = await startFakeOllama({ script: model() });
  const repo = makeRepo(FILES);
  repo.write('notes.txt', `${NOTES}stashed\n`);
  repo.git('stash');
  repo.write('staged.txt', 'staged\n');
  repo.git('add', 'staged.txt');
  repo.write('data.txt', `${DATA}my edit\n`);
  repo.write('untracked.txt', 'mine\n');
  const env = { ...repo.env, OLLAMA_HOST: server.url };
  trial = { repo, server, base: dirname(repo.root), env, checkout: snapshotCheckout(repo), kills: 0 };
  return trial;
}

interface TaskState {
  id: string;
  branch: string;
  worktree: string;
  root: string;
  status: string;
  steps: number;
}

const taskOf = (repo: TestRepo): TaskState => onlyTask(repo) as TaskState;

const stateOf = (t: Trial, task: TaskState): string => taskStateDir(t.repo, task.id);
const inWorktree = (task: TaskState, ...args: string[]): string =>
  execFileSync('git', args, { cwd: task.worktree, encoding: 'utf8' });
const journaled = (t: Trial, task: TaskState): void => expect(existsSync(join(stateOf(t, task), 'journal.json'))).toBe(true);
/** data.txt as the command left it in the worktree, not on the branch. */
const commandRan = (_t: Trial, task: TaskState): void => {
  expect(readFileSync(join(task.worktree, 'data.txt'), 'utf8')).toBe('alpha\nBETA\ngamma\n');
  expect(inWorktree(task, 'status', '--porcelain')).toBe(' M data.txt\n');
};

/** The step commits of the task branch, oldest first: tree and trailers. */
function stepsOf(repo: TestRepo, task: TaskState): { commit: string; tree: string; task: string; step: string; action: string }[] {
  const trailer = (key: string): string => `%(trailers:key=${key},valueonly)`;
  const format = `%H%x00%T%x00${trailer('Agent-Task')}%x00${trailer('Agent-Step')}%x00${trailer('Agent-Action')}%x01`;
  // A task killed before its branch was made (it is made with the worktree) has no step yet.
  if (!repo.git('branch', '--list', task.branch).trim()) return [];
  return repo
    .git('log', '--reverse', `--format=${format}`, `${task.root}..${task.branch}`)
    .split('\x01')
    .map((record) => record.trim())
    .filter(Boolean)
    .map((record) => {
      const [commit = '', tree = '', id = '', step = '', action = ''] = record.split('\0');
      return { commit, tree, task: id.trim(), step: step.trim(), action: action.trim() };
    });
}

/** Waits until `check` holds, for at most `ms`; false when it never did. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What the task may leave running, found by command line and working folder. */
const leftovers = (t: Trial): string[] => [...processesUnder('--lsp', t.base), ...processesUnder('sleep', t.base)];

/** After every kill: the checkout untouched, only whole steps on the branch, nothing left running. */
async function checkAfterKill(t: Trial, landing: Landing): Promise<void> {
  expect(snapshotCheckout(t.repo)).toBe(t.checkout);
  const task = taskOf(t.repo);
  const steps = stepsOf(t.repo, task);
  expect(steps.map((step) => step.tree)).toEqual(expectedTrees.slice(0, landing.steps));
  landing.landed?.(t, task);
  expect(steps.map((step) => step.step)).toEqual(steps.map((_, i) => String(i + 1)));
  expect(new Set(steps.map((step) => step.task))).toEqual(new Set(steps.length ? [task.id] : []));
  await eventually(() => leftovers(t).length === 0, 3_000);
  expect(leftovers(t)).toEqual([]);
}

/** After the last resume: the task finished with each step once, each call made and answered once. */
async function checkFinished(t: Trial, run: AgentRun): Promise<void> {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(snapshotCheckout(t.repo)).toBe(t.checkout);
  const task = taskOf(t.repo);
  expect(task.status).toBe('ready');
  expect(task.steps).toBe(STEPS);
  const steps = stepsOf(t.repo, task);
  expect(steps.map((step) => step.tree)).toEqual(expectedTrees);
  expect(steps.map((step) => `${step.task} ${step.step}`)).toEqual(expectedTrees.map((_, i) => `${task.id} ${i + 1}`));
  for (const step of steps) expect(t.repo.git('notes', '--ref=hunkwise', 'show', step.commit)).toContain(`[step ${step.step} result]`);
  expect(inWorktree(task, 'status', '--porcelain')).toBe('');
  const state = stateOf(t, task);
  expect(existsSync(join(state, 'journal.json'))).toBe(false);
  // The conversation holds each call once, each followed by its one result.
  const conversation = readFileSync(join(state, 'conversation.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { role: string; content: string; toolCalls?: { name: string }[] });
  expect(conversation.slice(0, 2).map((message) => message.role)).toEqual(['system', 'user']);
  expect(callsRun(conversation)).toEqual(PLAN.map((call) => call.name));
  const made = conversation.flatMap((message) => message.toolCalls ?? []).length;
  expect(conversation.filter((message) => message.role === 'tool')).toHaveLength(made);
  // A step of changes a killed command left in the worktree is told to the model with the
  // command's "not run again" answer: every step is heard exactly once.
  for (const step of steps) {
    expect(conversation.filter((message) => message.content.includes(`Step ${step.step} committed`)), `step ${step.step}`).toHaveLength(1);
  }
  await eventually(() => leftovers(t).length === 0, 3_000);
  expect(leftovers(t)).toEqual([]);
}

/** `agent task` without a terminal, every class approved, killed by the test when `until` resolves. */
function startAgent(args: string[], env: NodeJS.ProcessEnv, cwd: string): { pid: number; done: Promise<AgentRun> } {
  const started = spawn(process.execPath, [AGENT_BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child = started;
  let stdout = '';
  let stderr = '';
  started.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  started.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const done = new Promise<AgentRun>((resolve, reject) => {
    started.on('error', reject);
    started.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { pid: started.pid ?? 0, done };
}

type PromptKind = 'read' | 'run' | 'hunk' | 'follow_up';
const ANSWERS: Record<PromptKind, string> = { read: 'y', run: 'y', hunk: 'y', follow_up: '\r' };

/** The question waiting for an answer at the bottom of the screen, with the lines that tell it apart. */
function promptOnScreen(screen: string): { kind: PromptKind; key: string } | undefined {
  const lines = screen.split('\n');
  const last = lines.at(-1) ?? '';
  const key = lines.slice(-12).join('\n');
  if (/^\(\d+\/\d+(?:, \d+\/\d+ in all)?\) Stage .*\]\?$/.test(last)) return { kind: 'hunk', key };
  if (/^\? Follow-up instruction \(empty = done\):$/.test(last)) return { kind: 'follow_up', key };
  const ask = lines.slice(-9).find((line) => /^\? (Allow this read|Run this command)\?$/.test(line));
  if (ask) return { kind: ask.includes('read') ? 'read' : 'run', key };
  return undefined;
}

/** Answers every question yes until the `nth` question of `kind` is on the screen. */
async function answerUntil(session: PtySession, kind: PromptKind, nth: number): Promise<void> {
  const seen: Record<PromptKind, number> = { read: 0, run: 0, hunk: 0, follow_up: 0 };
  const deadline = Date.now() + 40_000;
  let answered = '';
  for (;;) {
    await session.waitFor(/\S/, Math.max(1, deadline - Date.now()));
    const prompt = promptOnScreen(session.screen());
    if (prompt && prompt.key !== answered) {
      seen[prompt.kind] += 1;
      if (prompt.kind === kind && seen[kind] === nth) return;
      answered = prompt.key;
      session.type(ANSWERS[prompt.kind]);
    }
    if (Date.now() > deadline) throw new Error(`no ${kind} question #${nth} came; screen:\n${session.screen()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Where a kill must have landed: the steps on the branch by then, and what else shows it. */
interface Landing {
  steps: number;
  landed?: (t: Trial, task: TaskState) => void;
}

/** How one run of `agent task` (the first, or a resume) is killed. */
type Kill = Landing &
  (
    | /** `HUNKWISE_KILL_AT`: a named point in the code. */ { at: string }
    | /** By the test once `until` resolves, the model answering slowly where told. */ {
        slow?: Slow;
        env?: NodeJS.ProcessEnv;
        until: (t: Trial, chats: () => FakeChatBody[]) => Promise<unknown>;
      }
    | /** In a terminal (nothing pre-approved), once the nth question of a kind is on the screen. */ {
        prompt: PromptKind;
        nth: number;
        onScreen?: (t: Trial) => void;
      }
  );

const INSTRUCTION = 'capitalise two and beta, rename parseConfig to loadConfig, add a version';

async function runKilled(t: Trial, kill: Kill, resume: boolean): Promise<void> {
  const args = resume ? ['task', '--resume', taskOf(t.repo).id] : ['task', INSTRUCTION];
  const chatsBefore = t.server.chatRequests().length;
  if ('at' in kill) {
    t.server.setScript(model());
    const run = await runAgent([...args, '--approve', 'all'], { cwd: t.repo.root, env: { ...t.env, HUNKWISE_KILL_AT: kill.at } });
    expect(run.signal, `${run.stdout}\n${run.stderr}`).toBe('SIGKILL');
  } else if ('until' in kill) {
    t.server.setScript(model(kill.slow));
    const started = startAgent([...args, '--approve', 'all'], { ...t.env, ...kill.env }, t.repo.root);
    const ended = started.done.then(() => 'ended' as const);
    const when = kill.until(t, () => t.server.chatRequests().slice(chatsBefore));
    expect(await Promise.race([when, ended])).not.toBe('ended');
    process.kill(started.pid, 'SIGKILL');
    expect((await started.done).signal).toBe('SIGKILL');
  } else {
    t.server.setScript(model());
    pty = spawnPty(process.execPath, [AGENT_BIN, ...args], { cwd: t.repo.root, env: t.env, cols: 160, rows: 60 });
    await answerUntil(pty, kill.prompt, kill.nth);
    kill.onScreen?.(t);
    pty.kill('SIGKILL');
    expect((await pty.exited).signal).toBe(9);
    pty = undefined;
  }
  t.kills += 1;
  tried += 1;
}

/** Kills the task as `kills` say (the first kill ends the first run, each further one a resume), then resumes it to the end. */
async function killAndResume(kills: Kill[], followUp?: string): Promise<void> {
  const t = await startTrial();
  moments += 1;
  for (const [i, kill] of kills.entries()) {
    await runKilled(t, kill, i > 0);
    await checkAfterKill(t, kill);
  }
  t.server.setScript(model());
  const id = taskOf(t.repo).id;
  const resumed = await runAgent(['task', '--resume', id, ...(followUp ? [followUp] : []), '--approve', 'all'], { cwd: t.repo.root, env: t.env });
  await checkFinished(t, resumed);
  if (followUp) {
    // The instruction comes after what was pending was settled, never in place of its result.
    const conversation = readFileSync(join(stateOf(t, taskOf(t.repo)), 'conversation.jsonl'), 'utf8').split('\n').filter(Boolean);
    const at = conversation.findIndex((line) => JSON.parse(line).content === followUp);
    expect(JSON.parse(conversation[at - 1] ?? '{}')).toMatchObject({ role: 'tool', toolName: 'rename_symbol' });
  }
  survived += t.kills;
}

const chatArrived = (n: number, afterMs = 0) => async (_t: Trial, chats: () => FakeChatBody[]) => {
  if (!(await eventually(() => chats().length >= n, 30_000))) throw new Error(`chat request ${n} never came`);
  await new Promise((resolve) => setTimeout(resolve, afterMs));
};

const lastMessage = (chats: FakeChatBody[]): FakeChatMessage | undefined => chats.at(-1)?.messages.at(-1);

beforeAll(async () => {
  // An uninterrupted run gives the tree every step must have.
  const t = await startTrial();
  const run = await runAgent(['task', INSTRUCTION, '--approve', 'all'], { cwd: t.repo.root, env: t.env });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const task = taskOf(t.repo);
  const steps = stepsOf(t.repo, task);
  expectedTrees = steps.map((step) => step.tree);
  expect(steps.map((step) => step.step)).toEqual(['1', '2', '3', '4']);
  const [edit, command, rename, write] = steps.map((step) => step.commit);
  expect(t.repo.git('show', `${edit}:notes.txt`)).toBe('alpha\nTWO\nomega\n');
  expect(t.repo.git('show', `${command}:data.txt`)).toBe('alpha\nBETA\ngamma\n');
  expect(t.repo.git('show', `${rename}:src/config.ts`)).toContain('export function loadConfig(text: string)');
  expect(t.repo.git('show', `${rename}:src/app.ts`)).toContain('const parseConfig = (input: string)');
  expect(t.repo.git('show', `${write}:src/version.ts`)).toBe("export const VERSION = '1.0.0';\n");
  expect(snapshotCheckout(t.repo)).toBe(t.checkout);
  await t.server.close();
  t.repo.cleanup();
  trial = undefined;
});

describe('agent task killed with SIGKILL', () => {
  it('during the first generation', () =>
    killAndResume([{ slow: { call: 'read_file', delayMs: 10_000 }, until: chatArrived(1), steps: 0 }]));

  it('while an answer streams, after step 1', () =>
    killAndResume([
      {
        slow: { call: 'run_command', content: 'Now the command that capitalises beta in data.txt.', chunkSize: 6, lineDelayMs: 150 },
        until: chatArrived(3, 400),
        steps: 1,
      },
    ]));

  it('while the last answer hangs half sent, after step 4', () =>
    killAndResume([
      { slow: { call: 'finish', content: 'All four steps are done, so I finish.', chunkSize: 8, hangAfter: 2 }, until: chatArrived(6, 200), steps: 4 },
    ]));

  it('at the read approval', () => killAndResume([{ prompt: 'read', nth: 1, steps: 0 }]));

  it('at the hunk approval of step 1', () => killAndResume([{ prompt: 'hunk', nth: 1, steps: 0 }]));

  it('at the run approval', () =>
    killAndResume([{ prompt: 'run', nth: 1, steps: 1, landed: (_t, task) => expect(inWorktree(task, 'status', '--porcelain')).toBe('') }]));

  it('in the middle of the rename hunk approval, with the language server running', () =>
    killAndResume([
      {
        // Hunks 1 and 2 are steps 1 and 2; the rename's 7 hunks follow: 3 of them approved.
        prompt: 'hunk',
        nth: 6,
        onScreen: (t) => expect(processesUnder('--lsp', t.base)).not.toEqual([]),
        steps: 2,
      },
    ]));

  it('at the follow-up question, every step committed', () => killAndResume([{ prompt: 'follow_up', nth: 1, steps: 4 }]));

  it('with step 1 journaled, nothing written', () =>
    killAndResume([
      {
        at: 'step:journaled',
        steps: 0,
        landed: (t, task) => {
          journaled(t, task);
          expect(readFileSync(join(task.worktree, 'notes.txt'), 'utf8')).toBe(NOTES);
        },
      },
    ]));

  it("with the command's change written to the worktree, not committed", () =>
    killAndResume([{ at: 'step:prepared#2', steps: 1, landed: commandRan }]));

  it('with the rename staged in the index, not committed', () =>
    killAndResume([
      {
        at: 'step:staged#3',
        steps: 2,
        landed: (_t, task) => expect(inWorktree(task, 'diff', '--cached', '--name-only').split('\n').filter(Boolean)).toHaveLength(6),
      },
    ]));

  it('right after the last step commit was created, before its note', () =>
    killAndResume([
      {
        at: 'step:ref-updated#4',
        steps: 4,
        landed: (t, task) => expect(() => t.repo.git('notes', '--ref=hunkwise', 'show', task.branch)).toThrow(),
      },
    ]));

  it('with the rename result in the conversation, its journal not cleared', () =>
    killAndResume([{ at: 'step:recorded#3', steps: 3, landed: journaled }]));

  it('right after the language server answered the rename (resumed with an instruction)', () =>
    killAndResume(
      [{ at: 'rename:answered', steps: 2, landed: (_t, task) => expect(inWorktree(task, 'status', '--porcelain')).toBe('') }],
      'go on please',
    ));

  it('during the rename proposal, the language server holding the renamed text', () =>
    killAndResume([{ at: 'step:diagnosed#3', steps: 2 }]));

  it('while run_command runs: its process group goes too', () =>
    killAndResume([
      {
        env: { KILL_TEST_SLEEP: '30' },
        until: async (t) => {
          if (!(await eventually(() => processesUnder('sleep 30', t.base).length > 0, 30_000))) throw new Error('the command never ran');
        },
        steps: 1,
      },
    ]));

  it('after the command changed the worktree, before its change was proposed', () =>
    killAndResume([{ at: 'run:finished', steps: 1, landed: commandRan }]));

  it('right after the task was recorded, before its conversation, branch and worktree', () =>
    killAndResume([
      {
        at: 'task:created',
        steps: 0,
        landed: (t, task) => {
          expect(existsSync(join(stateOf(t, task), 'conversation.jsonl'))).toBe(false);
          expect(existsSync(task.worktree)).toBe(false);
        },
      },
    ]));

  it('during resume itself, while it completes an interrupted step', () =>
    killAndResume([
      { at: 'step:prepared#2', steps: 1, landed: commandRan },
      { at: 'step:committed', steps: 2, landed: journaled },
    ]));

  it("during resume itself, in the resumed task's first generation", () =>
    killAndResume([
      { at: 'step:journaled#4', steps: 3, landed: journaled },
      {
        slow: { call: 'finish', delayMs: 10_000 },
        until: async (t, chats) => {
          await chatArrived(1)(t, chats);
          expect(lastMessage(chats())?.content).toContain('Step 4 committed');
        },
        steps: 4,
      },
    ]));

  it('survives every kill', () => {
    expect(moments).toBe(20);
    expect(survived).toBe(tried);
  });
});
