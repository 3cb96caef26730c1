/**
 * The one interface the agent sees of a model. Providers (src/model/*) adapt a wire protocol to it;
 * nothing outside src/model/ knows which HTTP API is behind it.
 */

import type { Locality, ThinkSetting } from '../task-model.js';

export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | {
      role: 'assistant';
      content: string;
      /** What a thinking model thought before this answer: sent back only as its provider's template expects. */
      thinking?: string;
      toolCalls?: ToolCall[];
      /** The model wrote its calls into `content` (the text tool protocol) rather than sending them natively. */
      textCalls?: boolean;
    }
  | { role: 'tool'; content: string; toolName: string };

/** JSON Schema of a tool's arguments, the subset the tools use. */
/** A tool's arguments. A property whose name says it all has no description: every token of the tools is in every prompt. */
export interface ParameterSchema {
  type: 'object';
  properties: Record<string, { type: 'string' | 'integer' | 'boolean'; description?: string }>;
  /** Left out when every argument is optional. */
  required?: readonly string[];
}

export interface ToolDefinition {
  name: string;
  description: string;
  parameters: ParameterSchema;
}

export interface ChatRequest {
  messages: ChatMessage[];
  tools: ToolDefinition[];
  /** The context window of the task; the same value on every request of a task. */
  numCtx: number;
  /** Whether (or how hard) a thinking model thinks; left out, the server's default. */
  think?: ThinkSetting;
  signal?: AbortSignal;
}

export interface TurnStats {
  promptTokens: number;
  evalTokens: number;
  /** Milliseconds the model spent generating (eval_duration). */
  evalMs: number;
  /** Milliseconds spent loading the model before this turn. */
  loadMs: number;
  totalMs: number;
  /** Why the answer ended, as the server said: `stop`, `length` (a limit cut it), `tool_calls`... */
  doneReason?: string;
}

export type ModelErrorKind =
  | 'unreachable'
  | 'model_not_found'
  | 'tools_unsupported'
  | 'stream_broken'
  | 'aborted'
  | 'server';

export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  /** What the user can run to fix it, when there is such a thing. */
  readonly hint: string | undefined;
  /** The HTTP status the server answered, for a `server` error that had one. */
  readonly status: number | undefined;

  constructor(kind: ModelErrorKind, message: string, hint?: string, cause?: unknown, status?: number) {
    super(message, { cause });
    this.name = 'ModelError';
    this.kind = kind;
    this.hint = hint;
    this.status = status;
  }
}

/** A model's answer as it streams. A stream ends with exactly one `done` or one `error`. */
export type ModelEvent =
  | { type: 'text_delta'; text: string }
  /** The model's thinking: its own field (Ollama's `thinking`, `reasoning_content`) or `<think>` in its text. */
  | { type: 'thinking_delta'; text: string }
  | { type: 'tool_call'; call: ToolCall }
  | { type: 'done'; stats: TurnStats }
  | { type: 'error'; error: ModelError };

export interface ModelInfo {
  /** The model's maximum context length, when the server says. */
  contextLength: number | undefined;
  capabilities: string[];
}

export interface ModelProvider {
  /** `ollama`, `openai`, ... as written before the slash of a model name. */
  readonly provider: string;
  readonly model: string;
  readonly locality: Locality;
  /** Throws ModelError (unreachable, model_not_found). */
  info(signal?: AbortSignal): Promise<ModelInfo>;
  /**
   * Whether the model is in memory now, for the waiting line ("loading the model"); undefined
   * when the server cannot tell or did not answer. Never throws.
   */
  isLoaded?(signal?: AbortSignal): Promise<boolean | undefined>;
  chat(request: ChatRequest): AsyncIterable<ModelEvent>;
}
