import type { ChatMessage, ToolDefinition } from '../model/types.js';
import { estimateTokens, MESSAGE_OVERHEAD } from './token-estimate.js';

/**
 * Keeps every request of a task inside its context window (`num_ctx`). Ollama does not refuse a
 * prompt that is too long: it silently drops its head, the system prompt first. So before each
 * request the prompt is counted, and when it would not leave room for the reply, the oldest tool
 * results are shortened to a one-line stub (never the system prompt, the instruction, or the last
 * turn). It shortens in one large step, freeing three quarters of the room, so that the requests after it
 * extend each other unchanged again and Ollama can reuse its cache of the prompt.
 *
 * Which messages are shortened is kept by index (saved with the task): a message once shortened
 * stays shortened, so every later request extends the one after the shortening.
 */

export interface WindowOptions {
  numCtx: number;
  tools: ToolDefinition[];
  /** Indexes of messages shortened earlier in the task. */
  shortened?: readonly number[];
  /** How a message goes on the wire (the text tool protocol rewrites some); counted as sent. */
  render?: (message: ChatMessage) => ChatMessage;
}

export type Fit =
  | { ok: true; messages: ChatMessage[]; tokens: number; newlyShortened: number }
  | { ok: false; tokens: number; budget: number };

/** A share of the window kept for the reply; small windows keep a quarter, large ones 4,096. */
export const replyReserve = (numCtx: number): number => Math.min(4096, Math.floor(numCtx / 4));

export class ContextWindow {
  readonly budget: number;
  readonly shortened: Set<number>;
  private readonly fixed: number;
  private readonly render: (message: ChatMessage) => ChatMessage;
  /** Counts by index, whole and shortened: messages are only appended, so an index keeps its message. */
  private readonly counts = new Map<string, number>();

  constructor(options: WindowOptions) {
    this.budget = options.numCtx - replyReserve(options.numCtx);
    this.shortened = new Set(options.shortened ?? []);
    this.render = options.render ?? ((message) => message);
    this.fixed = estimateTokens(JSON.stringify(options.tools));
  }

  /** The largest tool result worth keeping whole: a quarter of the room. */
  get resultLimit(): number {
    return Math.floor(this.budget / 4);
  }

  /**
   * The messages to send. When they do not fit, old tool results (then old answers' long
   * arguments) are shortened, oldest first, until three quarters of the room are free again.
   */
  fit(messages: readonly ChatMessage[]): Fit {
    let tokens = this.count(messages);
    let newlyShortened = 0;
    if (tokens > this.budget) {
      // Until three quarters of the room the fixed part (tools, system prompt, instruction) leaves are free.
      const fixed = this.fixed + messages.slice(0, 2).reduce((sum, message, index) => sum + this.countOne(message, index), 0);
      const target = fixed + Math.floor((this.budget - fixed) / 4);
      const { older, last } = this.candidates(messages);
      const shortenUntil = (indexes: number[]): void => {
        for (const index of indexes) {
          if (tokens <= target) return;
          const message = messages[index] as ChatMessage;
          const saved = this.countOne(message, index) - this.countOne(message, index, true);
          if (saved <= 0) continue;
          this.shortened.add(index);
          tokens -= saved;
          newlyShortened++;
        }
      };
      shortenUntil(older);
      // The last turn only as a last resort: an answer too large to send again (a megabyte of
      // arguments) would otherwise leave the task unable to go on, even after a resume.
      if (tokens > this.budget) shortenUntil(last);
    }
    if (tokens > this.budget) return { ok: false, tokens, budget: this.budget };
    return { ok: true, messages: messages.map((message, index) => this.view(message, index)), tokens, newlyShortened };
  }

  /**
   * A tool result cut to `resultLimit` tokens, whole lines kept, with a note that tells the model
   * how much is left out. Results that fit are returned as they are.
   */
  capResult(content: string): string {
    if (estimateTokens(content) <= this.resultLimit) return content;
    const lines = content.split('\n');
    const kept: string[] = [];
    let used = 0;
    for (const line of lines) {
      const cost = estimateTokens(line) + 1;
      if (used + cost > this.resultLimit - 40) break;
      kept.push(line);
      used += cost;
    }
    const left = lines.length - kept.length;
    return `${kept.join('\n')}\n[cut to fit the context window: ${left} more line${left === 1 ? '' : 's'} not shown; ask for a smaller part, e.g. read_file with start_line and end_line]`;
  }

  /** The prompt's size in tokens as it would be sent now. */
  count(messages: readonly ChatMessage[]): number {
    let tokens = this.fixed;
    for (const [index, message] of messages.entries()) tokens += this.countOne(message, index);
    return tokens;
  }

  private view(message: ChatMessage, index: number, shortened = this.shortened.has(index)): ChatMessage {
    return this.render(shortened ? shorten(message) : message);
  }

  private countOne(message: ChatMessage, index: number, shortened = this.shortened.has(index)): number {
    const key = `${index}${shortened ? 's' : ''}`;
    const known = this.counts.get(key);
    if (known !== undefined) return known;
    const shown = this.view(message, index, shortened);
    const calls = shown.role === 'assistant' && shown.toolCalls ? JSON.stringify(shown.toolCalls) : '';
    // Thinking sent back is counted whole: some templates show it again (gpt-oss, Qwen3 within a turn).
    const thinking = shown.role === 'assistant' && shown.thinking ? estimateTokens(shown.thinking) : 0;
    const tokens = MESSAGE_OVERHEAD + estimateTokens(shown.content) + (calls ? estimateTokens(calls) : 0) + thinking;
    this.counts.set(key, tokens);
    return tokens;
  }

  /**
   * Indexes that may be shortened, in the order they should be: tool results from the oldest,
   * then the assistant answers; never the system prompt, the instruction (the first user
   * message) or any user message. The last turn (the last answer and what followed it) comes
   * apart, to be shortened only when nothing else makes the prompt fit.
   */
  private candidates(messages: readonly ChatMessage[]): { older: number[]; last: number[] } {
    let lastTurn = messages.length;
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i]?.role === 'assistant') {
        lastTurn = i;
        break;
      }
    }
    const open = (role: ChatMessage['role'], from: number, to: number): number[] =>
      messages
        .map((message, index) => (message.role === role && index >= from && index < to && !this.shortened.has(index) ? index : -1))
        .filter((index) => index >= 0);
    return {
      older: [...open('tool', 0, lastTurn), ...open('assistant', 0, lastTurn)],
      last: [...open('tool', lastTurn, messages.length), ...open('assistant', lastTurn, messages.length)],
    };
  }
}

/** Results and answers shorter than this are left whole: a stub would not save much. */
const WORTH_SHORTENING = 200;

/** The stub a shortened message is replaced with; derived from the message alone, so stable. */
export function shorten(message: ChatMessage): ChatMessage {
  if (message.role === 'tool') {
    if (message.content.length < WORTH_SHORTENING) return message;
    const lines = message.content.split('\n').length;
    return {
      ...message,
      content: `[${message.toolName} result of ${lines} line${lines === 1 ? '' : 's'} left out to fit the context window; call the tool again if you need it]`,
    };
  }
  if (message.role === 'assistant') {
    const content =
      message.content.length < WORTH_SHORTENING ? message.content : `${message.content.slice(0, 120)}… [rest left out to fit the context window]`;
    const toolCalls = message.toolCalls?.map((call) => ({
      ...call,
      arguments: Object.fromEntries(
        Object.entries(call.arguments).map(([key, value]) => {
          const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
          return [key, text.length > WORTH_SHORTENING ? `${text.slice(0, 80)}… [left out]` : value];
        }),
      ),
    }));
    const { thinking: _, ...kept } = message;
    return { ...kept, content, ...(toolCalls ? { toolCalls } : {}) };
  }
  return message;
}
