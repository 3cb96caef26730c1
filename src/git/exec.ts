import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AgentError } from '../errors.js';

/**
 * Runs git as a child process. Our own runner rather than simple-git's: the plumbing that stages a
 * step (hash-object --stdin-paths, update-index --index-info, commit-tree, notes -F -) needs standard
 * input, and a step must cost a fixed number of processes.
 */

export interface GitOptions {
  cwd: string;
  input?: string;
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (e.g. 1 from `diff --quiet`). */
  okCodes?: number[];
  signal?: AbortSignal;
  /**
   * Runs the user's hooks. Off by default: hunkwise's own git processes (staging a step, its notes,
   * its refs) are not the user's acts, and a hook (reference-transaction, post-index-change, from
   * `core.hooksPath` or the repository) would run inside them and could fail them. Only the commit
   * `agent merge` makes for the user runs them.
   */
  hooks?: boolean;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class GitError extends Error {
  readonly args: string[];
  readonly code: number;
  readonly stderr: string;

  constructor(args: string[], code: number, stderr: string) {
    super(`git ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`);
    this.name = 'GitError';
    this.args = args;
    this.code = code;
    this.stderr = stderr;
  }

  /** The git command that failed, e.g. `worktree`, past any `-c name=value` options. */
  get subcommand(): string {
    for (let i = 0; i < this.args.length; i++) {
      if (this.args[i] === '-c') i++;
      else return this.args[i] ?? '';
    }
    return '';
  }
}

/** Variables that would point git at another repository, index or work tree than the one we name. */
const REDIRECTING = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

let spawned = 0;

/** How many git processes this process has started: benchmarks and tests count them. */
export const gitProcessCount = (): number => spawned;

/**
 * The environment of our git processes: no prompt, no other repository than the one named, no
 * opportunistic index refresh (`git status` and `git diff` would rewrite the index file of a
 * checkout they only look at), and, unless `hooks`, no hooks.
 */
export function gitEnv(extra: Record<string, string> = {}, hooks = false): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
  for (const name of REDIRECTING) delete env[name];
  if (!hooks) addConfig(env, 'core.hooksPath', process.platform === 'win32' ? 'NUL' : '/dev/null');
  return { ...env, ...extra };
}

/** Adds a `-c name=value` through the environment (GIT_CONFIG_COUNT), after any the user set. */
function addConfig(env: NodeJS.ProcessEnv, name: string, value: string): void {
  const count = Number(env.GIT_CONFIG_COUNT ?? 0);
  const at = Number.isInteger(count) && count > 0 ? count : 0;
  env[`GIT_CONFIG_KEY_${at}`] = name;
  env[`GIT_CONFIG_VALUE_${at}`] = value;
  env.GIT_CONFIG_COUNT = String(at + 1);
}

export async function git(args: string[], options: GitOptions): Promise<GitResult> {
  const result = await gitBytes(args, options);
  return { stdout: result.stdout.toString('utf8'), stderr: result.stderr, code: result.code };
}

/** Like `git`, with standard output as bytes (blob contents). */
export function gitBytes(
  args: string[],
  options: GitOptions,
): Promise<{ stdout: Buffer; stderr: string; code: number }> {
  spawned += 1;
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: gitEnv(options.env, options.hooks),
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Node says "spawn git ENOENT" for a missing folder too, which reads as "git is not installed".
      if (error.code === 'ENOENT' && existsSync(options.cwd)) {
        reject(
          new AgentError('git was not found on PATH, and hunkwise keeps every task in git.', {
            hint: 'Install it (apt install git, brew install git, or https://git-scm.com/downloads), then run the command again.',
            cause: error,
          }),
        );
      } else if (error.code === 'ENOENT') {
        reject(
          new AgentError(`git cannot run in ${options.cwd}: that folder does not exist (was it deleted?).`, {
            hint: "If it was a task's worktree, agent task --resume <task> makes it again from the task branch; agent prune forgets it.",
            cause: error,
          }),
        );
      } else {
        reject(error);
      }
    });
    child.on('close', (code) => {
      const result = {
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? 128,
      };
      if (result.code === 0 || options.okCodes?.includes(result.code)) resolve(result);
      else reject(failure(new GitError(args, result.code, result.stderr)));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** git's words when it has no name or email for a commit. */
const NO_IDENTITY = /Please tell me who you are|unable to auto-detect email/i;

/**
 * A failed git process, as what it means where that is known: a commit without an identity is
 * the user's to fix once, said so; anything else stays a GitError for the caller to read.
 */
function failure(error: GitError): Error {
  if (!NO_IDENTITY.test(error.stderr)) return error;
  return new AgentError('git does not know who you are, and every step commit is authored by you.', {
    hint: 'Set it once: git config --global user.name "Your Name" && git config --global user.email you@example.com',
    cause: error,
  });
}

/** `git ...` and its standard output with the final newline removed. */
export async function gitOut(args: string[], options: GitOptions): Promise<string> {
  const { stdout } = await git(args, options);
  return stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout;
}
