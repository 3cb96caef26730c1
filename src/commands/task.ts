import type { AgentEvent, TaskIO } from '../agent/events.js';
import { runTask, type TaskOutcome } from '../agent/loop.js';
import { Generation } from '../agent/turn.js';
import { Permissions } from '../permissions.js';
import { createTaskSandbox, type TaskSandbox, unavailableNotice } from '../agent/command-sandbox.js';
import { openSession, type Session } from '../app/session.js';
import { TaskState } from '../agent/task-state.js';
import { userConfigDir, userStateDir } from '../config/paths.js';
import { findBwrap } from '../sandbox/support.js';
import { taskEnvironment } from '../secrets/task-env.js';
import { tools } from '../agent/tools/index.js';
import { AgentError, isDiskFull } from '../errors.js';
import { worktreeExists } from '../git/worktree.js';
import { createColors } from '../ui/color.js';
import { createCommandLog } from '../ui/command-log.js';
import { createTaskStop, diskFullError } from '../agent/task-stop.js';
import { createJsonView, createTaskView } from '../ui/task-view.js';
import { createTerminalIO, isPromptCancelled } from '../ui/terminal-io.js';

export interface TaskOptions {
  model?: string;
  base?: string;
  resume?: string;
  approve?: string;
  maxSteps: number;
  json?: boolean;
}

const CLASSES = ['read', 'edit', 'run'];

export function parseApprove(value: string | undefined): Set<string> {
  if (!value) return new Set();
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  if (names.includes('all')) return new Set(CLASSES);
  const unknown = names.filter((name) => !CLASSES.includes(name));
  if (unknown.length) {
    throw new AgentError(`--approve does not know ${unknown.map((name) => `'${name}'`).join(', ')}.`, {
      hint: 'Give a comma list of read, edit, run, or all: --approve read,run',
      kind: 'usage',
    });
  }
  return new Set(names);
}

/**
 * How the task's commands run. Where bubblewrap is not even on PATH the person is told at the start;
 * where it is but cannot make a sandbox, at the first command (finding out costs a process).
 */
function taskSandbox(session: Session, permissions: Permissions, env: NodeJS.ProcessEnv, notice: (message: string) => void): TaskSandbox {
  const { config, task, repo } = session;
  const found = findBwrap();
  if (!config.sandbox.enabled) notice('Commands run without the sandbox, on your files and with the network: your config turns it off ("sandbox": { "enabled": false }).');
  else if (!found.ok) notice(unavailableNotice(found));
  let told = !found.ok;
  return createTaskSandbox({
    enabled: config.sandbox.enabled,
    worktree: task.worktree,
    commonDir: repo.commonDir,
    permissions,
    ownFolders: [userConfigDir(), userStateDir()],
    hide: config.sandbox.hide,
    env,
    notice: (message) => {
      if (!told) notice(message);
      told = true;
    },
  });
}

/** The person's questions, each of which stops the task when Ctrl-C cancels it. */
function stopOnCancel(io: TaskIO, controller: AbortController): TaskIO {
  const guard =
    <A extends unknown[], R>(ask: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await ask(...args);
      } catch (error) {
        if (isPromptCancelled(error)) controller.abort();
        throw error;
      }
    };
  return {
    approveAction: guard(io.approveAction),
    reviewHunks: guard(io.reviewHunks),
    askInstruction: guard(io.askInstruction),
    trustRepoConfig: guard(io.trustRepoConfig),
  };
}

export async function taskCommand(instruction: string | undefined, options: TaskOptions): Promise<void> {
  const approved = parseApprove(options.approve);
  const promptStream = options.json ? process.stderr : process.stdout;
  // Ctrl-C at any question stops the task, as it does anywhere else: the prompt's cancellation
  // aborts the task's signal, so no tool turns it into an answer for the model.
  const controller = new AbortController();
  // The last command's whole output, for the `o` key of the questions after it.
  const commands = createCommandLog();
  const io = process.stdin.isTTY && promptStream.isTTY ? stopOnCancel(createTerminalIO(promptStream, !options.json, commands), controller) : undefined;
  const session = await openSession({
    cwd: process.cwd(),
    instruction,
    model: options.model,
    base: options.base,
    resume: options.resume,
    trust: io?.trustRepoConfig,
  }).catch((error: unknown) => {
    // Ctrl-C at the question about the repository's config: nothing has started yet.
    if (isPromptCancelled(error)) throw new AgentError('Interrupted.', { kind: 'interrupted' });
    throw error;
  });
  const { task, provider, repo } = session;
  const shown = options.json
    ? createJsonView(process.stdout)
    : createTaskView(process.stdout, createColors(process.stdout), { live: process.stdout.isTTY === true, columns: process.stdout.columns || 80, outputKey: io !== undefined });
  const view = (event: AgentEvent): void => {
    commands.see(event);
    shown(event);
  };

  const { createLanguageServers } = await import('../lsp/registry.js');
  const env = taskEnvironment(session.config);
  const permissions = new Permissions(session.config.permissions);
  // What the sandbox has to say waits for the task's header.
  const held: string[] = [];
  let tell = (message: string): void => void held.push(message);
  const sandbox = taskSandbox(session, permissions, env, (message) => tell(message));
  const servers = createLanguageServers({
    root: task.worktree,
    checkout: repo.root,
    env,
    confine: async (argv) => {
      const wrapped = await sandbox.wrap(argv, false);
      return wrapped && { argv: [wrapped.file, ...wrapped.args], cleanup: wrapped.cleanup };
    },
    overrides: session.config.lsp,
    onNotice: (message) => view({ type: 'notice', message }),
  });
  session.worktree.ready
    .then(async () => (await import('../agent/prewarm.js')).prewarmLanguageServers(servers, task.worktree, session.config.lsp))
    .catch(() => {}); // a server that cannot start says so when it is asked

  // Ctrl-C while the model generates stops it and asks for a steering instruction (with a
  // terminal); any other Ctrl-C stops the task, and one more leaves at once.
  const generation = new Generation();
  const onInterrupt = (): void => {
    if (controller.signal.aborted) process.exit(130);
    if (io && generation.interrupt()) return;
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  const stop = createTaskStop(task);
  const state = new TaskState(repo.commonDir, task, session.conversation);

  view({
    type: 'task_start',
    task: task.id,
    branch: task.branch,
    worktree: task.worktree,
    model: `${provider.provider}/${provider.model}`,
    locality: provider.locality,
    numCtx: session.numCtx,
    resumed: session.resumed,
  });
  tell = (message) => view({ type: 'notice', message });
  for (const message of [...session.notices, ...held]) tell(message);
  session.worktree.ready.then(() => sandbox.warm()).catch(() => {}); // the first command learns what it needs itself
  if (task.toolProtocol === 'text') {
    view({ type: 'notice', message: `${provider.model} does not call tools natively: its tools are described in the prompt.` });
  }
  let outcome: TaskOutcome;
  try {
    outcome = await runTask({
      state,
      provider,
      tools: stop.guard(tools),
      io,
      approved,
      permissions,
      numCtx: session.numCtx,
      maxTurns: options.maxSteps,
      run: session.config.run,
      signal: controller.signal,
      emit: view,
      resumed: session.resumed,
      followUp: session.resumed ? instruction?.trim() || undefined : undefined,
      worktree: session.worktree,
      servers,
      generation,
      sandbox,
      faults: stop,
    });
  } finally {
    // Never leave while git is still making the worktree (a half-made one would need repairing),
    // nor without one: a task that stopped before its first request has one all the same.
    await session.worktree.start().catch(() => {});
    process.off('SIGINT', onInterrupt);
    await servers.shutdownAll();
    session.unlock();
  }
  let { end } = outcome;
  const stoppedBy = outcome.fault;
  try {
    state.close(end === 'finished' ? 'ready' : undefined);
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    // Said once: a task the disk stopped fails to save its state too.
    if (!stoppedBy || !isDiskFull(stoppedBy)) {
      const fault = diskFullError(task, error);
      view({ type: 'error', message: fault.message, hint: fault.hint });
    }
    end = 'failed';
  }
  if (end === 'finished' && !worktreeExists(task.worktree)) {
    view({
      type: 'notice',
      message: `The worktree ${task.worktree} was deleted while the task ran; every step is on ${task.branch}, and agent task --resume ${task.id} makes the worktree again.`,
    });
  }
  view({ type: 'done', status: end });
  if (!options.json) {
    const next =
      end === 'finished'
        ? `Review it with \`agent review ${task.id}\`, merge it with \`agent merge ${task.id}\`.`
        : `Continue it with \`agent task --resume ${task.id}\`.`;
    process.stdout.write(`\nTask ${task.id}: ${task.steps} step${task.steps === 1 ? '' : 's'} on ${task.branch}. ${next}\n`);
  }
  if (end === 'interrupted') {
    // The summary above already says how to go on; without it (--json) the hint does.
    throw new AgentError('Interrupted.', { kind: 'interrupted', ...(options.json ? { hint: `The task is kept: agent task --resume ${task.id}` } : {}) });
  }
  if (end === 'failed' || end === 'max_steps') process.exitCode = 1;
}
