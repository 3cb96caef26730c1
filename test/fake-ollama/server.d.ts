/**
 * Types of the fake Ollama server (server.js, plain ESM so it runs without a build). Real HTTP on
 * 127.0.0.1, Ollama's wire format; each test scripts the answers and asserts on what was sent.
 */

import type { ChatBody, Recorded, Script, ScriptedServer, ScriptedTurn } from '../fake-http.js';

/** A model the server knows. Left out: tools true, contextLength 32768, family qwen2. */
export interface FakeModel {
  name: string;
  /** `<arch>.context_length` in /api/show; null leaves the key out. */
  contextLength?: number | null;
  /** Whether capabilities include "tools"; without it a chat request with tools gets a 400. */
  tools?: boolean;
  /** Whether capabilities include "thinking"; without it a chat request with `think` gets a 400. Default false. */
  thinking?: boolean;
  /** false: /api/show has no `capabilities` (as Ollama before 0.6 answered). Default true. */
  showsCapabilities?: boolean;
  size?: number;
  family?: string;
  parameterSize?: string;
  quantization?: string;
}

export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** One scripted answer to one /api/chat request. */
export interface FakeTurn extends ScriptedTurn {
  /** Streamed before the content in `message.thinking` (unless the request sent `think: false`). */
  thinking?: string;
  /** The last line's done_reason. Default "stop". */
  doneReason?: string;
  toolCalls?: FakeToolCall[];
  /** Wait this long between NDJSON lines. */
  lineDelayMs?: number;
  /** Answer this HTTP error, as JSON `{ error }`. */
  error?: { status: number; error: string };
  promptEvalCount?: number;
  evalCount?: number;
}

export interface FakeChatMessage {
  role: string;
  content: string;
  tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
  tool_name?: string;
  [key: string]: unknown;
}

/** The body of an /api/chat request as the client sent it. */
export interface FakeChatBody extends ChatBody<FakeChatMessage> {
  options?: Record<string, unknown>;
}

/**
 * Turns in order, one per /api/chat request that passes the server's own checks (known model,
 * tools supported), or a function of the request and that 0-based index. Running out (or the
 * function returning undefined) answers 500 `fake ollama: no scripted turn left for request N`.
 */
export type FakeScript = Script<FakeTurn, FakeChatBody>;

export type RecordedRequest = Recorded;

export interface FakeOllamaOptions {
  /** Default: DEFAULT_MODELS (qwen2.5-coder:7b with tools, context length 32768). */
  models?: FakeModel[];
  script?: FakeScript;
  /** Default 0: any free port. */
  port?: number;
  /** Called with each request as it is recorded (the CLI's --record uses it). */
  onRequest?: (request: RecordedRequest) => void;
}

export type FakeOllama = ScriptedServer<FakeChatBody, FakeTurn, RecordedRequest>;

export const DEFAULT_MODELS: readonly FakeModel[];

export function startFakeOllama(options?: FakeOllamaOptions): Promise<FakeOllama>;

export { splitContent } from '../fake-http.js';
