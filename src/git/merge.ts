import { AgentError } from '../errors.js';
import { git, gitOut } from './exec.js';
import { type Repo, requireNoOperation } from './repo.js';
import type { TaskRecord } from './task-store.js';

export type MergeMode = 'no-ff' | 'squash' | 'ff-only';

export interface MergeResult {
  mode: MergeMode;
  into: string;
  /** The commit the base branch points to after the merge. */
  commit: string;
}

/**
 * Merges a task branch into its base branch in the user's checkout, as the user's own act (their
 * hooks and signing apply). A merge that would conflict is found before anything is touched
 * (`git merge-tree`) and refused with the files named; if git still stops on a conflict, the merge
 * is aborted so that both branches and the checkout are as they were.
 */
export async function mergeTask(repo: Repo, task: TaskRecord, mode: MergeMode): Promise<MergeResult> {
  const into = task.base.ref;
  // git's own merge would stop on it, and taking our merge back must never take the user's with it.
  requireNoOperation(repo, `run agent merge ${task.id} again`);
  const current = await git(['symbolic-ref', '-q', '--short', 'HEAD'], { cwd: repo.root, okCodes: [1] });
  if (current.stdout.trim() !== into) {
    const exists = await git(['rev-parse', '-q', '--verify', `refs/heads/${into}`], { cwd: repo.root, okCodes: [1] });
    throw new AgentError(
      exists.code === 0
        ? `Task ${task.id} started from ${into}, but this checkout is on ${current.stdout.trim() || 'a detached HEAD'}.`
        : `Task ${task.id} started from ${into}, which is not a branch: there is nothing to merge it into.`,
      {
        hint:
          exists.code === 0
            ? `Switch to it (git switch ${into}) and run agent merge ${task.id} again.`
            : `Merge it by hand: git merge ${task.branch}`,
        kind: 'usage',
      },
    );
  }
  const conflicts = await predictConflicts(repo, into, task.branch);
  if (conflicts.length) throw conflictError(task, into, conflicts);

  const subject = `Merge task ${task.id}: ${task.instruction.split('\n', 1)[0]?.slice(0, 60)}`;
  const args =
    mode === 'ff-only'
      ? ['merge', '--ff-only', task.branch]
      : mode === 'squash'
        ? ['merge', '--squash', task.branch]
        : ['merge', '--no-ff', '-m', subject, '-m', `Agent-Task: ${task.id}`, task.branch];
  const merged = await git(args, { cwd: repo.root, okCodes: [1, 128] });
  if (merged.code !== 0) {
    const unmerged = (await gitOut(['diff', '--name-only', '--diff-filter=U'], { cwd: repo.root })).split('\n').filter(Boolean);
    if (unmerged.length) {
      await git(mode === 'squash' ? ['reset', '-q', '--merge'] : ['merge', '--abort'], { cwd: repo.root, okCodes: [128] });
      throw conflictError(task, into, unmerged);
    }
    throw new AgentError(`git merge did not merge task ${task.id}:\n${(merged.stderr || merged.stdout).trim()}`, {
      hint:
        mode === 'ff-only'
          ? `${into} has moved on since the task started; merge without --ff-only, or rebase the task branch.`
          : 'Do what git says (commit or stash your changes in the files it names), then run agent merge again.',
    });
  }
  if (mode === 'squash') {
    const log = await gitOut(['log', '--reverse', '--format=- %s', `${task.base.commit}..${task.branch}`], { cwd: repo.root });
    await git(['commit', '-q', '-m', `${subject}\n\nSquashed steps of ${task.branch}:\n${log}\n\nAgent-Task: ${task.id}`], {
      cwd: repo.root,
    });
  }
  return { mode, into, commit: await gitOut(['rev-parse', 'HEAD'], { cwd: repo.root }) };
}

/** The files a merge would leave conflicted, found without touching the checkout. */
async function predictConflicts(repo: Repo, into: string, branch: string): Promise<string[]> {
  const result = await git(['merge-tree', '--write-tree', '--name-only', '--no-messages', into, branch], {
    cwd: repo.root,
    okCodes: [1, 129],
  });
  if (result.code !== 1) return [];
  return result.stdout.split('\n').slice(1).filter(Boolean);
}

function conflictError(task: TaskRecord, into: string, files: string[]): AgentError {
  return new AgentError(
    `Merging task ${task.id} into ${into} would conflict in:\n  ${files.join('\n  ')}\nNothing was merged; ${into}, ${task.branch} and your checkout are as they were.`,
    {
      hint: `Merge it by hand and resolve the conflicts in those files: git merge --no-ff ${task.branch} (git merge --abort goes back). Or give the task up and start it again from the current ${into}: agent abort ${task.id} (its history is kept), then agent task "<instruction>".`,
    },
  );
}
