/**
 * Types of the fake OpenAI-compatible server (server.js, plain ESM so it runs without a build).
 * Real HTTP on 127.0.0.1, the chat completions wire format (SSE when `stream: true`); each test
 * scripts the answers and asserts on what was sent. Routes live under /v1.
 */

import type { ChatBody, Recorded, Script, ScriptedServer, ScriptedTurn } from '../fake-http.js';

/**
 * A model GET /v1/models lists. Every key but `tools` is written on the model object as it is,
 * so `context_length` or `max_model_len` (as OpenRouter and vLLM send them) can be scripted.
 */
export interface FakeModel {
  id: string;
  /** Default true; false answers a chat request with tools 400 "<model> does not support tools". */
  tools?: boolean;
  context_length?: number;
  max_model_len?: number;
  [key: string]: unknown;
}

export interface FakeToolCall {
  name: string;
  /** An object is sent as JSON text; a string is sent as it is (to script malformed arguments). */
  arguments: Record<string, unknown> | string;
}

/**
 * One scripted answer to one chat completions request. Streamed, it is these SSE chunks in order:
 * a role chunk, the content pieces, per tool call a head (index, id, name) and up to three
 * argument fragments, the finish_reason chunk, the usage chunk (only when the request asked for
 * `stream_options.include_usage`), then `data: [DONE]`. cutAfter and hangAfter count those chunks.
 */
export interface FakeTurn extends ScriptedTurn {
  toolCalls?: FakeToolCall[];
  /** Wait this long between SSE chunks. */
  chunkDelayMs?: number;
  /** Answer this HTTP status with this JSON body, as it is. */
  error?: { status: number; body: unknown };
  /** End the stream cleanly but without the finish_reason chunk, the usage chunk and [DONE]. */
  noFinish?: boolean;
  promptTokens?: number;
  completionTokens?: number;
}

export interface FakeChatMessage {
  role: string;
  content: string | null;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  [key: string]: unknown;
}

/** The body of a chat completions request as the client sent it. */
export interface FakeChatBody extends ChatBody<FakeChatMessage> {
  stream_options?: { include_usage?: boolean };
}

/**
 * Turns in order, one per chat request that passes the server's own checks (API key, known
 * model, tools supported), or a function of the request and that 0-based index. Running out
 * answers 500 `fake openai: no scripted turn left for request N`.
 */
export type FakeScript = Script<FakeTurn, FakeChatBody>;

export interface RecordedRequest extends Recorded {
  headers: { authorization: string | undefined };
}

export interface FakeOpenAIOptions {
  /** Default: DEFAULT_MODELS (qwen2.5-coder-7b-instruct, tools, no context length). */
  models?: FakeModel[];
  script?: FakeScript;
  /** When set, every request without `Authorization: Bearer <apiKey>` gets a 401. */
  apiKey?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The IPv4 address to listen on (and that `url` and `baseUrl` name); default 127.0.0.1. */
  host?: string;
  /** Called with each request as it is recorded (the CLI's --record uses it). */
  onRequest?: (request: RecordedRequest) => void;
}

export interface FakeOpenAI extends ScriptedServer<FakeChatBody, FakeTurn, RecordedRequest> {
  /** http://127.0.0.1:PORT/v1, what a client takes as its base URL. */
  readonly baseUrl: string;
}

export const DEFAULT_MODELS: readonly FakeModel[];

export function startFakeOpenAI(options?: FakeOpenAIOptions): Promise<FakeOpenAI>;

export { splitContent } from '../fake-http.js';
