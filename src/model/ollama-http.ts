import http, { type IncomingMessage } from 'node:http';
import { isRecord } from './error-code.js';
import { ModelError } from './types.js';

/**
 * Ollama's native API over node:http: the five calls hunkwise makes (version, tags, show, ps, a
 * streamed chat). Not the npm package `ollama`: it runs on fetch, and the first fetch of a process
 * loads undici, 50–60 ms on the way to the first model request (measured by bench/startup.mjs; the
 * SPEC's budget for that whole way is 250 ms). Network errors keep node's `code` (ECONNREFUSED,
 * ECONNRESET, ...); an HTTP error is an OllamaHttpError with the status and Ollama's own words.
 */

/** The HTTP status of a refused request and Ollama's `error` text (or the body, or the status line). */
export class OllamaHttpError extends Error {
  override name = 'OllamaHttpError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One line of a streamed /api/chat answer, as far as hunkwise reads it. */
export interface ChatPart {
  message?: { content?: string; thinking?: string; tool_calls?: { function: { name: string; arguments: unknown } }[] };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  eval_duration?: number;
  load_duration?: number;
  total_duration?: number;
}

export interface ShowResponse {
  model_info?: unknown;
  capabilities?: unknown;
}

export interface ModelEntry {
  name: string;
  model: string | undefined;
  size: number | undefined;
}

export interface OllamaApi {
  version(): Promise<{ version: string }>;
  list(): Promise<{ models: ModelEntry[] }>;
  show(model: string): Promise<ShowResponse>;
  ps(): Promise<{ models: ModelEntry[] }>;
  /** Resolves once the answer's headers arrived; its lines are read as they come. */
  chat(body: Record<string, unknown>): Promise<AsyncIterable<ChatPart>>;
}

/** The API at `host` (a resolved base URL, http or https, maybe with a path); `signal` stops any call. */
export function ollamaApi(host: string, signal?: AbortSignal): OllamaApi {
  const send = (method: 'GET' | 'POST', path: string, body?: unknown) => request(`${host}${path}`, method, body, signal);
  const json = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> =>
    JSON.parse(await readAll(await send(method, path, body))) as T;
  return {
    version: () => json('GET', '/api/version'),
    list: async () => listOf(await json('GET', '/api/tags')),
    show: (model) => json('POST', '/api/show', { model }),
    ps: async () => listOf(await json('GET', '/api/ps')),
    chat: async (body) => lines(await send('POST', '/api/chat', { ...body, stream: true }), host),
  };
}

/** The `models` of /api/tags or /api/ps; an entry without a name is left out. */
function listOf(answer: unknown): { models: ModelEntry[] } {
  const models: unknown[] = isRecord(answer) && Array.isArray(answer.models) ? answer.models : [];
  return {
    models: models.filter(isRecord).flatMap((m) =>
      typeof m.name === 'string'
        ? [{ name: m.name, model: typeof m.model === 'string' ? m.model : undefined, size: typeof m.size === 'number' ? m.size : undefined }]
        : [],
    ),
  };
}

async function request(url: string, method: string, body: unknown, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  const target = new URL(url);
  // https only for a remote Ollama named that way; loading it costs start-up time nobody else should pay.
  const { request: send } = target.protocol === 'https:' ? await import('node:https') : http;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method,
        signal,
        headers: {
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status < 400) return resolve(res);
        readAll(res).then((text) => reject(new OllamaHttpError(status, errorText(text, res))), reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Ollama answers `{"error": "..."}`; a proxy in between may answer anything. */
function errorText(body: string, res: IncomingMessage): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed) && typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the text itself
  }
  return body.trim() || res.statusMessage || `HTTP ${res.statusCode}`;
}

async function readAll(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk;
  return text;
}

/**
 * The JSON lines of a streamed answer. An `{"error"}` line is thrown as Ollama's words; a line that
 * is not JSON breaks the stream (what came before it is the caller's to keep or drop).
 */
async function* lines(res: IncomingMessage, host: string): AsyncGenerator<ChatPart, void, undefined> {
  res.setEncoding('utf8');
  let pending = '';
  try {
    for await (const chunk of res) {
      pending += chunk;
      let end = pending.indexOf('\n');
      while (end !== -1) {
        const line = pending.slice(0, end).trim();
        pending = pending.slice(end + 1);
        if (line) yield parseLine(line, host);
        end = pending.indexOf('\n');
      }
    }
    if (pending.trim()) yield parseLine(pending.trim(), host);
  } finally {
    res.destroy();
  }
}

function parseLine(line: string, host: string): ChatPart {
  let part: unknown;
  try {
    part = JSON.parse(line);
  } catch {
    throw new ModelError('stream_broken', `the answer from Ollama at ${host} broke off: a line is not JSON (${line.slice(0, 80)})`);
  }
  if (isRecord(part) && typeof part.error === 'string') throw new Error(part.error);
  return isRecord(part) ? (part as ChatPart) : {};
}
