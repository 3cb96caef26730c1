import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, loadConfig } from '../config/load.js';
import { userConfigDir } from '../config/paths.js';
import { AgentError } from '../errors.js';
import { type Check, fail, ok, warn } from './check.js';
import { gitChecks } from './git-checks.js';
import { lspChecks } from './lsp-checks.js';
import { modelChecks } from './model-checks.js';
import { sandboxCheck } from './sandbox-checks.js';
import { taskWorktreeChecks } from './task-checks.js';

export interface DoctorOptions {
  /** The folder doctor runs in; its repository's config counts when there is one. */
  cwd: string;
  /** `--model`: check this model instead of the configured one; the one way to contact a remote one. */
  model?: string;
}

/**
 * Every check, in the order they are shown: git, the repository, its tasks' worktrees, the config, the model, the
 * command sandbox, the language servers. Problems are data (a `warn` or `fail` check), never thrown. With a config that
 * does not load, the model and language servers are not checked: which ones the user meant is not
 * known.
 */
export async function runDoctor(options: DoctorOptions): Promise<Check[]> {
  const git = await gitChecks(options.cwd);
  const tasks = await taskWorktreeChecks(git.repoRoot);
  const loaded = checkConfig(git.repoRoot, options.model);
  if (!loaded.config) return [...git.checks, ...tasks, loaded.check];
  const [model, sandbox, lsp] = await Promise.all([
    modelChecks(loaded.config, options.model !== undefined),
    sandboxCheck(loaded.config.sandbox.enabled),
    lspChecks(loaded.config.lsp, git.repoRoot ?? options.cwd, git.repoRoot),
  ]);
  return [...git.checks, ...tasks, loaded.check, ...model, sandbox, ...lsp];
}

function checkConfig(repoRoot: string | undefined, model: string | undefined): { check: Check; config?: Config } {
  try {
    const config = loadConfig(repoRoot, model ? { model } : {});
    const files = [join(userConfigDir(), 'config.json'), ...(repoRoot ? [join(repoRoot, '.hunkwise', 'config.json')] : [])];
    const read = files.filter((file) => existsSync(file));
    const untrusted = config.untrusted;
    if (untrusted) {
      const state = untrusted.declined ? 'you said no to these settings of' : 'these settings wait for your agreement in';
      const detail = `valid, but ${state} ${untrusted.file}, so they are not applied:\n${untrusted.wants.map((want) => `  • ${want}`).join('\n')}`;
      return { check: warn('config', detail, untrusted.declined ? undefined : 'Start a task in a terminal (agent task "...") to answer.'), config };
    }
    return { check: ok('config', read.length ? `valid: ${read.join(', ')}` : 'built-in defaults (no config file)'), config };
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    const detail = `${error.message}\nThe model and the language servers are checked once the config loads.`;
    return { check: fail('config', detail, error.hint) };
  }
}
