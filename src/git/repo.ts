import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AgentError } from '../errors.js';
import { git, GitError } from './exec.js';
import { ask, commitOf, EXIT, headBranch, shortHead } from './queries.js';

/** The user's repository as hunkwise sees it: where it is and where its git data lives. */
export interface Repo {
  /** The top of the user's working tree (the main checkout, or the worktree the user is in). */
  root: string;
  /** The shared git directory (`git rev-parse --git-common-dir`), absolute. */
  commonDir: string;
  /** The git directory of the checkout the user is in (differs from commonDir in a linked worktree). */
  gitDir: string;
  /**
   * HEAD when the repository was opened: its commit and what it names (`refs/heads/main`, or
   * `HEAD` when detached); undefined when HEAD has no commit yet.
   */
  head: { commit: string; name: string } | undefined;
}

/** Finds the repository around `cwd`, and its HEAD in the same git process; refuses with a message outside one. */
export async function openRepo(cwd: string): Promise<Repo> {
  return (await lookAround(cwd, [])).repo;
}

/**
 * openRepo, and the branches matching `pattern` under refs/heads/ (`agent/*`) as full ref names,
 * from the same git process. `branches` is undefined when HEAD has no commit: git stops there.
 */
export async function openRepoWithBranches(cwd: string, pattern: string): Promise<{ repo: Repo; branches: string[] | undefined }> {
  const { repo, more } = await lookAround(cwd, [`--branches=${pattern}`]);
  return { repo, branches: repo.head ? more : undefined };
}

/** One `git rev-parse`: the three paths, HEAD's commit and name, then what `extra` asks for. */
async function lookAround(cwd: string, extra: string[]): Promise<{ repo: Repo; more: string[] }> {
  const args = ['rev-parse', '--show-toplevel', '--git-common-dir', '--git-dir', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD', ...extra];
  // 128 also when HEAD has no commit: the three paths come first all the same.
  const result = await git(args, { cwd, okCodes: [EXIT.fatal] });
  if (result.code !== 0 && /not a git repository/i.test(result.stderr)) {
    throw new AgentError(`${cwd} is not inside a git repository.`, {
      hint: 'hunkwise works on a branch of a git repository: cd into one, or run `git init` and make a first commit.',
      cause: new GitError(args, result.code, result.stderr),
    });
  }
  if (result.code !== 0 && /must be run in a work tree/i.test(result.stderr)) {
    throw new AgentError(`${cwd} is inside a bare repository or a .git folder.`, {
      hint: 'Run hunkwise from a checkout of the repository (its working tree).',
      cause: new GitError(args, result.code, result.stderr),
    });
  }
  const [root, commonDir, gitDir, commit, name, ...more] = result.stdout.trim().split('\n');
  if (!root || !commonDir || !gitDir) throw new GitError(args, result.code, result.stderr || `unexpected answer: ${result.stdout}`);
  const head = result.code === 0 && commit && name ? { commit, name } : undefined;
  return { repo: { root, commonDir: resolve(root, commonDir), gitDir: resolve(root, gitDir), head }, more };
}

export interface HeadState {
  /** The branch HEAD points to, e.g. `main` (full ref in `ref`). */
  branch: string;
  ref: string;
  commit: string;
}

/**
 * The branch a task starts from. Refuses, with what to do, before the first commit, with a
 * detached HEAD, and while a merge, rebase, cherry-pick or revert is in progress.
 */
export async function requireStartableHead(repo: Repo): Promise<HeadState> {
  requireNoOperation(repo, 'start the task again');
  // No git process in the usual case: openRepo read HEAD.
  const { commit = '', name = '' } = repo.head ?? {};
  if (name.startsWith('refs/heads/')) return { branch: name.slice('refs/heads/'.length), ref: name, commit };
  const ref = await ask(headBranch(), { cwd: repo.root });
  if (ref === undefined) {
    const at = (await ask(shortHead(), { cwd: repo.root })) ?? '';
    throw new AgentError(
      `HEAD is detached${at ? ` at ${at}` : ''}: there is no branch to start the task from and to merge it back into.`,
      {
        hint: 'Switch to a branch (git switch <branch>, or git switch -c <new-branch> to make one here), or name the starting point yourself: agent task --base HEAD "<instruction>" (you then merge the task branch by hand).',
      },
    );
  }
  if (repo.head) return { branch: name, ref: name, commit };
  // HEAD names a branch without a commit.
  throw new AgentError(`The repository has no commits yet (${ref.replace('refs/heads/', '')} is unborn).`, {
    hint: 'Make a first commit (git add -A && git commit -m "Initial commit"), then start the task.',
  });
}

/**
 * Refuses while a merge, rebase, cherry-pick or revert is half done in the user's checkout: a task
 * does not start from a half-finished state, and `agent merge` never mixes its merge with one.
 * `then` is what to do once it is finished, e.g. "start the task again".
 */
export function requireNoOperation(repo: Repo, then: string): void {
  const busy = operationInProgress(repo.gitDir);
  if (!busy) return;
  throw new AgentError(`A ${busy} is in progress in ${repo.root}; hunkwise leaves it to you.`, {
    hint: `Finish it (git ${busy === 'merge' ? 'commit' : `${busy} --continue`}) or abort it (git ${busy} --abort), then ${then}.`,
  });
}

/** Which multi-step git operation is half done in this checkout, if any. */
export function operationInProgress(gitDir: string): 'merge' | 'rebase' | 'cherry-pick' | 'revert' | undefined {
  if (existsSync(join(gitDir, 'rebase-merge')) || existsSync(join(gitDir, 'rebase-apply'))) return 'rebase';
  if (existsSync(join(gitDir, 'MERGE_HEAD'))) return 'merge';
  if (existsSync(join(gitDir, 'CHERRY_PICK_HEAD'))) return 'cherry-pick';
  if (existsSync(join(gitDir, 'REVERT_HEAD'))) return 'revert';
  return undefined;
}

/** Resolves a user-given ref to a commit, or says it names none. */
export async function resolveCommit(repo: Repo, rev: string): Promise<string> {
  const commit = await ask(commitOf(rev), { cwd: repo.root });
  if (commit === undefined) {
    throw new AgentError(`'${rev}' does not name a commit in this repository.`, {
      hint: 'Give a branch, tag or commit that exists (git branch -a lists branches).',
      kind: 'usage',
    });
  }
  return commit;
}
