import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { type PermissionRule, Permissions } from '../../../src/permissions.js';
import { createTaskSandbox, type TaskSandbox } from '../../../src/agent/command-sandbox.js';
import type { ActionRequest } from '../../../src/agent/approval-policy.js';
import type { ActionDecision, Proposal, ToolContext } from '../../../src/agent/tool.js';

/**
 * Test fixtures for the tools: a real temporary git repository built from an object literal of
 * files, and a real ToolContext whose approve answers from a list (then allows) and whose propose
 * records the proposal. Every repository is removed after the test file.
 */

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export interface RepoOptions {
  /** Files written after the commit and left untracked. */
  untracked?: Record<string, string | Buffer>;
}

export function gitdir(files: Record<string, string | Buffer>, options: RepoOptions = {}): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'hunkwise-tools-')));
  made.push(root);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
      cwd: root,
      stdio: 'pipe',
    });
  git('init', '-q', '-b', 'main');
  write(root, files);
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'initial');
  write(root, options.untracked ?? {});
  return root;
}

/** A task-like worktree of `root` on a branch of its own, beside it. */
export function worktreeOf(root: string): string {
  const worktree = `${root}-worktree`;
  execFileSync('git', ['worktree', 'add', '-q', '-b', 'agent/test', worktree], { cwd: root, stdio: 'pipe' });
  made.push(worktree);
  return worktree;
}

export function scratchDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hunkwise-outside-')));
  made.push(dir);
  return dir;
}

export function write(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

export function read(root: string, path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

export interface TestContext extends ToolContext {
  approvals: ActionRequest[];
  proposals: Proposal[];
  /** When each command started (commandStarting calls). */
  started: number[];
  /** What the commands wrote, as it came (commandOutput calls). */
  output: string[];
}

export interface ContextOptions {
  answers?: ActionDecision[];
  timeoutMs?: number;
  outputLimit?: number;
  signal?: AbortSignal;
  /** The config's permission rules (none: secret-looking files denied, the rest asked). */
  rules?: PermissionRule[];
  /** How commands run (default: unconfined, as with the sandbox turned off). */
  sandbox?: TaskSandbox;
}

/** The task sandbox of `root`: on (real bubblewrap), or turned off as a user's config can. */
export function taskSandbox(root: string, enabled: boolean, rules: PermissionRule[] = []): TaskSandbox {
  return createTaskSandbox({
    enabled,
    worktree: root,
    commonDir: execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: root, encoding: 'utf8' }).trim(),
    permissions: new Permissions(rules),
    ownFolders: [],
    hide: [],
    env: process.env,
    notice: () => {},
  });
}

export function createContext(root: string, options: ContextOptions = {}): TestContext {
  const answers = [...(options.answers ?? [])];
  const approvals: ActionRequest[] = [];
  const proposals: Proposal[] = [];
  const started: number[] = [];
  const output: string[] = [];
  return {
    root,
    base: 'HEAD',
    signal: options.signal ?? new AbortController().signal,
    approvals,
    proposals,
    run: { timeoutMs: options.timeoutMs ?? 10_000, outputLimit: options.outputLimit ?? 20_000 },
    permissions: new Permissions(options.rules ?? []),
    sandbox: options.sandbox ?? taskSandbox(root, false),
    async approve(request) {
      approvals.push(request);
      return answers.shift() ?? { allowed: true };
    },
    async propose(proposal) {
      proposals.push(proposal);
      return { content: `Applied ${proposal.action}.`, commit: 'c0ffee' };
    },
    commandStarting() {
      started.push(Date.now());
    },
    commandOutput(text) {
      output.push(text);
    },
    started,
    output,
  };
}
