import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import { git, gitOut } from './exec.js';
import { findInTheWay, inTheWayError, mergeWrites, nothingInTheWay } from './merge-check.js';
import { type Repo, requireNoOperation } from './repo.js';
import type { TaskRecord } from './task-store.js';
import { gitMessageText } from './trailers.js';
import { ask, configFlag, EXIT, headBranch, isAncestor, refreshIndex } from './queries.js';

export type MergeMode = 'no-ff' | 'squash' | 'ff-only';

export interface MergeResult {
  mode: MergeMode;
  into: string;
  /** The commit the base branch points to after the merge. */
  commit: string;
  /** What the user's hooks printed (git shows it; so does `agent merge`). */
  hookOutput: string;
}

/**
 * Merges a task branch into its base branch in the user's checkout, all or nothing. Everything
 * that can refuse comes before anything is written: the checkout's state (staged changes, changes
 * in files the merge writes, untracked or ignored files where it writes, conflicts), the user's
 * hooks and the commit's signature. Only then are the checkout's files, its index and the branch
 * moved, the index through a copy renamed into place. `git merge` is not used: it writes the
 * checkout first and finds out afterwards (a failing commit-msg hook left MERGE_HEAD and staged
 * changes; `merge.autoStash` stashed the user's work).
 *
 * The merge commit is the user's act: their hooks run for it as git runs them for a merge
 * (pre-merge-commit, prepare-commit-msg, commit-msg, post-merge; for `--squash` pre-commit and
 * post-commit), and `commit.gpgSign` signs it. The hooks before the commit run with the merged
 * tree as the index (GIT_INDEX_FILE, as `git commit <paths>` does) while the checkout still holds
 * the old files; they can stop the merge, and what they stage is not taken.
 */
export async function mergeTask(repo: Repo, task: TaskRecord, mode: MergeMode): Promise<MergeResult> {
  const plan = await planMerge(repo, task, mode);
  const scratch = mkdtempSync(join(tmpdir(), 'hunkwise-merge-'));
  try {
    const { commit, output } = plan.fastForward
      ? { commit: plan.tip, output: '' }
      : await commitMerge(repo, task, plan, scratch);
    await moveCheckout(repo, plan, commit, `agent merge ${task.id} (${mode}): ${task.branch}`);
    // After the commit, as git runs them: their exit status changes nothing.
    const after: string[][] = mode === 'squash' ? [['post-merge', '1'], ['post-commit']] : [['post-merge', '0']];
    let hookOutput = output;
    for (const [name = '', ...args] of after) hookOutput += (await runHook(repo, name, args)).output;
    return { mode, into: plan.into, commit, hookOutput };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface MergePlan {
  mode: MergeMode;
  into: string;
  /** The base branch's commit when the merge was planned: the branch moves only from it. */
  head: string;
  tip: string;
  tree: string;
  /** `--ff-only`: the branch is moved to the task's tip, no commit is made. */
  fastForward: boolean;
}

/** Every check, with no write to the checkout, its index or a ref; the tree the merge leads to. */
async function planMerge(repo: Repo, task: TaskRecord, mode: MergeMode): Promise<MergePlan> {
  const into = task.base.ref;
  // git's own merge would stop on it, and taking our merge back must never take the user's with it.
  requireNoOperation(repo, `run agent merge ${task.id} again`);
  const [current, [head, tip, taskTree, baseTree]] = await Promise.all([
    ask(headBranch(true), { cwd: repo.root }),
    objectIds(repo, [`refs/heads/${into}`, `refs/heads/${task.branch}^{commit}`, `refs/heads/${task.branch}^{tree}`, `${task.base.commit}^{tree}`]),
  ]);
  if (current !== into || !head) throw notOnBase(task, into, current ?? '', head !== undefined);
  if (!tip || !taskTree) {
    throw new AgentError(`Task ${task.id}'s branch ${task.branch} is gone (deleted by hand?): there is nothing to merge.`, {
      hint: `agent abort ${task.id} records the task as given up.`,
      kind: 'usage',
    });
  }
  if (taskTree === baseTree) {
    throw new AgentError(`Task ${task.id} has no steps to merge: its branch changes nothing since it started.`, {
      hint: `Resume it (agent task --resume ${task.id}) or give it up (agent abort ${task.id}).`,
      kind: 'usage',
    });
  }
  let tree: string;
  const fastForward = mode === 'ff-only';
  if (fastForward) {
    if (!(await ask(isAncestor(head, tip), { cwd: repo.root }))) {
      throw new AgentError(`${into} has moved on since task ${task.id} started: it cannot be fast-forwarded to ${task.branch}.`, {
        hint: `Merge without --ff-only (agent merge ${task.id}), or rebase the task branch onto ${into}.`,
      });
    }
    tree = taskTree;
  } else {
    tree = await mergedTree(repo, task, into, head, tip);
  }
  const writes = await mergeWrites(repo, head, tree);
  const found = await findInTheWay(repo, head, writes);
  if (!nothingInTheWay(found)) throw inTheWayError(task.id, into, found);
  return { mode, into, head, tip, tree, fastForward };
}

/** The object each name resolves to, undefined where it names none: one `git cat-file` for all. */
async function objectIds(repo: Repo, names: string[]): Promise<(string | undefined)[]> {
  const { stdout } = await git(['cat-file', '--batch-check=%(objectname)'], { cwd: repo.root, input: `${names.join('\n')}\n` });
  return stdout.split('\n').slice(0, names.length).map((line) => (/^[0-9a-f]+$/.test(line) ? line : undefined));
}

function notOnBase(task: TaskRecord, into: string, current: string, exists: boolean): AgentError {
  return new AgentError(
    exists
      ? `Task ${task.id} started from ${into}, but this checkout is on ${current || 'a detached HEAD'}.`
      : `Task ${task.id} started from ${into}, which is not a branch: there is nothing to merge it into.`,
    {
      hint: exists ? `Switch to it (git switch ${into}) and run agent merge ${task.id} again.` : `Merge it by hand: git merge ${task.branch}`,
      kind: 'usage',
    },
  );
}

/** The tree of the merge of the task into the base, written to the object store only; conflicts refused. */
async function mergedTree(repo: Repo, task: TaskRecord, into: string, head: string, tip: string): Promise<string> {
  const result = await git(['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', head, tip], {
    cwd: repo.root,
    okCodes: [EXIT.no],
  });
  const [tree = '', ...rest] = result.stdout.split('\0');
  if (result.code === EXIT.no) throw conflictError(task, into, rest.filter(Boolean));
  return tree.trim();
}

function conflictError(task: TaskRecord, into: string, files: string[]): AgentError {
  return new AgentError(
    `Merging task ${task.id} into ${into} would conflict in:\n  ${files.join('\n  ')}\nNothing was merged; ${into}, ${task.branch} and your checkout are as they were.`,
    {
      hint: `Merge it by hand and resolve the conflicts in those files: git merge --no-ff ${task.branch} (git merge --abort goes back). Or give the task up and start it again from the current ${into}: agent abort ${task.id} (its history is kept), then agent task "<instruction>".`,
    },
  );
}

/**
 * The merge commit (or the squash commit), made without touching the checkout: the hooks before a
 * commit run on a temporary index of the merged tree, then `commit-tree`, signed when the user's
 * config says so. A failure here leaves nothing behind.
 */
async function commitMerge(
  repo: Repo,
  task: TaskRecord,
  plan: MergePlan,
  scratch: string,
): Promise<{ commit: string; output: string }> {
  const subject = gitMessageText(`Merge task ${task.id}: ${headline(task.instruction)}`);
  let message: string;
  if (plan.mode === 'squash') {
    const log = await gitOut(['log', '--reverse', '--format=- %s', `${task.base.commit}..${plan.tip}`], { cwd: repo.root });
    message = `${subject}\n\nSquashed steps of ${task.branch}:\n${log}\n\nAgent-Task: ${task.id}\n`;
  } else {
    message = `${subject}\n\nAgent-Task: ${task.id}\n`;
  }
  const index = join(scratch, 'index');
  const messageFile = join(scratch, 'COMMIT_EDITMSG');
  await git(['-c', 'core.splitIndex=false', 'read-tree', plan.tree], { cwd: repo.root, env: { GIT_INDEX_FILE: index } });
  writeFileSync(messageFile, message);
  const before: string[][] = [
    [plan.mode === 'squash' ? 'pre-commit' : 'pre-merge-commit'],
    ['prepare-commit-msg', messageFile, plan.mode === 'squash' ? 'message' : 'merge'],
    ['commit-msg', messageFile],
  ];
  let output = '';
  for (const [name = '', ...args] of before) {
    const result = await runHook(repo, name, args, { GIT_INDEX_FILE: index, GIT_EDITOR: ':' });
    output += result.output;
    if (result.code !== 0) {
      throw new AgentError(
        `Your ${result.name} hook refused the merge of task ${task.id} (exit ${result.code})${result.output.trim() ? `:\n${result.output.trim()}` : '.'}\nNothing was merged; your files, index and branches are as they were.`,
        { hint: `Do what the hook asks, then run agent merge ${task.id} again; or merge by hand: git merge --no-ff ${task.branch}` },
      );
    }
  }
  const final = cleanMessage(readFileSync(messageFile, 'utf8'));
  if (!final) {
    throw new AgentError(`A hook left the merge commit's message empty: the merge of task ${task.id} was not made.`, {
      hint: 'git refuses an empty commit message too; check your prepare-commit-msg and commit-msg hooks.',
    });
  }
  const signing = await ask(configFlag('commit.gpgSign'), { cwd: repo.root });
  const parents = plan.mode === 'squash' ? ['-p', plan.head] : ['-p', plan.head, '-p', plan.tip];
  const made = await git(['commit-tree', ...(signing ? ['-S'] : []), plan.tree, ...parents, '-F', '-'], {
    cwd: repo.root,
    input: final,
    okCodes: [EXIT.no, EXIT.fatal],
  });
  if (made.code !== 0) {
    throw new AgentError(
      `git could not make the merge commit of task ${task.id}${signing ? ' (commit.gpgSign is on)' : ''}:\n${made.stderr.trim()}\nNothing was merged; your files, index and branches are as they were.`,
      {
        hint: signing
          ? 'Make signing work (git commit --allow-empty -S -m test shows the same error), or turn commit.gpgSign off; then run agent merge again.'
          : 'Do what git says, then run agent merge again.',
      },
    );
  }
  return { commit: made.stdout.trim(), output };
}

/** git's default clean-up of a message given without an editor: trailing spaces and extra blank lines go. */
function cleanMessage(text: string): string {
  const lines = text.split('\n').map((line) => line.trimEnd());
  const kept = lines.filter((line, i) => line !== '' || (i > 0 && lines[i - 1] !== ''));
  const joined = kept.join('\n').trim();
  return joined ? `${joined}\n` : '';
}

const ANY_EXIT = Array.from({ length: 255 }, (_, code) => code + 1);

/** A hook of the user's, run as git runs it (`git hook run`: core.hooksPath honoured); one that is absent passes. */
async function runHook(
  repo: Repo,
  name: string,
  args: string[],
  env?: Record<string, string>,
): Promise<{ name: string; code: number; output: string }> {
  const result = await git(['hook', 'run', '--ignore-missing', name, ...(args.length ? ['--', ...args] : [])], {
    cwd: repo.root,
    env,
    hooks: true,
    okCodes: ANY_EXIT,
  });
  return { name, code: result.code, output: result.stdout + result.stderr };
}

/**
 * The only writes: the checkout's files and index go from the planned HEAD to the new commit, and
 * the branch moves — only if it still points where it did (a compare-and-swap). The index is
 * changed in a copy under git's own index.lock (so no git command of the user's runs in between)
 * and renamed into place; if the branch cannot move, the files are put back.
 */
async function moveCheckout(repo: Repo, plan: MergePlan, commit: string, reflog: string): Promise<void> {
  const indexFile = join(repo.gitDir, 'index');
  const lock = `${indexFile}.lock`;
  try {
    writeFileSync(lock, '', { flag: 'wx' });
  } catch (error) {
    throw new AgentError(`Another git process is working in ${repo.root} (${lock} exists): nothing was merged.`, {
      hint: 'Wait for it to end; if no git process runs, remove that file. Then run agent merge again.',
      cause: error,
    });
  }
  const copy = join(repo.gitDir, 'hunkwise-merge-index');
  const env = { GIT_INDEX_FILE: copy };
  try {
    copyIfThere(indexFile, copy);
    await ask(refreshIndex(), { cwd: repo.root, env });
    const moved = await git(['read-tree', '-m', '-u', plan.head, commit], { cwd: repo.root, env, okCodes: [EXIT.fatal] });
    if (moved.code !== 0) {
      throw new AgentError(`Your checkout changed while the merge was prepared; nothing was merged:\n${moved.stderr.trim()}`, {
        hint: 'Run agent merge again: it checks your checkout anew.',
      });
    }
    const ref = await git(['update-ref', '-m', reflog, `refs/heads/${plan.into}`, commit, plan.head], {
      cwd: repo.root,
      okCodes: [EXIT.fatal],
    });
    if (ref.code !== 0) {
      await git(['read-tree', '-m', '-u', commit, plan.head], { cwd: repo.root, env });
      throw new AgentError(`${plan.into} moved while the merge was made (another process committed to it); nothing was merged.`, {
        hint: 'Run agent merge again.',
      });
    }
    renameSync(copy, indexFile);
    // As git merge sets it, for `git reset --hard ORIG_HEAD`.
    await git(['update-ref', 'ORIG_HEAD', plan.head], { cwd: repo.root });
  } finally {
    rmSync(copy, { force: true });
    rmSync(lock, { force: true });
  }
}

function copyIfThere(from: string, to: string): void {
  try {
    copyFileSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The instruction's first line for a subject: cut at a word (60 characters at most), no dangling comma, `…` when cut. */
export function headline(instruction: string, max = 60): string {
  const first = (instruction.split('\n', 1)[0] ?? '').trim();
  if (first.length <= max) return first;
  const cut = first.slice(0, max);
  const atWord = cut.lastIndexOf(' ') > max / 2 ? cut.slice(0, cut.lastIndexOf(' ')) : cut;
  return `${atWord.replace(/[\s,;:.\-–—]+$/, '')}…`;
}
