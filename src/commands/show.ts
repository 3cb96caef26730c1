import { gitOut } from '../git/exec.js';
import { findTask } from '../git/find-task.js';
import { openRepo, type Repo } from '../git/repo.js';
import { tipRef } from '../git/task-refs.js';
import type { BranchErrors } from '../agent/branch-errors.js';
import { isClosed, type TaskRecord } from '../git/task-store.js';
import { worktreeExists } from '../git/worktree.js';
import { type AuditedCommit, AUDIT_LOG_FORMAT, parseAuditLog } from '../git/trailers.js';
import { type Colors, createColors } from '../ui/color.js';
import { page } from '../ui/pager.js';
import { ask, commitBodies } from '../git/queries.js';

export interface ShowOptions {
  stat?: boolean;
  json?: boolean;
  /** `agent review`: also the errors the branch adds against its base. */
  errors?: boolean;
}

/** The first line of what the model said before a step (its commit body above the trailers), cut to 120 characters. */
function explanationOf(body: string): string {
  const line = body.split('\n').find((text) => text.trim() !== '' && !/^Agent-[\w-]+: /.test(text)) ?? '';
  const trimmed = line.trim();
  return trimmed.length > 120 ? `${trimmed.slice(0, 119)}…` : trimmed;
}

export interface TaskReview {
  task: TaskRecord;
  /** With each step's explanation: the first line of what the model said before it. */
  commits: Array<AuditedCommit & { explanation: string }>;
  /** The diff of the task against its base: a diffstat with --stat, the whole diff otherwise. */
  diff: string;
  /** An open task whose worktree was deleted by hand (`agent task --resume` makes it again). */
  /** Whether the worktree is there now (a merged, aborted or pruned task's is removed). */
  worktreeExists: boolean;
  worktreeMissing: boolean;
}

/** A task's record, its commits with their trailers, and its diff against the commit it started from. */
export async function reviewTask(repo: Repo, query: string, options: { stat?: boolean; color?: boolean } = {}): Promise<TaskReview> {
  const task = findTask(repo.commonDir, query);
  const tip = tipRef(task);
  const range = `${task.base.commit}..${tip}`;
  const color = options.color ? '--color=always' : '--no-color';
  const [log, bodies, diff] = await Promise.all([
    gitOut(['log', '--reverse', AUDIT_LOG_FORMAT, range], { cwd: repo.root }),
    ask(commitBodies(range), { cwd: repo.root }),
    gitOut(['diff', color, options.stat ? '--stat' : '--patch', task.base.commit, tip, '--'], { cwd: repo.root }),
  ]);
  const explanations = new Map(bodies.map(({ commit, body }) => [commit, explanationOf(body)] as const));
  const commits = parseAuditLog(log).map((commit) => ({ ...commit, explanation: explanations.get(commit.commit) ?? '' }));
  const open = !isClosed(task);
  const exists = worktreeExists(task.worktree);
  return { task, commits, diff, worktreeExists: exists, worktreeMissing: open && !exists };
}

export async function showCommand(query: string, options: ShowOptions): Promise<void> {
  const c = createColors(process.stdout);
  const repo = await openRepo(process.cwd());
  const review = await reviewTask(repo, query, { stat: options.stat, color: c.enabled && !options.json });
  const errors = options.errors ? await errorsOf(repo, review.task) : undefined;
  if (options.json) {
    process.stdout.write(`${JSON.stringify(options.errors ? { ...review, errors: errors ?? null } : review)}\n`);
    return;
  }
  const { task } = review;
  const out: string[] = [
    `${c.bold(`task ${task.id}`)} · ${task.status} · ${task.steps} step${task.steps === 1 ? '' : 's'} · ${task.models.join(', ')} (${task.locality})`,
    `branch ${task.branch}  base ${task.base.ref} (${task.base.commit.slice(0, 8)})`,
    `worktree ${task.worktree}${
      review.worktreeMissing
        ? c.yellow(` (deleted by hand: agent task --resume ${task.id} makes it again from ${task.branch}, which holds every step)`)
        : worktreeExists(task.worktree)
          ? ''
          : c.dim(' (removed)')
    }`,
    '',
    ...task.instruction.split('\n').map((line) => `    ${line}`),
    '',
  ];
  for (const commit of review.commits) {
    out.push(c.yellow(`commit ${commit.commit}`), `    ${commit.subject}`, ...(commit.explanation ? [`    ${c.dim(commit.explanation)}`] : []), '');
    for (const [key, value] of Object.entries(commit.trailers)) out.push(`    ${key}: ${value}`);
    out.push('');
  }
  if (options.errors) out.push(...describeErrors(errors, review.task, c), '');
  out.push(review.diff || c.dim('(no changes against the base)'));
  await page(`${out.join('\n')}\n`, process.cwd());
}

async function errorsOf(repo: Repo, task: TaskRecord): Promise<BranchErrors | undefined> {
  const { loadConfig } = await import('../config/load.js');
  const { branchErrors } = await import('../agent/branch-errors.js');
  return branchErrors(repo, task, loadConfig(repo.root));
}

/** The errors section of a review, before the diff. */
export function describeErrors(errors: BranchErrors | undefined, task: TaskRecord, c: Colors): string[] {
  if (!errors) return [c.dim(`errors: not checked (the worktree ${task.worktree} is gone)`)];
  const notes = [
    ...(errors.unknown.length ? [`unknown for ${errors.unknown.join(', ')}: the language server did not answer in time`] : []),
    ...(errors.unchecked.length ? [`not checked: ${errors.unchecked.join(', ')} (no language server here for them)`] : []),
  ].map((line) => c.dim(`    ${line}`));
  if (errors.added.length === 0) {
    const what = errors.checked ? `no errors added against ${task.base.ref} (${errors.checked} changed file${errors.checked === 1 ? '' : 's'} checked)` : 'no changed file a language server checks';
    return [c.green(`errors: ${what}`), ...notes];
  }
  return [c.red(`errors the branch adds against ${task.base.ref}: ${errors.added.length}`), ...errors.added.map((line) => `    ${line}`), ...notes];
}
