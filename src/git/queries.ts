import { type GitOptions, type GitResult, git } from './exec.js';

/**
 * The questions hunkwise asks git, as data (as git-js's tasks/): each command's arguments, the
 * exit codes that are answers rather than failures, named, and the reading of what git printed,
 * side by side. `ask` runs one.
 */

/** What git's exit code says when it is not 0, for the commands here. */
export const EXIT = {
  /** "No": no such ref or object, not an ancestor, no match, no value, nothing ignored; changes left (reset, refresh). */
  no: 1,
  /** git stopped: not a repository, an unknown revision or variable, a ref it could not lock. */
  fatal: 128,
} as const;

/** A git command as data: its arguments, the exit codes that are answers, how its output reads. */
export interface GitQuery<T> {
  args: readonly string[];
  answers: readonly number[];
  input?: string;
  read(result: GitResult): T;
}

export async function ask<T>(query: GitQuery<T>, options: Omit<GitOptions, 'okCodes' | 'input'>): Promise<T> {
  const input = query.input === undefined ? {} : { input: query.input };
  return query.read(await git([...query.args], { ...options, ...input, okCodes: [...query.answers] }));
}

const answered = (result: GitResult): boolean => result.code === 0;
const printed = (result: GitResult): string | undefined => (result.code === 0 ? result.stdout.trim() : undefined);

/** The commit `rev` names, or undefined when it names none (or nothing at all). */
export const commitOf = (rev: string): GitQuery<string | undefined> => ({
  args: ['rev-parse', '-q', '--verify', `${rev}^{commit}`],
  answers: [EXIT.no, EXIT.fatal],
  read: printed,
});

/** Whether a ref (`refs/heads/agent/x`) exists. */
export const refExists = (ref: string): GitQuery<boolean> => ({
  args: ['rev-parse', '-q', '--verify', ref],
  answers: [EXIT.no],
  read: answered,
});

/** Whether the repository has the object `rev` names (`<id>^{commit}`). */
export const objectExists = (rev: string): GitQuery<boolean> => ({
  args: ['cat-file', '-e', rev],
  answers: [EXIT.no, EXIT.fatal],
  read: answered,
});

/** Whether `ancestor` is `commit` or one of its ancestors. */
export const isAncestor = (ancestor: string, commit: string): GitQuery<boolean> => ({
  args: ['merge-base', '--is-ancestor', ancestor, commit],
  answers: [EXIT.no],
  read: answered,
});

/** The branch HEAD is on (`refs/heads/main`, or `main` when `short`), or undefined when it is detached. */
export const headBranch = (short = false): GitQuery<string | undefined> => ({
  args: ['symbolic-ref', '-q', ...(short ? ['--short'] : []), 'HEAD'],
  answers: [EXIT.no],
  read: printed,
});

/** HEAD's commit, abbreviated, or undefined when there is none. */
export const shortHead = (): GitQuery<string | undefined> => ({
  args: ['rev-parse', '-q', '--short', 'HEAD'],
  answers: [EXIT.no],
  read: printed,
});

/** The full ref name `rev` stands for (`refs/heads/main`), '' for a commit id; undefined when git cannot tell. */
export const fullRefName = (rev: string): GitQuery<string | undefined> => ({
  args: ['rev-parse', '--symbolic-full-name', rev],
  answers: [EXIT.fatal],
  read: printed,
});

/** A git variable (`git var GIT_AUTHOR_IDENT`), or undefined where git cannot tell (no identity, outside a repository). */
export const gitVar = (name: string): GitQuery<string | undefined> => ({
  args: ['var', name],
  answers: [EXIT.fatal],
  read: printed,
});

/** A boolean setting of the config, false when unset. */
export const configFlag = (name: string): GitQuery<boolean> => ({
  args: ['config', '--type=bool', '--get', name],
  answers: [EXIT.no],
  read: (result) => result.stdout.trim() === 'true',
});

/** Deletes a ref (only while it is at `old`, when given); false when there was none, or it had moved. */
export const deleteRef = (ref: string, old?: string): GitQuery<boolean> => ({
  args: ['update-ref', '-d', ref, ...(old ? [old] : [])],
  answers: [EXIT.no, EXIT.fatal],
  read: answered,
});

/** The files with a line that `grepArgs` matches (`git grep -l`); none is an answer, not a failure. */
export const filesMatching = (grepArgs: readonly string[]): GitQuery<string[]> => ({
  args: ['grep', '-l', ...grepArgs],
  answers: [EXIT.no],
  read: (result) => result.stdout.split('\n').filter(Boolean),
});

/** Brings the index's file stat data up to date; files that changed are an answer (1), not a failure. */
export const refreshIndex = (config: readonly string[] = []): GitQuery<void> => ({
  args: [...config, 'update-index', '-q', '--refresh'],
  answers: [EXIT.no],
  read: () => undefined,
});

/** The tracked paths (`ls-files -z`); none outside a repository. */
export const trackedPaths = (): GitQuery<string[]> => ({
  args: ['ls-files', '-z'],
  answers: [EXIT.fatal],
  read: (result) => (result.code === 0 ? result.stdout.split('\0').filter(Boolean) : []),
});

/** Which of `paths` the repository ignores (its .gitignore files, info/exclude, core.excludesFile). */
export const ignoredPaths = (paths: readonly string[]): GitQuery<string[]> => ({
  args: ['check-ignore', '-z', '--stdin', '--no-index'],
  input: paths.map((path) => `${path}\0`).join(''),
  answers: [EXIT.no],
  read: (result) => result.stdout.split('\0').filter(Boolean),
});

/** For each of `paths` the repository ignores: where and by what pattern (`.gitignore:3: *.local`). */
export const ignoreRules = (paths: readonly string[]): GitQuery<Map<string, string>> => ({
  args: ['check-ignore', '-z', '-v', '--no-index', '--stdin'],
  input: paths.map((path) => `${path}\0`).join(''),
  answers: [EXIT.no],
  read: (result) => {
    const found = new Map<string, string>();
    const fields = result.stdout.split('\0');
    // -v -z: source, line number, pattern, path; a pattern with `!` re-includes the path.
    for (let i = 0; i + 3 < fields.length; i += 4) {
      const [source = '', line = '', pattern = '', path = ''] = fields.slice(i, i + 4);
      if (pattern && !pattern.startsWith('!')) found.set(path, `${source}:${line}: ${pattern}`);
    }
    return found;
  },
});

/** A commit's parents and its Agent-Step trailer (empty when it has none). */
export const stepOfCommit = (commit: string): GitQuery<{ parents: string; step: string }> => ({
  args: ['log', '-1', '--format=%P%x00%(trailers:key=Agent-Step,valueonly)', commit],
  answers: [],
  read: (result) => {
    const [parents = '', step = ''] = result.stdout.split('\0');
    return { parents: parents.trim(), step: step.trim() };
  },
});

/** A commit and its parent (empty for a root commit). */
export const commitAndParent = (rev: string): GitQuery<{ commit: string; parent: string }> => ({
  args: ['log', '-1', '--format=%H%n%P', rev],
  answers: [],
  read: (result) => {
    const [commit = '', parent = ''] = result.stdout.split('\n');
    return { commit, parent };
  },
});

/** The commits of a range, oldest first, each with its message body. */
export const commitBodies = (range: string): GitQuery<{ commit: string; body: string }[]> => ({
  args: ['log', '--reverse', '--format=%H%x00%b%x1e', range],
  answers: [],
  read: (result) =>
    result.stdout
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter(Boolean)
      .map((record) => {
        const [commit = '', body = ''] = record.split('\0');
        return { commit, body };
      }),
});
