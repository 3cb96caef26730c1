import type { LanguageServers } from '../lsp/registry.js';
import { LspError } from '../lsp/types.js';
import type { TaskWorktree } from '../git/worktree.js';
import { type AgentError, messageOf, TaskFault } from '../errors.js';
import type { ModelProvider, ToolCall } from '../model/types.js';
import type { Allowance } from './approval-policy.js';
import { createActionGate } from './approvals.js';
import type { TaskSandbox } from './command-sandbox.js';
import type { Permissions } from '../permissions.js';
import { ContextWindow } from './context-window.js';
import type { AgentEvent, InstructionQuestion, TaskEnd, TaskIO } from './events.js';
import type { StepContext } from './step.js';
import type { TaskState } from './task-state.js';
import type { TaskStop } from './task-stop.js';
import type { Tool, ToolContext, ToolResult } from './tool.js';
import { toolDefinitions } from './tools/index.js';
import { type Generation, type PromptHistory, overflowError, runTurn, type TurnSetup } from './turn.js';
import { stripToolCallText } from './text-tools.js';
import { validateArgs } from './validate-args.js';
import { textProtocolRender } from './wire.js';
import { proposeWorktreeChanges } from './worktree-changes.js';
import { byCodeUnits } from '../order.js';

export interface RunTaskOptions {
  /** The task, its conversation, and the one place both are saved. */
  state: TaskState;
  provider: ModelProvider;
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
  /** What the faults that stop a task (the disk full, the worktree deleted) are, said for a person. */
  faults: TaskStop;
}

/** How a task run ended, and the fault that stopped it when one did (already said through `emit`). */
export interface TaskOutcome {
  end: TaskEnd;
  fault?: AgentError;
}

/**
 * Runs a task until the model finishes and the user has no follow-up, the turn limit, a model
 * failure, a fault or an interrupt. Everything it does is reported through `emit`; everything
 * approved is committed on the task branch as it happens, so the task can be resumed from any
 * point. A fault that stops the task whatever the model would do next (the disk full, the
 * worktree deleted) is said and ends it `failed`; a stop by the task's signal ends it `interrupted`.
 */
export async function runTask(options: RunTaskOptions): Promise<TaskOutcome> {
  try {
    return { end: await runLoop(options) };
  } catch (error) {
    // The worktree may still be on its way (it is made while the model reads the first prompt): a
    // stop that early is an interruption, not a worktree deleted while the task ran.
    await options.worktree.start().catch(() => {});
    const fault = options.faults.explain(error);
    if (fault) {
      options.emit({ type: 'error', message: fault.message, hint: fault.hint });
      return { end: 'failed', fault };
    }
    if (options.signal.aborted) return { end: 'interrupted' };
    throw error;
  }
}

async function runLoop(options: RunTaskOptions): Promise<TaskEnd> {
  const { state, emit } = options;
  const { conversation, task } = state;
  const allowances: Allowance[] = [...(task.allowances ?? [])];
  const stepContext: StepContext = {
    state,
    model: `${options.provider.provider}/${options.provider.model}`,
    locality: options.provider.locality,
    io: options.io,
    approveEdits: options.approved.has('edit'),
    permissions: options.permissions,
    emit,
    servers: options.servers,
  };
  const toolContext = (said: string): ToolContext => ({
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
      remember: (allowance) => state.allow(allowance),
      confinement: () => options.sandbox.confinement(),
    }),
    // Loaded at the first edit (with the diff library): the first request does not wait for it.
    // What the model said before its calls explains the step in its commit: its prose, without
    // the call syntax some models write into their text (`[TOOL_CALLS]…`, a fenced call).
    propose: async (proposal) => (await import('./step.js')).proposeStep(stepContext, proposal, stripToolCallText(said, setup.toolSpecs)),
    commandStarting: () => {
      state.commandStarting();
      emit({ type: 'command_start' });
    },
    commandOutput: (text) => emit({ type: 'command_output', text }),
  });
  const record = state.record.bind(state);
  let setup = turnSetup(options);
  const calls: CallRunner = { options, record, window: () => setup.window, repeats: new RepeatWatch() };

  if (options.resumed) {
    const canReview = options.io !== undefined || options.approved.has('edit');
    await (await import('./resume.js')).settleInterrupted({ ...stepContext, canReview, tools: options.tools, toolContext: toolContext('') });
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
    state.shortened(setup.window.shortened);
    if (answer.kind === 'overflow') {
      const error = overflowError(answer.tokens, answer.budget, options.numCtx);
      emit({ type: 'error', message: error.message, hint: error.hint });
      return 'failed';
    }
    if (answer.kind === 'error') {
      if (answer.error.kind === 'aborted') return 'interrupted';
      if (answer.error.kind === 'tools_unsupported' && task.toolProtocol !== 'text') {
        state.useTextProtocol();
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
  const { task } = options.state;
  const definitions = toolDefinitions(options.tools);
  const text = task.toolProtocol === 'text';
  return {
    provider: options.provider,
    numCtx: options.numCtx,
    window: new ContextWindow({
      numCtx: options.numCtx,
      tools: text ? [] : definitions,
      shortened: task.shortened,
      render: text ? textProtocolRender(definitions) : undefined,
    }),
    tools: text ? [] : definitions,
    toolSpecs: definitions,
    think: task.think,
    signal: options.signal,
    onRequestSent: () => void options.worktree.start(),
    generation: options.generation,
    emit: (event) => {
      if (event.type === 'turn_end') {
        const { promptTokens, evalTokens } = event.stats;
        options.state.countUsage({ promptTokens, generatedTokens: evalTokens, ms: event.ms });
      }
      options.emit(event);
    },
  };
}

/** What running an answer's calls led to. */
type CallsOutcome = 'continue' | 'finished' | 'repeating';

interface CallRunner {
  options: RunTaskOptions;
  record: TaskState['record'];
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
    const message = messageOf(error);
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
