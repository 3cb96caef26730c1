import { splitThinking } from '../model/thinking.js';
import { type ChatMessage, ModelError, type ModelEvent, type ModelProvider, type ToolCall, type ToolDefinition } from '../model/types.js';
import type { ThinkSetting } from '../task-model.js';
import type { ToolSpec } from './call-forms/context.js';
import type { ContextWindow } from './context-window.js';
import { estimateTokens } from './token-estimate.js';
import type { AgentEvent } from './events.js';
import { MAX_CALLS, parseTextToolCalls, tooManyCalls } from './text-tools.js';

/**
 * One model turn: the prompt fitted into the context window, the request, the answer streamed to
 * the view, and the tool calls read from it (native ones, or ones written into the text).
 */

export interface TurnSetup {
  provider: ModelProvider;
  numCtx: number;
  window: ContextWindow;
  /** Sent as native tool definitions; empty when the tools are described in the prompt instead. */
  tools: ToolDefinition[];
  /** Sent as the request's `think`: undefined leaves it out. */
  think: ThinkSetting | undefined;
  /** The tools a call written into the text may name, with their argument types. */
  toolSpecs: readonly ToolSpec[];
  /** The whole task's signal (a second Ctrl-C). */
  signal: AbortSignal;
  generation: Generation;
  emit: (event: AgentEvent) => void;
  /** Each request on its way: what can be done while the model reads starts then. */
  onRequestSent?: () => void;
}

export type TurnResult =
  | {
      kind: 'answer';
      text: string;
      /** What the model thought before answering; never read for tool calls. */
      thinking: string;
      calls: ToolCall[];
      /** The calls were written into the text, not sent as native tool calls. */
      textCalls: boolean;
      /** Calls the model wrote that could not be read, each as a message for it. */
      problems: string[];
    }
  | { kind: 'stopped'; text: string; thinking: string }
  | { kind: 'error'; error: ModelError }
  | { kind: 'overflow'; tokens: number; budget: number };

/**
 * The generation in progress, so that Ctrl-C can stop the model without stopping the task: the
 * user then steers with a new instruction.
 */
export class Generation {
  private current: AbortController | undefined;

  /** Stops the generation in progress; false when there is none (Ctrl-C then stops the task). */
  interrupt(): boolean {
    if (!this.current) return false;
    this.current.abort();
    this.current = undefined;
    return true;
  }

  begin(): AbortSignal {
    this.current = new AbortController();
    return this.current.signal;
  }

  end(): void {
    this.current = undefined;
  }
}

/** What the previous request held, to tell how much of this one the model has not read yet. */
export interface PromptHistory {
  tokens: number;
}

export async function runTurn(
  setup: TurnSetup,
  messages: readonly ChatMessage[],
  turn: number,
  history: PromptHistory,
): Promise<TurnResult> {
  const { emit, window } = setup;
  const fit = window.fit(messages);
  if (!fit.ok) return { kind: 'overflow', tokens: fit.tokens, budget: fit.budget };
  if (fit.newlyShortened > 0) {
    emit({
      type: 'notice',
      message: `The conversation no longer fit the context window (num_ctx ${setup.numCtx}): ${fit.newlyShortened} earlier result${fit.newlyShortened === 1 ? ' was' : 's were'} shortened.`,
    });
  }
  const newTokens = fit.newlyShortened > 0 ? fit.tokens : Math.max(0, fit.tokens - history.tokens);
  history.tokens = fit.tokens;
  for (let attempt = 1; ; attempt++) {
    const result = await request(setup, fit.messages, { turn, promptTokens: fit.tokens, newTokens });
    const delay = RETRY_DELAYS_MS[attempt - 1];
    if (result.kind !== 'error' || !isTransient(result.error)) return result;
    if (delay === undefined) return { kind: 'error', error: gaveUp(result.error, attempt) };
    emit({
      type: 'notice',
      message: `${capitalise(result.error.message)}. Asking again in ${delay / 1000} s (attempt ${attempt + 1} of ${RETRY_DELAYS_MS.length + 1}).`,
    });
    if (!(await sleep(delay, setup.signal))) {
      return { kind: 'error', error: new ModelError('aborted', 'the task was stopped while waiting to ask the model again') };
    }
  }
}

/**
 * How long to wait before asking again after a dropped connection or a server error: a model
 * server that restarts or runs out of memory for a moment gets about seven seconds, then the task
 * stops, resumable.
 */
const RETRY_DELAYS_MS = [1000, 2000, 4000];

/** Failures that may pass by themselves: a broken stream, a server gone for a moment, a 5xx or 429. */
function isTransient(error: ModelError): boolean {
  if (error.kind === 'stream_broken' || error.kind === 'unreachable') return true;
  if (error.kind !== 'server') return false;
  return error.status === undefined || error.status === 429 || error.status >= 500;
}

function gaveUp(error: ModelError, attempts: number): ModelError {
  const hint = error.hint ?? 'Check that the model server is running and has the memory it needs.';
  return new ModelError(error.kind, `${capitalise(error.message)} (asked ${attempts} times; giving up).`, hint, error, error.status);
}

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One request of a turn: Ctrl-C stops only this generation. */
async function request(
  setup: TurnSetup,
  messages: ChatMessage[],
  prompt: { turn: number; promptTokens: number; newTokens: number },
): Promise<TurnResult> {
  const stopped = setup.generation.begin();
  const signal = AbortSignal.any([setup.signal, stopped]);
  const sent = performance.now();
  try {
    // Whether the model is in memory is asked beside the request, not before it: the answer only
    // words the waiting line, and the request should not wait for it.
    const loaded = setup.provider.isLoaded?.(signal);
    const events = setup.provider.chat({ messages, tools: setup.tools, numCtx: setup.numCtx, think: setup.think, signal })[Symbol.asyncIterator]();
    const first = events.next();
    first.catch(() => {}); // consumed by stream(), after the waiting line is up
    setup.onRequestSent?.();
    setup.emit({ type: 'turn_start', ...prompt, loading: (await loaded) === false });
    return await stream(setup, events, first, stopped, sent);
  } finally {
    setup.generation.end();
  }
}

async function stream(
  setup: TurnSetup,
  events: AsyncIterator<ModelEvent>,
  first: Promise<IteratorResult<ModelEvent>>,
  stopped: AbortSignal,
  sent: number,
): Promise<TurnResult> {
  let text = '';
  let thinking = '';
  let doneReason: string | undefined;
  let thought = 0;
  // The whole thinking is told once, when the answer starts (or the turn ends).
  const sayThinking = (): void => {
    // The blank lines a template puts around the thinking are not part of it.
    if (thinking.trim().length > 0 && thinking.length > thought) setup.emit({ type: 'thinking', text: thinking.slice(thought).trim() });
    thought = thinking.length;
  };
  const calls: ToolCall[] = [];
  for (let next = await first; !next.done; next = await events.next()) {
    const event = next.value;
    if (event.type === 'thinking_delta') {
      thinking += event.text;
      setup.emit(event);
    } else if (event.type === 'text_delta') {
      sayThinking();
      text += event.text;
      setup.emit(event);
    } else if (event.type === 'tool_call') {
      calls.push(event.call);
    } else if (event.type === 'done') {
      sayThinking();
      doneReason = event.stats.doneReason;
      setup.emit({ type: 'turn_end', stats: event.stats, ms: performance.now() - sent });
    } else if (event.error.kind === 'aborted' && stopped.aborted && !setup.signal.aborted) {
      return { kind: 'stopped', text, thinking };
    } else {
      return { kind: 'error', error: event.error };
    }
  }
  const answer = readAnswer({ text, thinking, calls, doneReason }, setup.toolSpecs);
  thinking = answer.thinking;
  sayThinking();
  if (doneReason === 'length' && answer.text.trim() === '' && answer.calls.length === 0) {
    setup.emit({ type: 'notice', message: `The model thought until the length limit${thinking ? ` (about ${estimateTokens(thinking)} tokens of thinking)` : ''} and wrote no answer; it is told to think less.` });
  }
  return answer;
}

/** A finished answer as the model sent it: its text, its thinking, its native calls, why it ended. */
export interface RawAnswer {
  text: string;
  thinking: string;
  calls: ToolCall[];
  doneReason: string | undefined;
}

/**
 * What a finished answer holds: the thinking whose opening tag was in the prompt taken out of the
 * text, the calls (native ones, or read from the text, never from the thinking), and a message
 * for the model about each call it could not read, a call written in its thinking, an answer cut
 * at the length limit, or an empty one. Pure.
 */
export function readAnswer(raw: RawAnswer, tools: readonly ToolSpec[]): Extract<TurnResult, { kind: 'answer' }> {
  let { text, thinking } = raw;
  if (thinking === '') {
    // A template that opened the thinking in the prompt: its closing tag shows where it ended.
    const split = splitThinking(text);
    if (split.thinking !== '') ({ thinking, answer: text } = split);
  }
  const answer = { kind: 'answer' as const, text, thinking: thinking.trim() };
  const cut = raw.doneReason === 'length' ? [cutOff(text, thinking)] : [];
  if (raw.calls.length > 0) {
    const problems = raw.calls.length > MAX_CALLS ? [tooManyCalls(raw.calls.length)] : [];
    return { ...answer, calls: raw.calls.slice(0, MAX_CALLS), textCalls: false, problems: [...cut, ...problems] };
  }
  const written = text.trim() === '' ? { calls: [], problems: [] } : parseTextToolCalls(text, tools);
  const inThinking = written.calls.length === 0 && thinking !== '' ? callsInThinking(thinking, tools) : [];
  const empty = text.trim() === '' && cut.length === 0 && inThinking.length === 0 ? [EMPTY_ANSWER] : [];
  return { ...answer, calls: written.calls, textCalls: written.calls.length > 0, problems: [...cut, ...inThinking, ...written.problems, ...empty] };
}

/**
 * Thinking is never run; a model that wrote its call there (Qwen3.5 often closes its thinking
 * after the call) is told so, the call named, when its answer holds no call of its own.
 */
function callsInThinking(thinking: string, tools: readonly ToolSpec[]): string[] {
  const { calls } = parseTextToolCalls(thinking, tools);
  if (calls.length === 0) return [];
  const names = [...new Set(calls.map((call) => call.name))].join(', ');
  return [`Your ${names} call was written inside your thinking, and nothing in the thinking is run. Make the call in your answer, after the thinking ends.`];
}

/**
 * An answer a length limit cut (the context window, or a thinking model that thought until the
 * limit): the model is told what happened, not that its answer was empty.
 */
function cutOff(text: string, thinking: string): string {
  if (text.trim() === '' && thinking !== '') {
    return 'Your answer reached the length limit while you were still thinking: no answer and no tool call came. Think less: make the next tool call now, or call finish.';
  }
  return 'Your answer was cut off at the length limit: a tool call cut off in it was not run. Write shorter answers: one tool call at a time, and large files in several edits.';
}

/** What a model that answered nothing is told; two in a row stop the task (see the loop). */
export const EMPTY_ANSWER = 'Your answer was empty. Call a tool to go on, or call finish with a summary of what you did.';

/** A ModelError for a turn that could not even be sent. */
export const overflowError = (tokens: number, budget: number, numCtx: number): ModelError =>
  new ModelError(
    'server',
    `The conversation no longer fits the context window: about ${tokens} tokens, with room for ${budget} (num_ctx ${numCtx}, a reply's share kept free), even with every earlier tool result shortened.`,
    'Resume it with a larger window ("contextWindow" in your config, if the model allows), or start a new task for the rest.',
  );
