import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { errorCode, isRecord } from './error-code.js';
import { localityOf } from './locality.js';
import { serverEvents } from './sse.js';
import { separateThinking } from './thinking.js';
import {
  type ChatMessage,
  type ChatRequest,
  ModelError,
  type ModelErrorKind,
  type ModelEvent,
  type ModelProvider,
  type ToolCall,
  type ToolDefinition,
} from './types.js';
import { messageOf } from '../errors.js';

/**
 * The provider for OpenAI-compatible chat completions (OpenAI, OpenRouter, LM Studio, llama.cpp's
 * server, vLLM, ...) through the npm package `openai`. The only module that imports it.
 */

export interface OpenAIProviderOptions {
  /** The API root, `/v1` included: `https://api.openai.com/v1`, `http://127.0.0.1:1234/v1`. */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer`; local servers need none. */
  apiKey?: string;
  /** The environment variable the key came from, named in the hint of a 401/403. */
  apiKeyEnv?: string;
  /** The name written before the slash of the model name. Default `openai`. */
  provider?: string;
  /** How long to wait for the response headers (a local server may be loading the model). Default 10 min. */
  timeoutMs?: number;
}

export function createOpenAIProvider(options: OpenAIProviderOptions): ModelProvider {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const { model } = options;
  const target: Target = { baseUrl, model, apiKeyEnv: options.apiKeyEnv, keyGiven: Boolean(options.apiKey) };
  // Retries are decided above this layer. Every option the package would otherwise read from the
  // environment (OPENAI_API_KEY, OPENAI_ORG_ID, ...) is given, so nothing leaks to another server.
  const client = new OpenAI({
    baseURL: baseUrl,
    apiKey: options.apiKey || 'none',
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: options.timeoutMs ?? 600_000,
    // Errors are data for the caller; the package must not log to the user's terminal (OPENAI_LOG).
    logLevel: 'off',
  });

  return {
    provider: options.provider ?? 'openai',
    model,
    locality: localityOf(baseUrl),

    async info(signal) {
      try {
        const page = await client.models.list({ signal });
        const found: unknown = page.data.find((m) => m.id === model);
        if (!isRecord(found)) {
          const ids = page.data.slice(0, 5).map((m) => m.id);
          const hint = ids.length ? `Models it has: ${ids.join(', ')}${page.data.length > 5 ? ', ...' : ''}` : undefined;
          throw new ModelError('model_not_found', `${baseUrl} has no model "${model}".`, hint);
        }
        const length = [found.context_length, found.max_model_len].find((n) => typeof n === 'number' && n > 0);
        return { contextLength: typeof length === 'number' ? length : undefined, capabilities: [] };
      } catch (error) {
        throw toModelError(error, target, signal, false);
      }
    },

    chat: (request) => separateThinking(streamChat(client, target, request)),
  };
}

/**
 * Streams one turn. Never throws: it ends with exactly one `done` or one `error` event. Tool calls
 * arrive in fragments and are yielded whole, once the stream has ended. Stopping early (the
 * signal, or the consumer leaving the loop) aborts the HTTP request itself; once the signal is
 * aborted nothing more is yielded but the `aborted` error. `numCtx` has no equivalent here.
 */
async function* streamChat(client: OpenAI, target: Target, request: ChatRequest): AsyncGenerator<ModelEvent, void, undefined> {
  const { signal } = request;
  const hadTools = request.tools.length > 0;
  const startedAt = performance.now();
  let firstTokenAt: number | undefined;
  let started = false;
  try {
    if (signal?.aborted) throw signal.reason;
    const response = await client.chat.completions
      .create(
        {
          model: target.model,
          messages: toOpenAIMessages(request.messages),
          ...(hadTools ? { tools: request.tools.map(toOpenAITool) } : {}),
          ...(typeof request.think === 'string' ? { reasoning_effort: request.think } : {}),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      )
      .asResponse();
    started = true;
    if (!response.body) throw new ModelError('stream_broken', `${target.baseUrl} answered with no body`);
    const calls: { name: string; text: string }[] = [];
    let finishReason: string | undefined;
    let usage: ChatCompletionChunk['usage'];
    for await (const chunk of chunksOf(response, target, signal)) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      if (choice.finish_reason) finishReason = choice.finish_reason;
      const delta: Delta = choice.delta ?? {};
      const thinking = delta.reasoning_content ?? delta.reasoning;
      const { content, tool_calls: fragments } = delta;
      if (content || thinking || fragments?.length) firstTokenAt ??= performance.now();
      if (typeof thinking === 'string' && thinking) yield { type: 'thinking_delta', text: thinking };
      if (content) yield { type: 'text_delta', text: content };
      for (const fragment of fragments ?? []) {
        const index = fragment.index ?? calls.length;
        const slot = calls[index] ?? { name: '', text: '' };
        calls[index] = slot;
        if (fragment.function?.name) slot.name += fragment.function.name;
        if (fragment.function?.arguments) slot.text += fragment.function.arguments;
      }
    }
    if (signal?.aborted) throw signal.reason;
    if (finishReason === undefined) throw new ModelError('stream_broken', `the answer from ${target.baseUrl} ended before it was complete`);
    for (const call of calls) if (call) yield { type: 'tool_call', call: toToolCall(call) };
    const endedAt = performance.now();
    const stats = {
      promptTokens: usage?.prompt_tokens ?? 0,
      evalTokens: usage?.completion_tokens ?? 0,
      evalMs: firstTokenAt === undefined ? 0 : endedAt - firstTokenAt,
      loadMs: 0,
      totalMs: endedAt - startedAt,
      doneReason: finishReason,
    };
    yield { type: 'done', stats };
  } catch (error) {
    yield { type: 'error', error: toModelError(error, target, signal, hadTools, started) };
  }
}

/** A chunk's delta with the reasoning fields servers add: `reasoning_content` (llama.cpp, vLLM, LM Studio), `reasoning` (Ollama, vLLM). */
type Delta = ChatCompletionChunk.Choice.Delta & { reasoning_content?: unknown; reasoning?: unknown };

/**
 * The chunks of an answer. A server that answers a streamed request with one JSON body (an error
 * object at status 200, or the whole completion) is read as that body; events that lost the blank
 * line between them (one `data:` line each) are read one by one.
 */
async function* chunksOf(response: Response, target: Target, signal: AbortSignal | undefined): AsyncGenerator<Partial<ChatCompletionChunk>, void, undefined> {
  if (/json/i.test(response.headers.get('content-type') ?? '')) {
    const whole = parseData(await response.text(), undefined, target);
    for (const value of whole) yield asChunk(value);
    return;
  }
  for await (const event of serverEvents(response.body as AsyncIterable<Uint8Array>)) {
    if (signal?.aborted) return; // events already buffered are not shown after a stop
    if (event.data.startsWith('[DONE]')) return;
    yield* parseData(event.data, event.event, target);
  }
}

/**
 * One event's data as chunks. An error the server put in the stream (an `error` event, llama.cpp's
 * `error:` field, a `data:` object holding `error`) is thrown with its own words.
 */
function parseData(data: string, event: string | undefined, target: Target): Array<Partial<ChatCompletionChunk>> {
  let values: unknown[];
  try {
    values = [JSON.parse(data)];
  } catch {
    const lines = data.split('\n').map((line) => line.replace(/^data: ?/, '')).filter((line) => line.trim() !== '' && !line.startsWith('[DONE]'));
    try {
      if (lines.length < 2) throw new Error('one line');
      values = lines.map((line) => JSON.parse(line) as unknown);
    } catch {
      if (event === 'error') throw new ModelError('server', `${target.baseUrl} sent an error in its answer: ${data.slice(0, 300)}`);
      throw new ModelError('stream_broken', `the answer from ${target.baseUrl} broke off: an event is not JSON (${data.slice(0, 80)})`);
    }
  }
  return values.map((value) => {
    const error = isRecord(value) && value.error !== undefined ? value.error : event === 'error' ? value : undefined;
    if (error !== undefined) {
      const message = isRecord(error) && typeof error.message === 'string' ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
      throw new ModelError('server', `${target.baseUrl} sent an error in its answer: ${message}`);
    }
    return isRecord(value) ? (value as Partial<ChatCompletionChunk>) : {};
  });
}

/** A whole completion (`choices[].message`) as the chunk it would have streamed (`choices[].delta`). */
function asChunk(value: Partial<ChatCompletionChunk>): Partial<ChatCompletionChunk> {
  const choices = (value.choices ?? []).map((choice) => {
    const whole = choice as typeof choice & { message?: ChatCompletionChunk.Choice.Delta };
    if (!whole.message) return choice;
    const toolCalls = whole.message.tool_calls?.map((call, index) => ({ ...call, index }));
    return { ...choice, delta: { ...whole.message, ...(toolCalls ? { tool_calls: toolCalls } : {}) } };
  });
  return { ...value, choices };
}

/**
 * Our messages in the chat completions shape. Assistant tool calls get ids `call_<n>`, numbered
 * through the conversation; each tool message answers the earliest unanswered call of the same
 * name (or, failing that, the earliest unanswered call), so results pair with calls in order.
 */
export function toOpenAIMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  let nextId = 1;
  let pending: { id: string; name: string }[] = [];
  return messages.map((message): ChatCompletionMessageParam => {
    switch (message.role) {
      case 'assistant': {
        if (!message.toolCalls?.length) return { role: 'assistant', content: message.content };
        pending = message.toolCalls.map((c) => ({ id: `call_${nextId++}`, name: c.name }));
        const toolCalls = message.toolCalls.map((c, i) => ({
          id: pending[i]?.id ?? '',
          type: 'function' as const,
          function: { name: c.name, arguments: JSON.stringify(c.arguments) },
        }));
        return { role: 'assistant', content: message.content || null, tool_calls: toolCalls };
      }
      case 'tool': {
        const index = Math.max(0, pending.findIndex((p) => p.name === message.toolName));
        const [answered] = pending.splice(index, 1);
        return { role: 'tool', tool_call_id: answered?.id ?? `call_${nextId++}`, content: message.content };
      }
      default:
        return { role: message.role, content: message.content };
    }
  });
}

function toOpenAITool(tool: ToolDefinition): ChatCompletionTool {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: { ...tool.parameters } } };
}

/**
 * Arguments that are not a JSON object become `{}` rather than an error: the tool then answers
 * the model that its required arguments are missing, which it can act on.
 */
function toToolCall(call: { name: string; text: string }): ToolCall {
  let args: unknown;
  try {
    args = call.text.trim() ? JSON.parse(call.text) : {};
  } catch {
    args = {};
  }
  return { name: call.name, arguments: isRecord(args) ? args : {} };
}

type Target = { baseUrl: string; model: string; apiKeyEnv: string | undefined; keyGiven: boolean };

const TOOLS_UNSUPPORTED = /does not support tools|tools? (?:are|is) not supported|tool.{0,20}requires? --|--jinja|enable-auto-tool-choice/i;
const BROKEN_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_ABORTED']);
const CHECK_SERVER = 'Check that the server is running and that the base URL is right (it usually ends in /v1).';

/**
 * Any failure of a call into the `openai` package as a ModelError, its message for a person.
 * The package throws APIError subclasses: with a `status` for HTTP errors (the server's
 * `error.message` in `error`), APIConnectionError (fetch's TypeError as `cause`) when nothing
 * answered, APIUserAbortError on abort; reading the body after the headers throws fetch's own
 * errors. `started`: the response headers had arrived.
 */
function toModelError(error: unknown, target: Target, signal: AbortSignal | undefined, hadTools: boolean, started = false): ModelError {
  if (error instanceof ModelError) return error;
  const make = (kind: ModelErrorKind, message: string, hint?: string) => new ModelError(kind, message, hint, error);
  const { baseUrl, model } = target;
  if (signal?.aborted || error instanceof APIUserAbortError) return make('aborted', `the request to ${baseUrl} was stopped`);
  if (error instanceof APIConnectionTimeoutError) return make('unreachable', `${baseUrl} did not answer in time.`, CHECK_SERVER);
  if (error instanceof APIConnectionError) {
    const code = errorCode(error.cause);
    return make('unreachable', `Cannot reach ${baseUrl}${code ? ` (${code})` : ''}: nothing answered there.`, CHECK_SERVER);
  }
  if (error instanceof APIError && error.status !== undefined) {
    const status = error.status;
    const detail = isRecord(error.error) && typeof error.error.message === 'string' ? error.error.message : error.message.replace(`${status} `, '');
    if (status === 401 || status === 403) {
      const hint = target.apiKeyEnv
        ? `Check the API key in ${target.apiKeyEnv}.`
        : target.keyGiven ? 'Check the API key.' : 'This server needs an API key: name its environment variable in the config.';
      return make('server', `${baseUrl} refused the request (${status}): ${detail}`, hint);
    }
    if (status === 404 && (error.code === 'model_not_found' || /model/i.test(detail))) {
      return make('model_not_found', `${baseUrl} has no model "${model}" (${detail})`);
    }
    if (status === 404) return make('server', `${baseUrl} answered 404: ${detail}`, CHECK_SERVER);
    if (status === 400 && hadTools && TOOLS_UNSUPPORTED.test(detail)) {
      return make('tools_unsupported', `${model} does not support tools (${baseUrl}: ${detail})`);
    }
    return new ModelError('server', `${baseUrl} answered ${status}: ${detail}`, undefined, error, status);
  }
  if (error instanceof APIError) return make('server', `${baseUrl} sent an error in its answer: ${error.message}`);
  const text = messageOf(error);
  const code = errorCode(error);
  if (started || text === 'terminated' || (code && BROKEN_CODES.has(code))) {
    return make('stream_broken', `the connection to ${baseUrl} broke before the answer was complete`);
  }
  return make('server', `${baseUrl}: ${text}`);
}
