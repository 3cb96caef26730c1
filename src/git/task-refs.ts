import { existsSync } from 'node:fs';
import { AgentError } from '../errors.js';
import { git, gitOut } from './exec.js';
import type { Repo } from './repo.js';
import { isClosed, type TaskRecord } from './task-store.js';
import { parseAuditLog, AUDIT_LOG_FORMAT } from './trailers.js';
import { removeTaskWorktree, WORKTREE_CONFIG } from './worktree.js';
import { ask, commitOf, deleteRef, headBranch } from './queries.js';

/**
 * Undo and abort keep what they drop: the audit log survives under `refs/hunkwise/`, where
 * `git log` can still read it and `git gc` does not collect it.
 */

export const abortedRef = (id: string): string => `refs/hunkwise/aborted/${id}`;
/** A merged task's steps, kept once its branch is deleted (a squash leaves them reachable from nothing else). */
export const mergedRef = (id: string): string => `refs/hunkwise/merged/${id}`;
export const undoneRef = (id: string, step: number): string => `refs/hunkwise/undone/${id}/${step}`;

/** The ref that holds a task's commits: its branch, or after an abort or a merge its kept history. */
export const tipRef = (task: TaskRecord): string =>
  task.status === 'aborted' ? abortedRef(task.id) : task.status === 'merged' ? mergedRef(task.id) : `refs/heads/${task.branch}`;

/**
 * A merged task's branch deleted, once its worktree is gone: the steps stay under
 * refs/hunkwise/merged/ (written at the merge), `agent show` reads them there. A branch the user
 * moved since the merge is kept.
 */
export async function dropMergedBranch(repo: Repo, task: TaskRecord): Promise<boolean> {
  const kept = await ask(commitOf(mergedRef(task.id)), { cwd: repo.root });
  if (kept === undefined) return false;
  return ask(deleteRef(`refs/heads/${task.branch}`, kept), { cwd: repo.root });
}

export interface UndoneStep {
  step: number;
  commit: string;
  subject: string;
  keptAt: string;
}

/** Drops the last step commit of a task branch; its worktree follows. */
export async function undoStep(repo: Repo, task: TaskRecord): Promise<UndoneStep> {
  requireOpen(task, 'undo');
  const [last] = parseAuditLog(await gitOut(['log', '-1', AUDIT_LOG_FORMAT, tipRef(task)], { cwd: repo.root }));
  const step = Number(last?.trailers['Agent-Step'] ?? 0);
  if (!last || step < 1 || last.trailers['Agent-Task'] !== task.id) {
    // Not a mistake in the command: there is just nothing to take back (exit 1, not 2).
    throw new AgentError(`Task ${task.id} has no step to undo: nothing was changed.`, {
      hint: `To drop the whole task and its branch: agent abort ${task.id}`,
    });
  }
  const keptAt = undoneRef(task.id, step);
  await git(['update-ref', keptAt, last.commit], { cwd: repo.root });
  if (existsSync(task.worktree)) {
    await git([...WORKTREE_CONFIG, 'reset', '-q', '--hard', `${last.commit}^`], { cwd: task.worktree });
  } else {
    await git(['update-ref', '-m', 'hunkwise: undo', `refs/heads/${task.branch}`, `${last.commit}^`, last.commit], {
      cwd: repo.root,
    });
  }
  return { step, commit: last.commit, subject: last.subject, keptAt };
}

/** Removes the task's worktree and branch; the branch's history is kept under refs/hunkwise/aborted/. */
export async function abortTask(repo: Repo, task: TaskRecord): Promise<string> {
  requireOpen(task, 'abort');
  if ((await ask(headBranch(), { cwd: repo.root })) === `refs/heads/${task.branch}`) {
    throw new AgentError(`Your checkout is on ${task.branch}, the branch of the task to abort.`, {
      hint: `Switch to another branch first (git switch ${task.base.ref}).`,
      kind: 'usage',
    });
  }
  const tip = (await ask(commitOf(`refs/heads/${task.branch}`), { cwd: repo.root })) ?? '';
  // A branch deleted by hand leaves nothing to keep; the task is still recorded as given up.
  if (tip) await git(['update-ref', abortedRef(task.id), tip], { cwd: repo.root });
  await removeTaskWorktree(repo, task.worktree);
  if (tip) await git(['branch', '-D', '-q', task.branch], { cwd: repo.root });
  return tip;
}

function requireOpen(task: TaskRecord, verb: string): void {
  if (isClosed(task)) {
    throw new AgentError(`Task ${task.id} is ${task.status}: it cannot ${verb === 'undo' ? 'be undone' : 'be aborted'}.`, {
      kind: 'usage',
    });
  }
}
