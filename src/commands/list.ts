import { gitOut } from '../git/exec.js';
import { openRepoWithBranches } from '../git/repo.js';
import { isClosed, loadTasks, type TaskRecord } from '../git/task-store.js';
import { worktreeExists } from '../git/worktree.js';

export interface ListOptions {
  json?: boolean;
  /** The merged and aborted tasks too; by default only what is open. */
  all?: boolean;
}

export interface TaskSummary {
  id: string;
  branch: string;
  status: TaskRecord['status'] | 'missing';
  steps: number;
  models: string[];
  locality: TaskRecord['locality'];
  base: string;
  instruction: string;
  createdAt: string;
  worktree: string;
  /** Whether the worktree is there now (a merged, aborted or pruned task's is removed). */
  worktreeExists: boolean;
  /** An open task whose worktree was deleted by hand (`agent task --resume` makes it again). */
  worktreeMissing: boolean;
}

export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** The tasks of the repository, from their state files and one git process (two before a first commit). */
export async function listTasks(cwd: string): Promise<TaskSummary[]> {
  const opened = await openRepoWithBranches(cwd, 'agent/*');
  const { repo } = opened;
  const refs = opened.branches ?? (await gitOut(['for-each-ref', '--format=%(refname)', 'refs/heads/agent/'], { cwd })).split('\n');
  const branches = new Set(refs.map((ref) => ref.slice('refs/heads/'.length)));
  const tasks = loadTasks(repo.commonDir);
  return tasks.map((task) => {
    const exists = worktreeExists(task.worktree);
    return {
    id: task.id,
    branch: task.branch,
    // A task whose branch is not made yet (it is, while the model reads the first prompt) is not missing it.
    status: !isClosed(task) && task.root !== '' && !branches.has(task.branch) ? 'missing' : task.status,
    steps: task.steps,
    models: task.models,
    locality: task.locality,
    base: task.base.ref,
    instruction: task.instruction,
    createdAt: task.createdAt,
    worktree: task.worktree,
    worktreeExists: exists,
    worktreeMissing: !isClosed(task) && !exists,
    };
  });
}

export async function listCommand(options: ListOptions): Promise<void> {
  const every = await listTasks(process.cwd());
  const tasks = options.all ? every : every.filter((t) => !isClosed(t));
  if (options.json) {
    process.stdout.write(`${JSON.stringify(tasks)}\n`);
    return;
  }
  if (tasks.length === 0) {
    const closed = every.length - tasks.length;
    process.stdout.write(
      closed > 0
        ? `No open tasks (${closed} merged or aborted: agent list --all). Start one with: agent task "<instruction>"\n`
        : 'No tasks in this repository. Start one with: agent task "<instruction>"\n',
    );
    return;
  }
  const rows = [
    ['ID', 'STATUS', 'STEPS', 'MODEL', 'BASE', 'AGE', 'BRANCH'],
    ...tasks.map((t) => [t.id, t.status, String(t.steps), t.models.join(','), t.base, age(t.createdAt), t.branch]),
  ];
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0))) ?? [];
  for (const row of rows) {
    process.stdout.write(`${row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0))).join('  ')}\n`);
  }
  for (const task of tasks.filter((t) => t.worktreeMissing)) process.stderr.write(`${missingWorktreeNote(task)}\n`);
}

/** What to say of an open task whose worktree was deleted by hand. */
export const missingWorktreeNote = (task: { id: string; branch: string; worktree: string }): string =>
  `Task ${task.id}: its worktree ${task.worktree} was deleted by hand; agent task --resume ${task.id} makes it again from ${task.branch}, which holds every step.`;
