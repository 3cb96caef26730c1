import { restoreFromHead } from '../git/commit-step.js';
import { changedPaths } from '../git/read-files.js';
import type { LanguageServers } from '../lsp/registry.js';
import { LspError } from '../lsp/types.js';
import { saveTask, type TaskRecord } from '../git/task-store.js';
import { addUsage } from '../git/trailers.js';
import type { TaskWorktree } from '../git/worktree.js';
import { AgentError, TaskFault } from '../errors.js';
import { faultPoint } from '../fault.js';
import type { ChatMessage, ModelProvider, ToolCall } from '../model/types.js';
import { type Allowance, createActionGate } from './approvals.js';
import type { TaskSandbox } from './command-sandbox.js';
import type { Permissions } from '../permissions.js';
import type { Conversation } from './conversation.js';
import { ContextWindow } from './context-window.js';
import type { AgentEvent, InstructionQuestion, TaskEnd, TaskIO } from './events.js';
import type { StepContext } from './step.js';
import { clearJournal, readJournal } from './step-journal.js';
import type { Tool, ToolContext, ToolResult } from './tool.js';
import { toolDefinitions } from './tools/index.js';
import { formatTranscript } from './transcript.js';
import { type Generation, type PromptHistory, overflowError, runTurn, type TurnSetup } from './turn.js';
import { validateArgs } from './validate-args.js';
import { textProtocolRender } from './wire.js';
import { worktreeChanges } from './worktree-changes.js';
import { byCodeUnits } from '../order.js';

export interface RunTaskOptions {
  commonDir: string;
  task: TaskRecord;
  provider: ModelProvider;
  conversation: Conversation;
  tools: Tool[];
  /** The person at the terminal; undefined without one (what would ask is refused). */
  io: TaskIO | undefined;
  /** Classes approved without asking (`--approve`). */
  approved: ReadonlySet<string>;
  /** The config's permission rules. */
  permissions: Permissions;
  numCtx: number;
  maxTurns: number;
  run: { timeoutMs: number; outputLimit: number };
  signal: AbortSignal;
  emit: (event: AgentEvent) => void;
  /** A resumed task first completes a step a kill interrupted and reviews leftover changes. */
  resumed: boolean;
  /** An instruction given with --resume: the model gets it once what was pending is settled. */
  followUp?: string;
  /** Started once the first request is on its way; the tools wait for it. */
  worktree: TaskWorktree;
  /** The task's language servers (started lazily by the first question that needs one). */
  servers?: LanguageServers;
  /** How the task's commands run. */
  sandbox: TaskSandbox;
  /** Ctrl-C stops the generation in progress through it; the user then steers. */
  generation: Generation;
}

/**
 * Runs a task until the model finishes and the user has no follow-up, the turn limit, a model
 * failure or an interrupt. Everything it does is reported through `emit`; everything approved is
 * committed on the task branch as it happens, so the task can be resumed from any point.
 */
export async function runTask(options: RunTaskOptions): Promise<TaskEnd> {
  const { conversation, task, emit } = options;
  const model = `${options.provider.provider}/${options.provider.model}`;
  const allowances: Allowance[] = [...(task.allowances ?? [])];
  const stepContext: StepContext = {
    commonDir: options.commonDir,
    task,
    model,
    locality: options.provider.locality,
    io: options.io,
    approveEdits: options.approved.has('edit'),
    permissions: options.permissions,
    emit,
    transcript: () => formatTranscript(conversation.messages.slice(task.noteFrom ?? 0)),
    usage: () => task.usage,
    servers: options.servers,
  };
  const toolContext = (explanation: string): ToolContext => ({
    root: task.worktree,
    base: task.base.commit,
    signal: options.signal,
    run: options.run,
    servers: options.servers,
    permissions: options.permissions,
    sandbox: options.sandbox,
    approve: createActionGate({
      permissions: options.permissions,
      approved: options.approved,
      allowances,
      io: options.io,
      emit,
      remember: (allowance) => {
        task.allowances = [...(task.allowances ?? []), allowance];
        saveTask(options.commonDir, task);
      },
      confinement: () => options.sandbox.confinement(),
    }),
    // Loaded at the first edit (with the diff library): the first request does not wait for it.
    propose: async (proposal) => (await import('./step.js')).proposeStep(stepContext, proposal, explanation),
    commandStarting: () => {
      task.commandStarted = true;
      saveTask(options.commonDir, task);
      emit({ type: 'command_start' });
    },
    commandOutput: (text) => emit({ type: 'command_output', text }),
  });
  const record = (message: ChatMessage): void => {
    conversation.append(message);
    if (message.role === 'tool' && task.commandStarted) {
      delete task.commandStarted;
      saveTask(options.commonDir, task);
    }
    if (readJournal(options.commonDir, task.id)) {
      faultPoint('step:recorded');
      clearJournal(options.commonDir, task.id);
      task.noteFrom = conversation.messages.length;
      task.usage = undefined;
      saveTask(options.commonDir, task);
    }
  };
  let setup = turnSetup(options);
  const calls: CallRunner = { options, record, window: () => setup.window, repeats: new RepeatWatch() };

  if (options.resumed) {
    await repairWorktree(options);
    await finishInterruptedStep(options, stepContext, record);
    const leftover = await reviewLeftoverChanges(options, toolContext(''));
    answerInterruptedCommand(options, leftover, record);
  }
  const pending = conversation.pendingCalls();
  let outcome = await runCalls(calls, pending.calls, toolContext(pending.explanation));
  const last = conversation.messages.at(-1);
  if (last?.role === 'tool' && last.toolName === 'finish') outcome = 'finished';
  if (options.followUp) {
    record({ role: 'user', content: options.followUp });
    outcome = 'continue';
  } else if (options.resumed && outcome !== 'finished' && conversation.messages.at(-1)?.role === 'assistant') {
    // Resumed without an instruction, the model's last answer not a finish: the task goes on.
    record({ role: 'user', content: RESUMED });
  }
  const history: PromptHistory = { tokens: 0 };
  let emptyAnswers = 0;

  for (let turn = 1; ; turn++) {
    if (outcome === 'repeating') {
      const instruction = await ask(options, { kind: 'repeat', action: calls.repeats.action });
      if (!instruction) {
        emit({ type: 'error', message: `The model repeated ${calls.repeats.action} three times in a row; the task is stopped.`, hint: `Resume it with an instruction: agent task --resume ${task.id} "..."` });
        return 'failed';
      }
      record({ role: 'user', content: instruction });
    } else if (outcome === 'finished' || conversation.messages.at(-1)?.role === 'assistant') {
      const followUp = await ask(options, { kind: 'follow_up' });
      if (!followUp) return 'finished';
      record({ role: 'user', content: followUp });
    }
    outcome = 'continue';
    if (turn > options.maxTurns) {
      emit({ type: 'notice', message: `Stopped after ${options.maxTurns} model turns (--max-steps).` });
      return 'max_steps';
    }
    const answer = await runTurn(setup, conversation.messages, turn, history);
    if (setup.window.shortened.size !== (task.shortened?.length ?? 0)) {
      task.shortened = [...setup.window.shortened].sort((a, b) => a - b);
      saveTask(options.commonDir, task);
    }
    if (answer.kind === 'overflow') {
      const error = overflowError(answer.tokens, answer.budget, options.numCtx);
      emit({ type: 'error', message: error.message, hint: error.hint });
      return 'failed';
    }
    if (answer.kind === 'error') {
      if (answer.error.kind === 'aborted') return 'interrupted';
      if (answer.error.kind === 'tools_unsupported' && task.toolProtocol !== 'text') {
        task.toolProtocol = 'text';
        saveTask(options.commonDir, task);
        setup = turnSetup(options);
        emit({ type: 'notice', message: TEXT_PROTOCOL_NOTICE(options.provider.model) });
        turn--;
        continue;
      }
      emit({ type: 'error', message: answer.error.message, hint: answer.error.hint });
      return 'failed';
    }
    if (answer.kind === 'stopped') {
      emit({ type: 'notice', message: 'Stopped the model (Ctrl-C).' });
      if (answer.text) record({ role: 'assistant', content: `${answer.text} [stopped by the user]` });
      const steer = await ask(options, { kind: 'steer' });
      if (!steer) return 'interrupted';
      record({ role: 'user', content: steer });
      continue;
    }
    emptyAnswers = answer.calls.length === 0 && answer.text.trim() === '' ? emptyAnswers + 1 : 0;
    if (emptyAnswers === 2) {
      emit({ type: 'error', message: 'The model answered nothing, twice in a row; the task is stopped.', hint: `Resume it with an instruction: agent task --resume ${task.id} "..."` });
      return 'failed';
    }
    record({
      role: 'assistant',
      content: answer.text,
      ...(answer.thinking ? { thinking: answer.thinking } : {}),
      ...(answer.calls.length ? { toolCalls: answer.calls } : {}),
      ...(answer.textCalls ? { textCalls: true } : {}),
    });
    outcome = await runCalls(calls, answer.calls, toolContext(answer.text));
    if (answer.problems.length > 0) {
      // Calls written as text that could not be read: the model is told what was wrong.
      const problems = answer.problems.join('\n\n');
      emit({ type: 'tool_result', tool: 'tool call', content: problems, isError: true });
      record({ role: 'user', content: problems });
    }
  }
}

/** What a task resumed without an instruction tells the model, after its own last answer. */
const RESUMED = 'The task was stopped and is resumed now: go on with it where you left off, and call finish when it is done.';

/** How a model that does not call tools natively is told about its tools: one notice. */
const TEXT_PROTOCOL_NOTICE = (model: string): string =>
  `${model} does not call tools natively: its tools are described in the prompt and its calls read from its answers.`;

/** Asks the person at the terminal; without one, the answer is '' (stop here). */
const ask = (options: RunTaskOptions, question: InstructionQuestion): Promise<string> =>
  options.io ? options.io.askInstruction(question) : Promise.resolve('');

function turnSetup(options: RunTaskOptions): TurnSetup {
  const definitions = toolDefinitions(options.tools);
  const text = options.task.toolProtocol === 'text';
  return {
    provider: options.provider,
    numCtx: options.numCtx,
    window: new ContextWindow({
      numCtx: options.numCtx,
      tools: text ? [] : definitions,
      shortened: options.task.shortened,
      render: text ? textProtocolRender(definitions) : undefined,
    }),
    tools: text ? [] : definitions,
    toolSpecs: definitions,
    think: options.task.think,
    signal: options.signal,
    onRequestSent: () => void options.worktree.start(),
    generation: options.generation,
    emit: (event) => {
      if (event.type === 'turn_end') {
        const { promptTokens, evalTokens } = event.stats;
        options.task.usage = addUsage(options.task.usage, { promptTokens, generatedTokens: evalTokens, ms: event.ms });
      }
      options.emit(event);
    },
  };
}

/** What running an answer's calls led to. */
type CallsOutcome = 'continue' | 'finished' | 'repeating';

interface CallRunner {
  options: RunTaskOptions;
  record: (message: ChatMessage) => void;
  window: () => ContextWindow;
  repeats: RepeatWatch;
}

/**
 * Three identical calls in a row mean a small model is stuck in a loop: the third is not run,
 * and the user is asked what the model should do instead.
 */
class RepeatWatch {
  private last = '';
  private count = 0;
  action = '';

  /** Counts `call`; true when it is the third identical call in a row. */
  repeated(call: ToolCall): boolean {
    const key = `${call.name}\0${stableJson(call.arguments)}`;
    this.count = key === this.last ? this.count + 1 : 1;
    this.last = key;
    if (this.count < 3) return false;
    this.action = `${call.name} ${stableJson(call.arguments)}`;
    this.count = 0;
    this.last = '';
    return true;
  }
}

const stableJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => byCodeUnits(a, b))) : v,
  );

/**
 * Runs the calls of one answer in order, each result recorded (cut to fit the context window).
 * Every call gets a result, also those not run after a repeated one.
 */
async function runCalls(runner: CallRunner, calls: ToolCall[], ctx: ToolContext): Promise<CallsOutcome> {
  let outcome: CallsOutcome = 'continue';
  if (calls.length > 0) await runner.options.worktree.start();
  for (const call of calls) {
    if (outcome !== 'repeating' && runner.repeats.repeated(call)) outcome = 'repeating';
    if (outcome === 'repeating') {
      const content = `Not run: the same call three times in a row. The user was asked what you should do instead.`;
      runner.options.emit({ type: 'tool_result', tool: call.name, content, isError: true });
      runner.record({ role: 'tool', toolName: call.name, content });
      continue;
    }
    const result = await runCall(runner.options, call, ctx);
    runner.record({ role: 'tool', toolName: call.name, content: runner.window().capResult(result.content) });
    if (result.finished) outcome = 'finished';
  }
  return outcome;
}

async function runCall(options: RunTaskOptions, call: ToolCall, ctx: ToolContext): Promise<ToolResult> {
  const { emit } = options;
  const tool = options.tools.find((candidate) => candidate.name === call.name);
  const fail = (content: string): ToolResult => {
    emit({ type: 'tool_result', tool: call.name, content, isError: true });
    return { content, isError: true };
  };
  if (!tool) {
    return fail(`There is no tool named "${call.name}". The tools are: ${options.tools.map((t) => t.name).join(', ')}.`);
  }
  const checked = validateArgs(tool.parameters, call.arguments, tool.name);
  if (!checked.ok) return fail(checked.error);
  emit({ type: 'tool_call', tool: tool.name, args: checked.args, action: tool.describe(checked.args) });
  let result: ToolResult;
  try {
    result = await tool.run(checked.args, ctx);
  } catch (error) {
    if (options.signal.aborted || error instanceof TaskFault) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const advice = error instanceof LspError ? ' Use grep and read_file instead.' : '';
    return fail(`${tool.name} failed: ${message}${advice}`);
  }
  if (tool.actionClass === 'run') {
    // The command is over: its output panel closes before the hunks of what it changed are asked about.
    emit({ type: 'command_end' });
    const effects = await proposeWorktreeChanges(ctx, `${tool.describe(checked.args)}`);
    if (effects) result = { ...result, content: `${result.content}\n\n${effects}` };
  }
  emit({ type: 'tool_result', tool: tool.name, content: result.content, isError: result.isError ?? false, details: result.details });
  return result;
}

/** A command may have changed files: those changes go through hunk approval like any edit. */
async function proposeWorktreeChanges(
  ctx: ToolContext,
  action: string,
  known?: string[],
): Promise<string | undefined> {
  const paths = known ?? (await changedPaths(ctx.root));
  if (paths.length === 0) return undefined;
  const { files, binary } = worktreeChanges(ctx.root, paths);
  const outcome = files.length ? await ctx.propose({ action, files }) : undefined;
  await restoreFromHead(ctx.root, binary);
  const notes = binary.map((path) => `${path} was changed by the command but is binary: the change was reverted.`);
  return [`The command changed files in the worktree.`, outcome?.content, ...notes].filter(Boolean).join('\n');
}

/**
 * Changes in the worktree that no step holds (a command killed before its changes were reviewed,
 * or edits made there by hand) are reviewed as hunks before the task goes on. Without a terminal
 * they are left alone and the task does not start: nothing is thrown away unasked.
 */
async function reviewLeftoverChanges(options: RunTaskOptions, ctx: ToolContext): Promise<string | undefined> {
  const paths = await changedPaths(options.task.worktree);
  if (paths.length === 0) return undefined;
  if (!options.io && !options.approved.has('edit')) {
    throw new AgentError(`The task's worktree has changes that are not on its branch: ${paths.join(', ')}.`, {
      hint: `Review them in a terminal (agent task --resume ${options.task.id}), or commit or discard them in ${options.task.worktree}.`,
    });
  }
  options.emit({ type: 'notice', message: `The worktree has changes no step holds (${paths.join(', ')}): review them.` });
  const outcome = await proposeWorktreeChanges(ctx, 'review changes found in the worktree', paths);
  if (outcome) options.emit({ type: 'notice', message: outcome });
  return outcome;
}

/**
 * A command the task stopped at (while asking, while it ran, or before its changes were reviewed)
 * is not run again on resume: it may have done its work, and a second run could do it twice. The
 * model is told what it left in the worktree and may call it again.
 */
function answerInterruptedCommand(
  options: RunTaskOptions,
  leftover: string | undefined,
  record: (message: ChatMessage) => void,
): void {
  const [first] = options.conversation.pendingCalls().calls;
  if (!first || options.tools.find((tool) => tool.name === first.name)?.actionClass !== 'run') return;
  // Stopped at the question (Ctrl-C), before the command started: it is asked again.
  if (!options.task.commandStarted) return;
  const content = `Not run again: the task was stopped before this command's result was kept (it may or may not have run), so its output is lost. ${leftover ?? 'The worktree held no change of it.'} Call it again if you still need it.`;
  options.emit({ type: 'tool_result', tool: first.name, content, isError: true });
  record({ role: 'tool', toolName: first.name, content });
}

/**
 * Before anything else on resume: a worktree index that names objects git no longer has (a
 * `git gc --prune=now` took them during a step) is set back to the branch tip, so that the step
 * can be committed again and the user's own `git gc` works; temporary notes refs of killed
 * processes go.
 */
async function repairWorktree(options: RunTaskOptions): Promise<void> {
  const { task } = options;
  const { repairIndex, isGcLoss } = await import('../git/step-objects.js');
  try {
    const lost = await repairIndex(task.worktree);
    if (lost.length > 0) {
      const named = lost.length > 3 ? `${lost.slice(0, 3).join(', ')} and ${lost.length - 3} more` : lost.join(', ');
      options.emit({
        type: 'notice',
        message: `The worktree's index named objects git no longer has (${named}; a git gc while the task ran?): it is set back to ${task.branch}.`,
      });
    }
  } catch (error) {
    // The branch tip itself lost: the interrupted step, made again from its journal, is that commit.
    if (!isGcLoss(error)) throw error;
  }
  await (await import('../git/notes.js')).pruneNoteTemps(task.worktree);
}

/** A step journaled before a kill is committed (or found committed) and its result recorded. */
async function finishInterruptedStep(
  options: RunTaskOptions,
  stepContext: StepContext,
  record: (message: ChatMessage) => void,
): Promise<void> {
  const journal = readJournal(options.commonDir, options.task.id);
  if (!journal) return;
  await (await import('./commit-journal.js')).commitJournal(stepContext, journal);
  options.emit({ type: 'notice', message: `Step ${journal.step} was approved before the task stopped; it is committed.` });
  const pending = options.conversation.pendingCalls();
  if (pending.calls.length > 0) record({ role: 'tool', toolName: pending.calls[0]?.name ?? 'tool', content: journal.outcome });
  else clearJournal(options.commonDir, options.task.id);
}
