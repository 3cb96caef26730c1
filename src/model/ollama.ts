import { errorCode, isRecord } from './error-code.js';
import { localityOf, resolveOllamaHost } from './locality.js';
import { type ChatPart, OllamaHttpError, ollamaApi } from './ollama-http.js';
import { separateThinking } from './thinking.js';
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
import { messageOf } from '../errors.js';

/**
 * The Ollama provider: Ollama's native API (src/model/ollama-http.ts), its answers and failures in
 * the providers' terms. src/model/index.ts loads this file lazily.
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

  return {
    provider: 'ollama',
    model,
    locality: localityOf(host),

    async info(signal) {
      try {
        const show = await ollamaApi(host, signal).show(model);
        return modelInfoOf(show.model_info, show.capabilities);
      } catch (error) {
        throw toModelError(error, target, signal);
      }
    },

    async isLoaded(signal) {
      try {
        const running = await ollamaApi(host, signal).ps();
        const names = [model, model.includes(':') ? model : `${model}:latest`];
        return running.models.some((entry) => names.includes(entry.name) || names.includes(entry.model ?? ''));
      } catch {
        return undefined;
      }
    },

    chat: (request) => separateThinking(streamChat(target, request)),
  };
}

/**
 * Streams one turn. Never throws: it ends with exactly one `done` or one `error` event. Stopping
 * early (the signal, or the consumer leaving the loop) aborts the HTTP request itself; once the
 * signal is aborted no further text or tool call is yielded, only the `aborted` error.
 */
async function* streamChat(target: Target, request: ChatRequest): AsyncGenerator<ModelEvent, void, undefined> {
  const { signal } = request;
  // Ends the HTTP request when the consumer leaves the loop early, as the signal does when it aborts.
  const stop = new AbortController();
  try {
    if (signal?.aborted) throw signal.reason;
    const stream = await ollamaApi(target.host, signal ? AbortSignal.any([signal, stop.signal]) : stop.signal).chat({
      model: target.model,
      messages: request.messages.map(toOllamaMessage),
      ...(request.tools.length > 0 ? { tools: request.tools.map(toOllamaTool) } : {}),
      ...(request.think === undefined ? {} : { think: request.think }),
      options: { num_ctx: request.numCtx },
    });
    for await (const part of stream) {
      if (signal?.aborted) throw signal.reason; // lines already buffered are not shown after a stop
      const { thinking, content } = part.message ?? {};
      if (thinking) yield { type: 'thinking_delta', text: thinking };
      if (content) yield { type: 'text_delta', text: content };
      for (const call of part.message?.tool_calls ?? []) yield { type: 'tool_call', call: toToolCall(call) };
      if (part.done && part.done_reason === 'load') {
        // What Ollama answers a request with nothing to answer: the model was loaded, no turn ran.
        throw new ModelError('server', `Ollama at ${target.host} loaded ${target.model} but answered nothing (done_reason "load")`);
      }
      if (part.done) {
        yield { type: 'done', stats: statsOf(part) };
        return;
      }
    }
    throw new ModelError('stream_broken', `the answer from Ollama at ${target.host} ended before it was complete`);
  } catch (error) {
    yield { type: 'error', error: toModelError(error, target, signal) };
  } finally {
    stop.abort();
  }
}

/** A message as Ollama's /api/chat takes it. */
function toOllamaMessage(message: ChatMessage): Record<string, unknown> {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        // Ollama's templates decide what of it the model sees again (gpt-oss keeps it around tool calls).
        ...(message.thinking ? { thinking: message.thinking } : {}),
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

function toOllamaTool(tool: ToolDefinition): Record<string, unknown> {
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
function statsOf(part: ChatPart): TurnStats {
  return {
    promptTokens: count(part.prompt_eval_count),
    evalTokens: count(part.eval_count),
    evalMs: nsToMs(part.eval_duration),
    loadMs: nsToMs(part.load_duration),
    totalMs: nsToMs(part.total_duration),
    ...(typeof part.done_reason === 'string' ? { doneReason: part.done_reason } : {}),
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
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);
/** Errors of a connection that was open and broke. */
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Any failure of a call to Ollama as a ModelError, its message for a person: an OllamaHttpError
 * (the status and Ollama's words), node's network errors by their `code`, a plain Error for an
 * `{ error }` line inside a stream.
 */
export function toModelError(error: unknown, target: Target, signal?: AbortSignal): ModelError {
  if (error instanceof ModelError) return error;
  const make = (kind: ModelErrorKind, message: string, hint?: string) => new ModelError(kind, message, hint, error);
  const { host, model } = target;
  if (signal?.aborted) return make('aborted', `the request to Ollama at ${host} was stopped`);
  const text = messageOf(error);
  if (error instanceof OllamaHttpError) {
    const { status } = error;
    if (status === 404 && /model\b.*\bnot found/i.test(text)) {
      return make('model_not_found', `Ollama at ${host} has no model "${model}".`, `Pull it with: ollama pull ${model}`);
    }
    if (status === 400 && /does not support tools/i.test(text)) {
      return make('tools_unsupported', `${model} does not support tools (Ollama: ${text})`);
    }
    return new ModelError('server', `Ollama at ${host} answered ${status}: ${text}`, undefined, error, status);
  }
  const code = errorCode(error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return make('unreachable', `Cannot reach Ollama at ${host}: host not found.`, 'Check OLLAMA_HOST, or start Ollama on this machine with: ollama serve');
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    return make('unreachable', `Cannot reach Ollama at ${host} (${code}): it is not running there.`, START_HINT);
  }
  if (code && BROKEN_CODES.has(code)) {
    return make('stream_broken', `the connection to Ollama at ${host} broke before the answer was complete`);
  }
  // Any other failure of the connection itself (a TLS certificate, a refused protocol, ...): say which.
  if (code) return make('unreachable', `Cannot reach Ollama at ${host}: ${text}.`, START_HINT);
  return make('server', `Ollama at ${host}: ${text}`);
}

const START_HINT = 'Start it with: ollama serve (or point OLLAMA_HOST at a running server)';
