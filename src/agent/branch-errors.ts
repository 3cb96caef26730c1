import type { Config } from '../config/load.js';
import { gitOut } from '../git/exec.js';
import { readFilesAt } from '../git/read-files.js';
import type { Repo } from '../git/repo.js';
import { tipRef } from '../git/task-refs.js';
import type { TaskRecord } from '../git/task-store.js';
import { worktreeExists } from '../git/worktree.js';
import { formatDiagnostic } from '../lsp/diagnostics-format.js';
import { createLanguageServers } from '../lsp/registry.js';
import { findServer, languageOf } from '../lsp/servers.js';
import { Permissions } from '../permissions.js';
import { taskEnvironment } from '../secrets/task-env.js';
import { openDiagnosticsView } from './diagnostics-view.js';

/**
 * The errors a task's branch adds against its base, as the language servers see them: what
 * `agent review` shows and what `agent merge` warns about. The servers run on the task's worktree
 * (the branch as it is there), once with the branch's files and once with the base's, so an error
 * the base already had is not counted. A server that would run the project's own code (it needs
 * the command sandbox a running task has) is not started here: its files are named as not checked.
 */
export interface BranchErrors {
  /** One line each: `src/a.ts:3:7 error TS2322: ...`. */
  added: string[];
  /** Files whose errors could not be had (no server answered in time). */
  unknown: string[];
  /** Files of a language no server here checks (none installed, or one that runs project code). */
  unchecked: string[];
  /** How many changed files were checked. */
  checked: number;
}

export async function branchErrors(repo: Repo, task: TaskRecord, config: Config): Promise<BranchErrors | undefined> {
  if (!worktreeExists(task.worktree)) return undefined;
  const changed = (await gitOut(['diff', '--name-only', '-z', task.base.commit, tipRef(task), '--'], { cwd: repo.root }))
    .split('\0')
    .filter((path) => path !== '' && languageOf(path, config.lsp));
  const result: BranchErrors = { added: [], unknown: [], unchecked: [], checked: 0 };
  if (changed.length === 0) return result;
  const safe = new Set<string>();
  for (const language of new Set(changed.map((path) => languageOf(path, config.lsp) ?? ''))) {
    const server = await findServer(language, config.lsp, task.worktree);
    if (server && !server.runsProjectCode) safe.add(language);
  }
  const files = changed.filter((path) => safe.has(languageOf(path, config.lsp) ?? ''));
  result.unchecked = changed.filter((path) => !files.includes(path));
  if (files.length === 0) return result;
  const servers = createLanguageServers({ root: task.worktree, checkout: repo.root, overrides: config.lsp, env: taskEnvironment(config) });
  try {
    const view = await openDiagnosticsView(servers, task.worktree, files, new Permissions(config.permissions));
    if (!view) return { ...result, unchecked: changed };
    const base = await readFilesAt(repo.root, task.base.commit, files);
    // The view starts from the branch's files; shown the base's, what it "removes" is what the branch adds.
    const delta = await view.compare(new Map(files.map((path) => [path, base.get(path)?.toString('utf8') ?? null])));
    return {
      ...result,
      added: delta.removed.filter((d) => d.severity === 'error').map(formatDiagnostic),
      unknown: delta.unknown,
      checked: files.length,
    };
  } finally {
    await servers.shutdownAll();
  }
}
