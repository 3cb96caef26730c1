import { restoreFromHead } from '../git/commit-step.js';
import { changedPaths } from '../git/read-files.js';
import type { LanguageServers } from '../lsp/registry.js';
import { LspError } from '../lsp/types.js';
import { saveTask, type TaskRecord } from '../git/task-store.js';
import { AgentError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { type ChatMessage, ModelError, type ModelProvider, type ToolCall, type ToolDefinition } from '../model/types.js';
import { type Allowance, createActionGate } from './approvals.js';
import type { Conversation } from './conversation.js';
import type { AgentEvent, TaskEnd, TaskIO } from './events.js';
import { commitJournal, proposeStep, type StepContext } from './step.js';
import { clearJournal, readJournal } from './step-journal.js';
import type { Tool, ToolContext, ToolResult } from './tool.js';
import { toolDefinitions } from './tools/index.js';
import { formatTranscript } from './transcript.js';
import { validateArgs } from './validate-args.js';
import { worktreeChanges } from './worktree-changes.js';

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
  numCtx: number;
  maxTurns: number;
  run: { timeoutMs: number; outputLimit: number };
  signal: AbortSignal;
  emit: (event: AgentEvent) => void;
  /** A resumed task first completes a step a kill interrupted and reviews leftover changes. */
  resumed: boolean;
  /** The task's language servers (started lazily by the first question that needs one). */
  servers?: LanguageServers;
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
  const definitions = toolDefinitions(options.tools);
  const stepContext: StepContext = {
    commonDir: options.commonDir,
    task,
    model,
    locality: options.provider.locality,
    io: options.io,
    approveEdits: options.approved.has('edit'),
    emit,
    transcript: () => formatTranscript(conversation.messages.slice(task.noteFrom ?? 0)),
    servers: options.servers,
  };
  const toolContext = (explanation: string): ToolContext => ({
    root: task.worktree,
    base: task.base.commit,
    signal: options.signal,
    run: options.run,
    servers: options.servers,
    approve: createActionGate({
      approved: options.approved,
      allowances,
      io: options.io,
      emit,
      remember: (allowance) => {
        task.allowances = [...(task.allowances ?? []), allowance];
        saveTask(options.commonDir, task);
      },
    }),
    propose: (proposal) => proposeStep(stepContext, proposal, explanation),
  });
  const record = (message: ChatMessage): void => {
    conversation.append(message);
    if (readJournal(options.commonDir, task.id)) {
      faultPoint('step:recorded');
      clearJournal(options.commonDir, task.id);
      task.noteFrom = conversation.messages.length;
      saveTask(options.commonDir, task);
    }
  };

  if (options.resumed) {
    await finishInterruptedStep(options, stepContext, record);
    await reviewLeftoverChanges(options, toolContext(''));
  }
  const pending = conversation.pendingCalls();
  let finished = await runCalls(options, pending.calls, toolContext(pending.explanation), record);
  const last = conversation.messages.at(-1);
  if (last?.role === 'tool' && last.toolName === 'finish') finished = true;

  for (let turn = 1; ; turn++) {
    if (finished || conversation.messages.at(-1)?.role === 'assistant') {
      const followUp = options.io ? await options.io.askFollowUp() : '';
      if (!followUp) return 'finished';
      record({ role: 'user', content: followUp });
      finished = false;
    }
    if (turn > options.maxTurns) {
      emit({ type: 'notice', message: `Stopped after ${options.maxTurns} model turns (--max-steps).` });
      return 'max_steps';
    }
    emit({ type: 'turn_start', turn });
    const answer = await streamTurn(options, definitions);
    if (answer instanceof ModelError) {
      if (answer.kind === 'aborted') return 'interrupted';
      emit({ type: 'error', message: answer.message, hint: answer.hint });
      return 'failed';
    }
    record({
      role: 'assistant',
      content: answer.text,
      ...(answer.calls.length ? { toolCalls: answer.calls } : {}),
    });
    finished = await runCalls(options, answer.calls, toolContext(answer.text), record);
  }
}

async function streamTurn(
  options: RunTaskOptions,
  tools: ToolDefinition[],
): Promise<{ text: string; calls: ToolCall[] } | ModelError> {
  let text = '';
  const calls: ToolCall[] = [];
  const stream = options.provider.chat({
    messages: options.conversation.messages,
    tools,
    numCtx: options.numCtx,
    signal: options.signal,
  });
  for await (const event of stream) {
    if (event.type === 'text_delta') {
      text += event.text;
      options.emit(event);
    } else if (event.type === 'tool_call') {
      calls.push(event.call);
    } else if (event.type === 'done') {
      options.emit({ type: 'turn_end', stats: event.stats });
    } else {
      return event.error;
    }
  }
  return { text, calls };
}

/** Runs the calls of one answer in order; true when one of them was `finish`. */
async function runCalls(
  options: RunTaskOptions,
  calls: ToolCall[],
  ctx: ToolContext,
  record: (message: ChatMessage) => void,
): Promise<boolean> {
  let finished = false;
  for (const call of calls) {
    const result = await runCall(options, call, ctx);
    record({ role: 'tool', toolName: call.name, content: result.content });
    if (result.finished) finished = true;
  }
  return finished;
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
    if (options.signal.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const advice = error instanceof LspError ? ' Use grep and read_file instead.' : '';
    return fail(`${tool.name} failed: ${message}${advice}`);
  }
  if (tool.actionClass === 'run') {
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
async function reviewLeftoverChanges(options: RunTaskOptions, ctx: ToolContext): Promise<void> {
  const paths = await changedPaths(options.task.worktree);
  if (paths.length === 0) return;
  if (!options.io && !options.approved.has('edit')) {
    throw new AgentError(`The task's worktree has changes that are not on its branch: ${paths.join(', ')}.`, {
      hint: `Review them in a terminal (agent task --resume ${options.task.id}), or commit or discard them in ${options.task.worktree}.`,
    });
  }
  options.emit({ type: 'notice', message: `The worktree has changes no step holds (${paths.join(', ')}): review them.` });
  const outcome = await proposeWorktreeChanges(ctx, 'review changes found in the worktree', paths);
  if (outcome) options.emit({ type: 'notice', message: outcome });
}

/** A step journaled before a kill is committed (or found committed) and its result recorded. */
async function finishInterruptedStep(
  options: RunTaskOptions,
  stepContext: StepContext,
  record: (message: ChatMessage) => void,
): Promise<void> {
  const journal = readJournal(options.commonDir, options.task.id);
  if (!journal) return;
  await commitJournal(stepContext, journal);
  options.emit({ type: 'notice', message: `Step ${journal.step} was approved before the task stopped; it is committed.` });
  const pending = options.conversation.pendingCalls();
  if (pending.calls.length > 0) record({ role: 'tool', toolName: pending.calls[0]?.name ?? 'tool', content: journal.outcome });
  else clearJournal(options.commonDir, options.task.id);
}
