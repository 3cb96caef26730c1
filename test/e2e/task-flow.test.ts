import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FakeTurn, startFakeOllama } from '../fake-ollama/server.js';
import { runAgent } from '../helpers/agent.js';
import { diverge, makeRepo, snapshotCheckout } from '../helpers/repo.js';
import { closedPort, onlyTask } from '../helpers/tasks.js';
import { testState } from '../helpers/state.js';

const ORIGINAL = ['export function total(items: number[]) {', '  let sum = 0;', '  for (const item of items) sum += item;', '  return sum;', '}', ''].join('\n');

const open = testState();

async function setup(
  script: FakeTurn[],
  files: Record<string, string> = { 'src/total.ts': ORIGINAL },
  contextLength = 32768,
) {
  const server = await startFakeOllama({ script, models: [{ name: 'qwen2.5-coder:7b', contextLength }] });
  open.server = server;
  const repo = makeRepo(files);
  open.repo = repo;
  const env = { ...repo.env, OLLAMA_HOST: server.url };
  return { server, repo, env };
}

const taskJson = onlyTask;

describe('agent task without a terminal', () => {
  it('commits each approved step with trailers and a note, and leaves the user checkout as it was', async () => {
    const { server, repo, env } = await setup([
      { content: 'Reading the file first.', toolCalls: [{ name: 'read_file', arguments: { path: 'src/total.ts' } }] },
      {
        content: 'Rename the accumulator.',
        toolCalls: [
          { name: 'edit_file', arguments: { path: 'src/total.ts', old_text: 'let sum = 0;', new_text: 'let acc = 0;' } },
        ],
      },
      { toolCalls: [{ name: 'write_file', arguments: { path: 'src/new.ts', content: 'export const n = 1;\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Renamed and added a file.' } }] },
    ], undefined, 16384);
    // The user has work of their own in progress: an uncommitted edit, a staged change, a stash.
    repo.write('notes.txt', 'stash me\n');
    repo.git('add', 'notes.txt');
    repo.git('stash');
    repo.write('src/total.ts', `${ORIGINAL}// my own edit\n`);
    repo.write('staged.txt', 'staged\n');
    repo.git('add', 'staged.txt');
    const before = snapshotCheckout(repo);

    const run = await runAgent(['task', 'rename sum to acc', '--approve', 'all'], { cwd: repo.root, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(snapshotCheckout(repo)).toBe(before);

    const task = taskJson(repo);
    expect(task.status).toBe('ready');
    const log = repo.git('log', '--format=%s%x00%(trailers)%x1e', `main..${task.branch}`).split('\x1e\n').filter(Boolean);
    expect(log).toHaveLength(3);
    const [step2, step1, first] = log;
    expect(first).toContain('agent task: rename sum to acc');
    expect(first).toContain(`Agent-Task: ${task.id}\nAgent-Step: 0\n`);
    expect(first).toContain('Agent-Model: ollama/qwen2.5-coder:7b\nAgent-Locality: local\nAgent-Base: main ');
    expect(step1).toContain(
      `Agent-Task: ${task.id}\nAgent-Step: 1\nAgent-Model: ollama/qwen2.5-coder:7b\nAgent-Locality: local\nAgent-Action: edit_file src/total.ts\nAgent-Hunks: 1 approved, 0 refused`,
    );
    expect(step2).toContain('Agent-Step: 2');
    expect(step2).toContain('Agent-Action: write_file src/new.ts');

    // The task branch holds the committed content; the user's edit is not in it.
    expect(repo.git('show', `${task.branch}:src/total.ts`)).toBe(ORIGINAL.replace('let sum', 'let acc'));
    expect(repo.git('show', `${task.branch}:src/new.ts`)).toBe('export const n = 1;\n');
    // The step's conversation is its git note.
    const note = repo.git('notes', '--ref=hunkwise', 'show', `${task.branch}~1`);
    expect(note).toContain('[assistant]\nRename the accumulator.');
    expect(note).toContain('→ edit_file');
    // The worktree equals the commit.
    expect(execGit(task.worktree, 'status', '--porcelain')).toBe('');

    const chats = server.chatRequests();
    expect(chats).toHaveLength(4);
    // The model's context length (from /api/show), the same on every request.
    expect(new Set(chats.map((chat) => chat.options?.num_ctx))).toEqual(new Set([16384]));
    // Each request extends the previous one unchanged.
    for (let i = 1; i < chats.length; i++) {
      const previous = chats[i - 1]?.messages ?? [];
      expect(chats[i]?.messages.slice(0, previous.length)).toEqual(previous);
    }
    expect(chats[2]?.messages.at(-1)?.content).toContain('Step 1 committed');
  });

  it('refuses what would ask, says so, and tells the model', async () => {
    const { server, repo, env } = await setup([
      { toolCalls: [{ name: 'read_file', arguments: { path: 'src/total.ts' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/total.ts', old_text: 'let sum = 0;', new_text: 'let acc = 0;' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Could not.' } }] },
    ]);
    const run = await runAgent(['task', 'rename sum'], { cwd: repo.root, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/refused read_file src\/total\.ts: there is no terminal to ask/);
    expect(run.stdout).toMatch(/Edit of \S+ refused: there is no terminal to ask/);
    const chats = server.chatRequests();
    expect(chats[1]?.messages.at(-1)?.content).toMatch(/refused/i);
    expect(chats[2]?.messages.at(-1)?.content).toMatch(/Nothing was applied: there is no terminal/);
    const task = taskJson(repo);
    // The refused edit is in the log: a step that changes nothing, and why it was refused.
    expect(repo.git('rev-list', '--count', `main..${task.branch}`).trim()).toBe('2');
    expect(repo.git('diff', '--stat', `${task.branch}^`, task.branch)).toBe('');
    expect(repo.git('log', '-1', '--format=%(trailers:key=Agent-Refused,valueonly)', task.branch).trim()).toBe(
      'src/total.ts hunk 1/1: there is no terminal to ask, and --approve does not include edit',
    );
    expect(readFileSync(join(task.worktree, 'src/total.ts'), 'utf8')).toBe(ORIGINAL);
  });

  it("makes the main checkout's ignored dependency folders visible in the worktree", async () => {
    const { repo, env } = await setup([{ toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] }], {
      '.gitignore': 'node_modules/\n.venv\n',
      'package.json': '{}\n',
      'packages/app/package.json': '{}\n',
    });
    repo.write('node_modules/left-pad/index.js', 'module.exports = 1;\n');
    repo.write('node_modules/.bin/left-pad', '#!/bin/sh\n');
    repo.write('packages/app/node_modules/right-pad/index.js', 'module.exports = 2;\n');
    repo.write('.venv/bin/python', '#!/bin/sh\n');
    const run = await runAgent(['task', 'look around'], { cwd: repo.root, env });
    expect(run.code).toBe(0);
    const task = taskJson(repo);
    expect(readFileSync(join(task.worktree, 'node_modules/left-pad/index.js'), 'utf8')).toBe('module.exports = 1;\n');
    expect(existsSync(join(task.worktree, 'node_modules/.bin/left-pad'))).toBe(true);
    expect(readFileSync(join(task.worktree, 'packages/app/node_modules/right-pad/index.js'), 'utf8')).toBe('module.exports = 2;\n');
    expect(existsSync(join(task.worktree, '.venv/bin/python'))).toBe(true);
    // Ignored there as in the main checkout: the worktree stays clean.
    expect(execGit(task.worktree, 'status', '--porcelain')).toBe('');
  });

  it('prints one JSON event per line with --json', async () => {
    const { repo, env } = await setup([
      { content: 'Done already.', toolCalls: [{ name: 'finish', arguments: { summary: 'Nothing to do.' } }] },
    ]);
    const run = await runAgent(['task', 'check it', '--json'], { cwd: repo.root, env });
    expect(run.code).toBe(0);
    const events = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    expect(events[0]?.type).toBe('task_start');
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['turn_start', 'text_delta', 'turn_end', 'tool_call', 'tool_result', 'done']),
    );
    expect(events.at(-1)).toEqual({ type: 'done', status: 'finished' });
  });
});


function execGit(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

describe('bad input', () => {
  it('explains where Ollama is not running, with the command that starts it', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    open.repo = repo;
    const env = { ...repo.env, OLLAMA_HOST: `http://127.0.0.1:${await closedPort()}` };
    const before = snapshotCheckout(repo);
    const run = await runAgent(['task', 'do it'], { cwd: repo.root, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ollama serve');
    expect(snapshotCheckout(repo)).toBe(before);
    expect(existsSync(join(repo.root, '.git', 'hunkwise'))).toBe(false);
  });

  it('gives the ollama pull line for a model that is not pulled', async () => {
    const { repo, env } = await setup([]);
    const run = await runAgent(['task', 'do it', '--model', 'ollama/llama9:70b'], { cwd: repo.root, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ollama pull llama9:70b');
  });

  it('refuses outside a repository, before the first commit, on a detached HEAD and during a merge', async () => {
    const { repo, env } = await setup([]);
    const outside = await runAgent(['task', 'x'], { cwd: repo.home, env });
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/not inside a git repository/);

    const empty = makeRepo({ 'a.txt': 'a\n' }, { commit: false });
    const unborn = await runAgent(['task', 'x'], { cwd: empty.root, env });
    expect(unborn.stderr).toMatch(/no commits yet/);
    expect(unborn.stderr).toMatch(/git commit/);
    empty.cleanup();

    repo.git('checkout', '-q', '--detach');
    const detached = await runAgent(['task', 'x'], { cwd: repo.root, env });
    expect(detached.code).toBe(1);
    expect(detached.stderr).toMatch(/HEAD is detached/);
    repo.git('checkout', '-q', 'main');

    diverge(repo, 'src/total.ts', 'mine\n', 'other\n');
    try {
      repo.git('merge', 'other');
    } catch {
      // The conflict is the point.
    }
    const merging = await runAgent(['task', 'x'], { cwd: repo.root, env });
    expect(merging.code).toBe(1);
    expect(merging.stderr).toMatch(/A merge is in progress/);
    expect(merging.stderr).toMatch(/git merge --abort/);
  });

  it('exits 2 on bad usage', async () => {
    const { repo, env } = await setup([]);
    const run = await runAgent(['task', 'x', '--approve', 'everything'], { cwd: repo.root, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--approve does not know 'everything'/);
    const unknown = await runAgent(['tsak'], { cwd: repo.root, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/task/);
  });
});
