import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentEvent, HunkDecision, TaskIO } from '../../src/agent/events.js';
import { Permissions } from '../../src/permissions.js';
import { Conversation } from '../../src/agent/conversation.js';
import { proposeStep, type StepContext } from '../../src/agent/step.js';
import { TaskState } from '../../src/agent/task-state.js';
import type { Proposal } from '../../src/agent/tool.js';
import { gitProcessCount } from '../../src/git/exec.js';
import { openRepo } from '../../src/git/repo.js';
import { createTask } from '../../src/git/task-branch.js';
import type { TaskRecord } from '../../src/git/task-store.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
const savedEnv = { ...process.env };

beforeEach(() => {
  repo = makeRepo({
    'crlf.txt': 'one\r\ntwo\r\nthree\r\n',
    'lf.txt': 'one\ntwo\nthree\n',
    'noeol.txt': 'first\nlast',
    'gone.txt': 'bye\n',
    'blob.bin': Buffer.from([0x89, 0x50, 0x00, 0x01, 0x0a]),
    ...Object.fromEntries(Array.from({ length: 20 }, (_, f) => [`many/f${f}.txt`, lines(100, '')])),
  });
  // The user's own git settings must not change what is staged.
  repo.git('config', 'core.autocrlf', 'true');
  repo.git('config', 'apply.whitespace', 'error');
  Object.assign(process.env, repo.env);
});

afterEach(() => {
  process.env = { ...savedEnv };
  repo.cleanup();
});

function lines(count: number, mark: string): string {
  return Array.from({ length: count }, (_, i) => `line ${i}${i % 10 === 0 ? mark : ''}\n`).join('');
}

/** A step context over a fresh task, whose reviewer answers every hunk with `answer`. */
async function context(answer: (decision: HunkDecision, index: number) => HunkDecision): Promise<StepContext & { task: TaskRecord; events: AgentEvent[] }> {
  const r = await openRepo(repo.root);
  const commit = repo.git('rev-parse', 'HEAD').trim();
  const task = await createTask({
    repo: r,
    instruction: 'test staging',
    base: { ref: 'main', commit },
    model: 'ollama/m',
    locality: 'local',
    worktreesDir: join(repo.home, 'worktrees'),
  });
  const events: AgentEvent[] = [];
  const io: TaskIO = {
    approveAction: async () => ({ kind: 'once' }),
    reviewHunks: async (changes) =>
      changes.flatMap((change) => change.hunks.map((hunk) => ({ path: change.path, hunk, approved: true }))).map(answer),
    askInstruction: async () => "",
    trustRepoConfig: async () => false,
  };
  return {
    state: new TaskState(r.commonDir, task, Conversation.inMemory([{ role: 'user', content: 'test staging' }])),
    task,
    model: 'ollama/m',
    locality: 'local',
    io,
    approveEdits: false,
    permissions: new Permissions([]),
    emit: (event) => events.push(event),
    events,
  };
}

const blob = (ref: string, path: string): string => repo.git('cat-file', 'blob', `${ref}:${path}`);

describe('staging a step', () => {
  it('is exact for CRLF, LF, a missing final newline, new and deleted files, whatever the user configured', async () => {
    const ctx = await context((decision) => decision);
    const proposal: Proposal = {
      action: 'test',
      files: [
        { path: 'crlf.txt', content: 'one\r\nTWO  \r\nthree\r\n' },
        { path: 'lf.txt', content: 'one\nTWO\t\nthree\n' },
        { path: 'noeol.txt', content: 'FIRST\nlast' },
        { path: 'new/file.txt', content: 'fresh\r\nlines \n' },
        { path: 'gone.txt', content: null },
      ],
    };
    const outcome = await proposeStep(ctx, proposal, 'why');
    expect(outcome.commit).toMatch(/^[0-9a-f]{40}$/);
    const tip = ctx.task.branch;
    expect(blob(tip, 'crlf.txt')).toBe('one\r\nTWO  \r\nthree\r\n');
    expect(blob(tip, 'lf.txt')).toBe('one\nTWO\t\nthree\n');
    expect(blob(tip, 'noeol.txt')).toBe('FIRST\nlast');
    expect(blob(tip, 'new/file.txt')).toBe('fresh\r\nlines \n');
    expect(repo.git('ls-tree', '--name-only', tip, 'gone.txt')).toBe('');
    for (const path of ['crlf.txt', 'lf.txt', 'noeol.txt', 'new/file.txt']) {
      expect(readFileSync(join(ctx.task.worktree, path), 'utf8')).toBe(blob(tip, path));
    }
    expect(repo.git('-C', ctx.task.worktree, 'status', '--porcelain')).toBe('');
    expect(ctx.events.find((event) => event.type === 'step_committed')).toMatchObject({ step: 1, approved: 5, refused: 0 });
  });

  it('commits only the approved hunks and leaves no refused one in the worktree', async () => {
    const ctx = await context((decision, index) => (index === 1 ? { ...decision, approved: false, reason: 'no' } : decision));
    const content = lines(30, '').replace('line 0\n', 'LINE 0\n').replace('line 12\n', 'LINE 12\n').replace('line 24\n', 'LINE 24\n');
    const outcome = await proposeStep(ctx, { action: 'test', files: [{ path: 'many/f0.txt', content: content + lines(100, '').split('\n').slice(30).join('\n') }] }, '');
    const committed = blob(ctx.task.branch, 'many/f0.txt');
    expect(committed).toContain('LINE 0\n');
    expect(committed).toContain('line 12\n');
    expect(committed).toContain('LINE 24\n');
    expect(readFileSync(join(ctx.task.worktree, 'many/f0.txt'), 'utf8')).toBe(committed);
    expect(outcome.content).toMatch(/Refused by the user[\s\S]*hunk 2\/3[\s\S]*Reason: no/);
    expect(repo.git('log', '-1', '--format=%(trailers:key=Agent-Hunks,valueonly)', ctx.task.branch).trim()).toBe('2 approved, 1 refused');
  });

  it('records a proposal refused whole as a step that changes nothing, and refuses binary files with a message', async () => {
    const ctx = await context((decision) => ({ ...decision, approved: false, reason: 'keep it as it is' }));
    const before = repo.git('rev-parse', ctx.task.branch).trim();
    const refused = await proposeStep(ctx, { action: 'edit_file lf.txt', files: [{ path: 'lf.txt', content: 'changed\n' }] }, 'Changing the first line.');
    expect(refused.commit).toBeUndefined();
    expect(refused.content).toMatch(/refused every hunk; nothing was changed/);
    // The audit: one commit, the same tree as its parent, saying what was refused and why.
    const recorded = repo.git('rev-parse', ctx.task.branch).trim();
    expect(repo.git('rev-parse', `${recorded}^`).trim()).toBe(before);
    expect(repo.git('rev-parse', `${recorded}^{tree}`)).toBe(repo.git('rev-parse', `${before}^{tree}`));
    expect(repo.git('log', '-1', '--format=%s', recorded).trim()).toBe('agent step 1: refused: edit_file lf.txt');
    expect(repo.git('log', '-1', '--format=%(trailers:key=Agent-Hunks,valueonly)', recorded).trim()).toBe('0 approved, 1 refused');
    expect(repo.git('log', '-1', '--format=%(trailers:key=Agent-Refused,valueonly)', recorded).trim()).toBe('lf.txt hunk 1/1: keep it as it is');
    expect(ctx.events.find((event) => event.type === 'step_committed')).toMatchObject({ step: 1, approved: 0, refused: 1 });
    const binary = await proposeStep(ctx, { action: 'test', files: [{ path: 'blob.bin', content: 'text now\n' }] }, '');
    expect(binary.content).toMatch(/blob\.bin is a binary or non-UTF-8 file: hunkwise does not edit it/);
    expect(repo.git('rev-parse', ctx.task.branch).trim()).toBe(recorded);
    expect(readFileSync(join(ctx.task.worktree, 'lf.txt'), 'utf8')).toBe('one\ntwo\nthree\n');
    expect(repo.git('-C', ctx.task.worktree, 'status', '--porcelain')).toBe('');
  });

  it('costs the same number of git processes for 1 hunk as for 200 hunks in 20 files', async () => {
    const ctx = await context((decision) => decision);
    const count = async (proposal: Proposal): Promise<number> => {
      const start = gitProcessCount();
      await proposeStep(ctx, proposal, '');
      return gitProcessCount() - start;
    };
    const one = await count({ action: 'one', files: [{ path: 'lf.txt', content: 'one\nTWO\nthree\n' }] });
    const many = await count({
      action: 'many',
      files: Array.from({ length: 20 }, (_, f) => ({ path: `many/f${f}.txt`, content: lines(100, ' changed') })),
    });
    expect(repo.git('log', '-1', '--format=%(trailers:key=Agent-Hunks,valueonly)', ctx.task.branch).trim()).toBe('200 approved, 0 refused');
    expect(many).toBe(one);
  });
});
