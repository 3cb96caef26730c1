import { AgentError, messageOf } from '../errors.js';
import { git, GitError } from '../git/exec.js';
import { openRepo, requireStartableHead } from '../git/repo.js';
import { type Check, fail, ok, warn } from './check.js';
import { ask, gitVar } from '../git/queries.js';

/** The checks of git itself, of the user's identity for step commits, and of the repository here. */
export interface GitChecks {
  checks: Check[];
  /** The repository around the folder checked, whose config then counts too. */
  repoRoot: string | undefined;
}

const IDENTITY_FIX = 'git config --global user.name "Your Name" && git config --global user.email you@example.com';

/**
 * git found and its version; then, at once, the identity step commits are authored with and the
 * repository around `cwd`. Outside a repository the rest of doctor still runs: only a warning.
 */
export async function gitChecks(cwd: string): Promise<GitChecks> {
  const version = await checkGitVersion(cwd);
  if (version.status === 'fail') return { checks: [version], repoRoot: undefined };
  const [identity, repository] = await Promise.all([checkIdentity(cwd), checkRepository(cwd)]);
  return { checks: [version, identity, repository.check], repoRoot: repository.root };
}

/** The oldest git hunkwise works with: `merge-tree --write-tree` (2.38), `cat-file -z`, `hook run`. */
const GIT_FLOOR = [2, 38];

async function checkGitVersion(cwd: string): Promise<Check> {
  try {
    const said = (await git(['--version'], { cwd })).stdout.trim();
    const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(said) ?? []).slice(1).map(Number);
    const [floorMajor = 0, floorMinor = 0] = GIT_FLOOR;
    if (major < floorMajor || (major === floorMajor && minor < floorMinor)) {
      return fail('git', `${said}: hunkwise needs git ${GIT_FLOOR.join('.')} or newer (agent merge uses git merge-tree --write-tree).`, 'Install a newer git (apt install git from a current release, brew upgrade git, or https://git-scm.com/downloads).');
    }
    return ok('git', said);
  } catch (error) {
    // git/exec.ts says it in the one wording: "git was not found on PATH, and hunkwise keeps every task in git."
    return fail('git', messageOf(error), 'Install git (apt install git, brew install git, or https://git-scm.com/downloads).');
  }
}

/**
 * Who step commits are authored by, as git itself decides it (`git var`: the config, or the
 * GIT_AUTHOR_* and GIT_COMMITTER_* variables); a failure is what `git commit` would say.
 */
async function checkIdentity(cwd: string): Promise<Check> {
  const [author, committer] = await Promise.all([ask(gitVar('GIT_AUTHOR_IDENT'), { cwd }), ask(gitVar('GIT_COMMITTER_IDENT'), { cwd })]);
  if (author === undefined || committer === undefined) {
    return fail('git identity', 'git does not know who you are, and every step commit is authored by you.', IDENTITY_FIX);
  }
  // `Name <email> 1700000000 +0100`: the time is of no interest here.
  return ok('git identity', author.replace(/ \d+ [+-]\d{4}$/, ''));
}

/** The repository's root and branch, or a warning with what `agent task` would refuse here. */
async function checkRepository(cwd: string): Promise<{ check: Check; root: string | undefined }> {
  let root: string | undefined;
  try {
    const repo = await openRepo(cwd);
    root = repo.root;
    const head = await requireStartableHead(repo);
    return { check: ok('repository', `${repo.root}, on ${head.branch}`), root };
  } catch (error) {
    if (error instanceof AgentError) {
      return { check: warn('repository', root ? `${root}: ${error.message}` : error.message, error.hint), root };
    }
    if (error instanceof GitError) return { check: warn('repository', error.message), root };
    throw error;
  }
}
