import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FakeModel, type FakeOllama, type FakeScript, startFakeOllama } from '../fake-ollama/server.js';
import { type AgentRun, runAgent } from './agent.js';
import { makeRepo, type TestRepo } from './repo.js';
import { onlyTask } from './tasks.js';
import { fixtureFiles } from './fixture.js';
import { expect } from 'vitest';

export interface ScriptedTask {
  run: AgentRun;
  repo: TestRepo;
  server: FakeOllama;
  task: { id: string; branch: string; worktree: string; status: string };
  /** The last message of each model request after the first: the tool results, in order. */
  results: string[];
  /** `agent task --resume <id> --approve all` against the same server (re-script it first). */
  resume(): Promise<AgentRun>;
}

const open: { repo: TestRepo; server: FakeOllama }[] = [];

export interface ScriptedOptions {
  /** The user's config file (`$XDG_CONFIG_HOME/hunkwise/config.json`). */
  config?: object;
  models?: FakeModel[];
  /** Runs on the new repository before the agent starts (a symlink to commit, a snapshot to take). */
  prepare?: (repo: TestRepo) => void;
  /** `--approve` for the task (default `all`). */
  approve?: string;
  /** Where the repository and its home are made (default: the system's temporary folder). */
  under?: string;
  /** More environment for the agent (the user's shell variables, say). */
  env?: NodeJS.ProcessEnv;
  /** The repository's hash: SHA-1 (git's default) or SHA-256. */
  objectFormat?: 'sha1' | 'sha256';
}

/**
 * A repository made of `files`, the fake Ollama answering `script`, and `agent task` run to its
 * end without a terminal, every class approved. `closeScriptedTasks` (in afterEach) cleans up.
 */
export async function runScriptedTask(
  files: Record<string, string>,
  script: FakeScript,
  options: ScriptedOptions = {},
): Promise<ScriptedTask> {
  const server = await startFakeOllama({ script, models: options.models });
  const repo = makeRepo(files, { under: options.under, objectFormat: options.objectFormat });
  open.push({ repo, server });
  if (options.config) {
    mkdirSync(join(repo.home, '.config', 'hunkwise'), { recursive: true });
    writeFileSync(join(repo.home, '.config', 'hunkwise', 'config.json'), JSON.stringify(options.config));
  }
  options.prepare?.(repo);
  const env = { ...repo.env, ...options.env, OLLAMA_HOST: server.url };
  const run = await runAgent(['task', 'scripted', '--approve', options.approve ?? 'all'], { cwd: repo.root, env });
  const task = onlyTask(repo);
  const { id } = task;
  const results = server.chatRequests().slice(1).map((chat) => chat.messages.at(-1)?.content ?? '');
  const resume = () => runAgent(['task', '--resume', id, '--approve', 'all'], { cwd: repo.root, env });
  return { run, repo, server, task, results, resume };
}

/** A task over a fixture (test/fixtures/<name>) that must end well: nothing on stderr, exit 0. */
export async function runFixtureTask(fixture: string, script: FakeScript): Promise<ScriptedTask> {
  const done = await runScriptedTask(fixtureFiles(fixture), script);
  expect(done.run.stderr).toBe('');
  expect(done.run.code).toBe(0);
  return done;
}

export async function closeScriptedTasks(): Promise<void> {
  for (const { repo, server } of open.splice(0)) {
    await server.close();
    repo.cleanup();
  }
}
