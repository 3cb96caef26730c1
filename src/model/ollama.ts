import { type ChatResponse, type Message, Ollama, type Tool } from 'ollama';
import { errorCode, isRecord } from './error-code.js';
import { localityOf, resolveOllamaHost } from './locality.js';
import {
  type ChatMessage,
  type ChatRequest,
  ModelError,
  type ModelErrorKind,
  type ModelEvent,
  type ModelInfo,
  type ModelProvider,
  type ToolCall,
  type ToolDefinition,
  type TurnStats,
} from './types.js';

/**
 * The Ollama provider: Ollama's native API through the npm package `ollama`. The only module that
 * imports it (src/model/index.ts loads this file lazily).
 */

export interface OllamaProviderOptions {
  /** A base URL or any form of OLLAMA_HOST (resolved with resolveOllamaHost). */
  host: string;
  /** The model as Ollama names it: `qwen2.5-coder:7b`. */
  model: string;
}

export function createOllamaProvider(options: OllamaProviderOptions): ModelProvider {
  const host = resolveOllamaHost(options.host);
  const { model } = options;
  const target: Target = { host, model };
  const client = (signal: AbortSignal | undefined) => new Ollama({ host, fetch: quietFetch(signal) });

  return {
    provider: 'ollama',
    model,
    locality: localityOf(host),

    async info(signal) {
      try {
        const show = await client(signal).show({ model });
        return modelInfoOf(show.model_info, show.capabilities);
      } catch (error) {
        throw toModelError(error, target, signal);
      }
    },

    async isLoaded(signal) {
      try {
        const running = await client(signal).ps();
        const names = [model, model.includes(':') ? model : `${model}:latest`];
        return running.models.some((entry) => names.includes(entry.name) || names.includes(entry.model));
      } catch {
        return undefined;
      }
    },

    chat: (request) => streamChat(client(request.signal), target, request),
  };
}

/**
 * Streams one turn. Never throws: it ends with exactly one `done` or one `error` event. Stopping
 * early (the signal, or the consumer leaving the loop) aborts the HTTP request itself; once the
 * signal is aborted no further text or tool call is yielded, only the `aborted` error.
 */
async function* streamChat(
  client: Ollama,
  target: Target,
  request: ChatRequest,
): AsyncGenerator<ModelEvent, void, undefined> {
  const { signal } = request;
  let stream: AsyncIterable<ChatResponse> & { abort(): void };
  try {
    if (signal?.aborted) throw signal.reason;
    stream = await client.chat({
      model: target.model,
      messages: request.messages.map(toOllamaMessage),
      ...(request.tools.length > 0 ? { tools: request.tools.map(toOllamaTool) } : {}),
      options: { num_ctx: request.numCtx },
      stream: true,
    });
  } catch (error) {
    yield { type: 'error', error: toModelError(error, target, signal) };
    return;
  }
  let ended = false;
  try {
    for await (const part of stream) {
      if (signal?.aborted) throw signal.reason; // lines already buffered are not shown after a stop
      const content = part.message?.content;
      if (content) yield { type: 'text_delta', text: content };
      for (const call of part.message?.tool_calls ?? []) yield { type: 'tool_call', call: toToolCall(call) };
      if (part.done) {
        ended = true;
        yield { type: 'done', stats: statsOf(part) };
        return;
      }
    }
    throw new ModelError('stream_broken', `the answer from Ollama at ${target.host} ended before it was complete`);
  } catch (error) {
    ended = true;
    stream.abort();
    yield { type: 'error', error: toModelError(error, target, signal) };
  } finally {
    if (!ended) stream.abort();
  }
}

/**
 * The global fetch, with the caller's signal added to every request the client makes: the
 * `ollama` package aborts streams only through its own controller and passes no signal at all
 * to /api/show. Error bodies that are not JSON are rewritten as `{ error }` JSON, because the
 * package logs to stdout when it meets one.
 */
export function quietFetch(signal: AbortSignal | undefined): typeof fetch {
  return async (input, init) => {
    const signals = [init?.signal, signal].filter((s): s is AbortSignal => s instanceof AbortSignal);
    const response = await fetch(input, { ...init, signal: signals.length ? AbortSignal.any(signals) : null });
    if (response.ok || response.headers.get('content-type')?.includes('application/json')) return response;
    const text = (await response.text()).trim() || response.statusText;
    return Response.json({ error: text }, { status: response.status, statusText: response.statusText });
  };
}

function toOllamaMessage(message: ChatMessage): Message {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length
          ? { tool_calls: message.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) }
          : {}),
      };
    case 'tool':
      return { role: 'tool', content: message.content, tool_name: message.toolName };
    default:
      return { role: message.role, content: message.content };
  }
}

function toOllamaTool(tool: ToolDefinition): Tool {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

/** Ollama sends arguments as an object; a JSON string (seen from some proxies) is parsed. */
function toToolCall(call: { function: { name: string; arguments: unknown } }): ToolCall {
  let args: unknown = call.function.arguments;
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args);
    } catch {
      args = {};
    }
  }
  return { name: String(call.function.name ?? ''), arguments: isRecord(args) ? args : {} };
}

const nsToMs = (ns: unknown): number => (typeof ns === 'number' && Number.isFinite(ns) ? ns / 1e6 : 0);
const count = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) ? n : 0);

/** Ollama leaves out counts that are zero (prompt_eval_count when the prompt was cached). */
function statsOf(part: ChatResponse): TurnStats {
  return {
    promptTokens: count(part.prompt_eval_count),
    evalTokens: count(part.eval_count),
    evalMs: nsToMs(part.eval_duration),
    loadMs: nsToMs(part.load_duration),
    totalMs: nsToMs(part.total_duration),
  };
}

/** The context length is `model_info["<general.architecture>.context_length"]`. */
function modelInfoOf(modelInfo: unknown, capabilities: unknown): ModelInfo {
  let contextLength: number | undefined;
  if (isRecord(modelInfo)) {
    const arch = modelInfo['general.architecture'];
    const value = typeof arch === 'string' ? modelInfo[`${arch}.context_length`] : undefined;
    if (typeof value === 'number' && value > 0) contextLength = value;
  }
  const caps = Array.isArray(capabilities) ? capabilities.filter((c): c is string => typeof c === 'string') : [];
  return { contextLength, capabilities: caps };
}

type Target = { host: string; model: string };

/** Connection errors that mean nothing answered at that address. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const NO_DONE = 'Did not receive done or success response in stream.';

/**
 * Any failure of a call into the `ollama` package as a ModelError, its message for a person.
 * The package throws ResponseError (`status_code`, Ollama's `error` text) for HTTP errors, fetch's
 * TypeError (with a `code` somewhere in its causes) for network errors, and plain Errors for a
 * stream without `done` or an `{ error }` line inside a stream.
 */
export function toModelError(error: unknown, target: Target, signal?: AbortSignal): ModelError {
  if (error instanceof ModelError) return error;
  const make = (kind: ModelErrorKind, message: string, hint?: string) => new ModelError(kind, message, hint, error);
  const { host, model } = target;
  if (signal?.aborted) return make('aborted', `the request to Ollama at ${host} was stopped`);
  const text = error instanceof Error ? error.message : String(error);
  const status = isRecord(error) && typeof error.status_code === 'number' ? error.status_code : undefined;
  if (status === 404 && /model\b.*\bnot found/i.test(text)) {
    return make('model_not_found', `Ollama at ${host} has no model "${model}".`, `Pull it with: ollama pull ${model}`);
  }
  if (status === 400 && /does not support tools/i.test(text)) {
    return make('tools_unsupported', `${model} does not support tools (Ollama: ${text})`);
  }
  if (status !== undefined) return new ModelError('server', `Ollama at ${host} answered ${status}: ${text}`, undefined, error, status);
  const code = errorCode(error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return make('unreachable', `Cannot reach Ollama at ${host}: host not found.`, 'Check OLLAMA_HOST, or start Ollama on this machine with: ollama serve');
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    return make('unreachable', `Cannot reach Ollama at ${host} (${code}): it is not running there.`, 'Start it with: ollama serve (or point OLLAMA_HOST at a running server)');
  }
  if (text === NO_DONE || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || text === 'terminated') {
    return make('stream_broken', `the connection to Ollama at ${host} broke before the answer was complete`);
  }
  if (text === 'fetch failed') {
    // fetch's own failures before any answer (a port fetch refuses, a TLS error, ...): say why.
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return make('unreachable', `Cannot reach Ollama at ${host}${cause}.`, 'Start it with: ollama serve (or point OLLAMA_HOST at a running server)');
  }
  return make('server', `Ollama at ${host}: ${text}`);
}
