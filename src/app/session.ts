import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, loadConfig, taskNumCtx } from '../config/load.js';
import { worktreesDir } from '../config/paths.js';
import { AgentError, messageOf, TaskFault } from '../errors.js';
import { faultPoint } from '../fault.js';
import { git } from '../git/exec.js';
import { findTask } from '../git/find-task.js';
import { openRepo, type Repo, requireNoOperation, requireStartableHead, resolveCommit } from '../git/repo.js';
import { createTaskRecord, makeTaskWorktree } from '../git/task-branch.js';
import { lockTask } from '../git/task-lock.js';
import { isClosed, loadTask, saveTask, type TaskRecord } from '../git/task-store.js';
import { recordTrust, type UntrustedRepoConfig } from '../config/trust.js';
import { type TaskWorktree, worktreeExists } from '../git/worktree.js';
import { catalogSource, missingKey } from '../model/catalog.js';
import { createProvider } from '../model/index.js';
import { parseModelName } from '../model/model-name.js';
import { ModelError, type ModelInfo, type ModelProvider } from '../model/types.js';
import { Conversation } from '../agent/conversation.js';
import { taskThink } from '../model/thinking.js';
import { SYSTEM_PROMPT } from '../agent/prompt.js';
import { ask, fullRefName, refExists } from '../git/queries.js';

/** Everything a task run needs, set up and checked before the first model request. */
export interface Session {
  repo: Repo;
  config: Config;
  task: TaskRecord;
  provider: ModelProvider;
  conversation: Conversation;
  numCtx: number;
  resumed: boolean;
  /** Releases the task's lock: one process at a time runs a task. */
  unlock: () => void;
  /** The task's worktree: a new task makes it once the first request is on its way. */
  worktree: TaskWorktree;
  /** What the user must be told before the task starts (a repository config not applied). */
  notices: string[];
}

type OpenedSession = Omit<Session, 'notices'> & { notices?: string[] };

export interface SessionRequest {
  cwd: string;
  instruction?: string;
  /** `--model`: named on the command line for this task. */
  model?: string;
  base?: string;
  resume?: string;
  /** Asks the person whether a repository config's settings may apply; absent without a terminal. */
  trust?: (untrusted: UntrustedRepoConfig) => Promise<boolean>;
}

export async function openSession(request: SessionRequest): Promise<Session> {
  if (!request.resume && !request.instruction?.trim()) {
    throw new AgentError('The task needs an instruction.', {
      hint: 'agent task "rename parseConfig to loadConfig" (or --resume <task> to continue one)',
      kind: 'usage',
    });
  }
  // Ends what the model server was asked when the session cannot open: an answer nobody waits for
  // must not keep the process alive (a server that never answers would hold it for minutes).
  const questions = new AbortController();
  const early = request.resume ? undefined : askEarly(request, questions.signal);
  try {
    const repo = await openRepo(request.cwd);
    const { config, notices } = await settleConfig(repo.root, request);
    const session = await (request.resume
      ? resumeSession(repo, config, request)
      : newSession(repo, config, request, early, questions.signal));
    return { ...session, notices: [...notices, ...(session.notices ?? [])] };
  } catch (error) {
    questions.abort();
    throw error;
  }
}

/** The provider of a model and what its server says of the model. */
type ModelAnswer = Promise<{ provider: ModelProvider; info: ModelInfo }>;

/** Asks the server of `config`'s model about it, at once; `signal` drops the question. */
function askModel(config: Config, namedOnCommandLine: boolean, signal?: AbortSignal): ModelAnswer {
  const answer = connect(config, namedOnCommandLine).then(async (provider) => ({
    provider,
    info: await provider.info(signal).catch(rethrowModelError),
  }));
  answer.catch(() => {}); // awaited by the session, or dropped
  return answer;
}

interface EarlyQuestion {
  config: Config;
  answer: ModelAnswer;
  drop: () => void;
}

/**
 * The model server asked while git finds the repository, about the model of the user's own config
 * (and the flags): the first request waits for that answer. Only a repository config that names
 * another model or server makes the question asked again; nothing is asked when the user's config
 * does not load (the real loading says why).
 */
function askEarly(request: SessionRequest, signal: AbortSignal): EarlyQuestion | undefined {
  let config: Config;
  try {
    config = loadConfig(undefined, request.model ? { model: request.model } : {});
  } catch {
    return undefined;
  }
  const dropped = new AbortController();
  const answer = askModel(config, request.model !== undefined, AbortSignal.any([signal, dropped.signal]));
  return { config, answer, drop: () => dropped.abort() };
}

/** Whether two configs name the same model on the same server, with the same settings. */
function sameModel(a: Config, b: Config): boolean {
  const { provider } = parseModelName(a.model);
  return a.model === b.model && JSON.stringify(a.providers[provider]) === JSON.stringify(b.providers[provider]);
}

/**
 * The config, with what the repository's config asks for beyond tightening applied only once the
 * person agreed to that content of the file in this repository: asked once (the answer is
 * remembered for this repository and content), refused without a terminal; either way the person
 * is told what was left out.
 */
async function settleConfig(root: string, request: SessionRequest): Promise<{ config: Config; notices: string[] }> {
  const flags = request.model ? { model: request.model } : {};
  const config = loadConfig(root, flags);
  const untrusted = config.untrusted;
  if (!untrusted) return { config, notices: [] };
  if (!untrusted.declined && request.trust) {
    const agreed = await request.trust(untrusted);
    recordTrust(untrusted, agreed ? 'yes' : 'no');
    if (agreed) return { config: loadConfig(root, flags), notices: [] };
  }
  const why = untrusted.declined
    ? 'you said no to this content of the file earlier in this repository (a change to it asks again)'
    : request.trust
      ? 'you said no'
      : 'there is no terminal to ask (run the task in a terminal to agree, or put them in your own config)';
  const wants = untrusted.wants.map((want) => `\n  • ${want}`).join('');
  return { config, notices: [`Not applied from ${untrusted.file}, because ${why}:${wants}`] };
}

async function newSession(
  repo: Repo,
  config: Config,
  request: SessionRequest,
  early: EarlyQuestion | undefined,
  signal: AbortSignal,
): Promise<OpenedSession> {
  const instruction = request.instruction?.trim() ?? '';
  const asked = early !== undefined && sameModel(early.config, config);
  if (early && !asked) early.drop();
  const model = asked ? early.answer : askModel(config, request.model !== undefined, signal);
  const base = await startingPoint(repo, request.base);
  const { provider, info } = await model;
  const numCtx = taskNumCtx(config.contextWindow, info.contextLength);
  const task = createTaskRecord({
    repo,
    instruction,
    base,
    model: `${provider.provider}/${provider.model}`,
    locality: provider.locality,
    worktreesDir: worktreesDir(repo.root, repo.commonDir),
  });
  faultPoint('task:created');
  task.numCtx = numCtx;
  // A model that says it has no tool calling gets its tools described in the prompt instead.
  if (info.capabilities.length > 0 && !info.capabilities.includes('tools')) task.toolProtocol = 'text';
  const think = taskThink(config.think, info.capabilities, provider.model);
  if (think.think !== undefined) task.think = think.think;
  saveTask(repo.commonDir, task);
  const unlock = lockTask(repo.commonDir, task.id);
  const conversation = openConversation(repo.commonDir, task);
  const worktree = whenStarted(() =>
    makeTaskWorktree(repo, task, false).catch((error: unknown) => {
      // What the failure already says to do (set git's identity, say) comes first.
      const fix = error instanceof AgentError && error.hint ? `${error.hint}\nThen ` : 'Nothing of the task is lost: ';
      throw new TaskFault(`The worktree of task ${task.id} could not be made at ${task.worktree}: ${messageOf(error)}`, {
        hint: `${fix}agent task --resume ${task.id} tries again.`,
        cause: error,
      });
    }),
  );
  return { repo, config, task, provider, conversation, numCtx, resumed: false, unlock, worktree, notices: think.notice ? [think.notice] : [] };
}

/**
 * The task's conversation, which opens with the system prompt and the instruction. A task killed
 * before both were written gets what is missing on resume: it goes on knowing what it is for.
 */
function openConversation(commonDir: string, task: TaskRecord): Conversation {
  const conversation = Conversation.open(commonDir, task.id);
  if (conversation.messages.length === 0) conversation.append({ role: 'system', content: SYSTEM_PROMPT });
  if (conversation.messages.length === 1) conversation.append({ role: 'user', content: task.instruction });
  return conversation;
}

async function resumeSession(repo: Repo, config: Config, request: SessionRequest): Promise<OpenedSession> {
  const found = findTask(repo.commonDir, request.resume ?? '');
  if (isClosed(found)) {
    throw new AgentError(`Task ${found.id} is ${found.status}: there is nothing to resume.`, {
      hint: 'Start a new task with agent task "<instruction>".',
      kind: 'usage',
    });
  }
  const unlock = lockTask(repo.commonDir, found.id);
  try {
    return await resumeLocked(repo, config, request, loadTask(repo.commonDir, found.id) ?? found, unlock);
  } catch (error) {
    unlock();
    throw error;
  }
}

async function resumeLocked(
  repo: Repo,
  config: Config,
  request: SessionRequest,
  task: TaskRecord,
  unlock: () => void,
): Promise<OpenedSession> {
  const model = request.model ?? task.models.at(-1) ?? config.model;
  const provider = await connect({ ...config, model }, request.model !== undefined || task.locality === 'remote');
  const info = await provider.info().catch(rethrowModelError);
  if (info.capabilities.length > 0) task.toolProtocol = info.capabilities.includes('tools') ? 'native' : 'text';
  // Another model for the rest of the task thinks as that model can; the same model as before.
  if (request.model !== undefined || !('think' in task)) {
    const think = taskThink(config.think, info.capabilities, provider.model).think;
    if (think === undefined) delete task.think;
    else task.think = think;
  }
  // A task killed right after it was made has no num_ctx yet: it gets the one it would have had.
  task.numCtx ??= taskNumCtx(config.contextWindow, info.contextLength);
  const name = `${provider.provider}/${provider.model}`;
  if (!task.models.includes(name)) task.models.push(name);
  const remade = await ensureWorktree(repo, task);
  const conversation = openConversation(repo.commonDir, task);
  task.status = 'active';
  saveTask(repo.commonDir, task);
  return {
    repo,
    config,
    task,
    provider,
    conversation,
    numCtx: task.numCtx,
    resumed: true,
    notices: remade
      ? [`The worktree ${task.worktree} had been deleted by hand; it was made again from ${task.branch}, which holds every step.`]
      : [],
    unlock,
    worktree: whenStarted(async () => {}),
  };
}

/** A worktree that `make` makes once, at the first `start()`. */
function whenStarted(make: () => Promise<void>): TaskWorktree {
  let begin = (): void => {};
  const ready = new Promise<void>((resolve) => {
    begin = resolve;
  }).then(make);
  ready.catch(() => {}); // awaited before the first tool runs, and at the end of the task
  return {
    ready,
    start() {
      begin();
      return ready;
    },
  };
}

async function startingPoint(repo: Repo, base: string | undefined): Promise<{ ref: string; commit: string }> {
  if (!base) {
    const head = await requireStartableHead(repo);
    return { ref: head.branch, commit: head.commit };
  }
  requireNoOperation(repo, 'start the task again');
  const commit = await resolveCommit(repo, base);
  const name = (await ask(fullRefName(base), { cwd: repo.root })) ?? '';
  // HEAD moves: a task started from a detached HEAD records the commit it started from.
  const ref = name.startsWith('refs/heads/') ? name.slice('refs/heads/'.length) : /^(HEAD|@)/.test(base) ? commit.slice(0, 12) : base;
  return { ref, commit };
}

/** The provider of the configured model; a remote one only when named on the command line. */
async function connect(config: Config, namedOnCommandLine: boolean): Promise<ModelProvider> {
  const { provider, model } = parseModelName(config.model);
  const source = catalogSource(provider, config.providers);
  const baseUrl = config.providers[provider]?.baseUrl ?? source.baseUrl;
  const created = await createProvider({
    provider,
    model,
    baseUrl,
    api: source.api,
    apiKey: source.apiKey,
    apiKeyEnv: source.apiKeyEnv,
    declaredLocal: config.providers[provider]?.local === true,
  });
  if (created.locality === 'remote' && !namedOnCommandLine) {
    throw new AgentError(
      `The model ${config.model} is served from ${baseUrl}, which is not this machine, and it was not named for this task.`,
      {
        hint:
          `hunkwise sends code off the machine only when you ask for one task: agent task --model ${config.model} "..."\n` +
          `If that server is a machine of your own, declare it in your user config: "providers": { "${provider}": { "local": true } }`,
        kind: 'usage',
      },
    );
  }
  const missing = created.locality === 'remote' ? missingKey(source) : undefined;
  if (missing) {
    throw new AgentError(`${provider} needs an API key, and ${missing} is not set.`, {
      hint: `export ${missing}=... (the key of ${baseUrl}), then run the task again.`,
      kind: 'usage',
    });
  }
  return created;
}

function rethrowModelError(error: unknown): never {
  if (error instanceof ModelError) throw new AgentError(error.message, { hint: error.hint, cause: error });
  throw error;
}

/**
 * A worktree whose checkout was stopped half-way: `git worktree add` keeps the worktree locked
 * ("initializing") until its checkout is complete, and hunkwise never locks one otherwise.
 */
function halfMade(worktree: string): boolean {
  try {
    const gitDir = readFileSync(join(worktree, '.git'), 'utf8').replace(/^gitdir:\s*/, '').trim();
    return existsSync(join(gitDir, 'locked'));
  } catch {
    return false;
  }
}

/**
 * A worktree deleted by hand is made again from the task branch, which holds every step. True
 * when it had to be made again.
 */
async function ensureWorktree(repo: Repo, task: TaskRecord): Promise<boolean> {
  if (worktreeExists(task.worktree) && !halfMade(task.worktree)) return false;
  if (worktreeExists(task.worktree)) {
    // Killed while git was checking it out: what is there is a part of the branch, made again.
    await git(['worktree', 'remove', '--force', '--force', task.worktree], { cwd: repo.root });
  }
  if (existsSync(task.worktree) && readdirSync(task.worktree).length > 0) {
    throw new AgentError(`${task.worktree}, the worktree of task ${task.id}, is no longer a git worktree (its .git file is gone).`, {
      hint: `Move that folder away (anything in it that is not on ${task.branch} is not part of the task), then run agent task --resume ${task.id} again: it makes the worktree again from the branch.`,
    });
  }
  await git(['worktree', 'prune'], { cwd: repo.root });
  const branch = await ask(refExists(`refs/heads/${task.branch}`), { cwd: repo.root });
  // A task stopped before its branch was made (it is made with the worktree) has no step to lose.
  if (!branch && task.steps > 0) {
    throw new AgentError(`The branch ${task.branch} of task ${task.id} no longer exists.`, {
      hint: `Nothing can be resumed; agent abort ${task.id} records the task as given up.`,
    });
  }
  await makeTaskWorktree(repo, task, branch);
  return true;
}
