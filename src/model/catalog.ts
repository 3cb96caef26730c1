import { messageOf, usageError } from '../errors.js';
import { errorCode, isRecord } from './error-code.js';
import type { ProviderApi } from './apis.js';
import { apiOf } from './index.js';
import { localityOf, resolveOllamaHost } from './locality.js';
import type { ModelEntry } from './ollama-http.js';
import type { Locality } from '../task-model.js';
import { ModelError, type ModelErrorKind, type ModelInfo } from './types.js';

/**
 * What a provider's server has: its models with their size, context length and tool calling
 * (`agent models`), one model's details and Ollama's version (`agent doctor`). The HTTP client
 * packages are loaded inside the functions that use them, so importing this module stays cheap.
 * Every failure is a ModelError whose message is for a person.
 */

/** A provider as the config describes it (the shape of the config's `providers.<name>`). */
export interface ProviderSettings {
  baseUrl?: string;
  api?: ProviderApi;
  apiKeyEnv?: string;
  /** Declared local by the user: a server on a machine of their own. */
  local?: boolean;
}

/** A configured provider: where its server is and how to talk to it. */
export interface CatalogSource {
  /** As written before the '/' of a model name. */
  provider: string;
  api: ProviderApi;
  /** Ollama's resolved the way OLLAMA_HOST is read; an OpenAI-compatible one without a trailing '/'. */
  baseUrl: string;
  locality: Locality;
  apiKey: string | undefined;
  apiKeyEnv: string | undefined;
}

export interface CatalogEntry {
  /** `provider/model`, the form `--model` takes. */
  name: string;
  /** Bytes on disk, when the server says. */
  size: number | undefined;
  contextLength: number | undefined;
  /** Whether the model calls tools natively (else the text protocol); undefined when the server does not say. */
  tools: boolean | undefined;
  /** Whether the model thinks before it answers (Ollama's `thinking` capability); undefined when the server does not say. */
  thinks: boolean | undefined;
}

/** These are quick questions: a server that stays silent this long has a problem to report. */
const ANSWER_TIMEOUT_MS = 10_000;
const CHECK_SERVER = 'Check that the server is running and that the base URL is right (it usually ends in /v1).';

/**
 * The provider named `provider` in the config's `providers`, its key read from the environment.
 * Opens no connection. Throws a usage AgentError when no such provider is configured.
 */
export function catalogSource(
  provider: string,
  providers: Record<string, ProviderSettings>,
  env: NodeJS.ProcessEnv = process.env,
): CatalogSource {
  const settings = providers[provider];
  if (!settings?.baseUrl) {
    throw usageError(
      `No provider named "${provider}" is configured (known: ${Object.keys(providers).join(', ')}).`,
      `Add it to your config: { "providers": { "${provider}": { "baseUrl": "http://127.0.0.1:1234/v1" } } }`,
    );
  }
  const api = apiOf({ provider, api: settings.api });
  const baseUrl = api === 'ollama' ? resolveOllamaHost(settings.baseUrl) : settings.baseUrl.replace(/\/+$/, '');
  return {
    provider,
    api,
    baseUrl,
    locality: settings.local === true ? 'local' : localityOf(baseUrl),
    apiKey: settings.apiKeyEnv ? env[settings.apiKeyEnv] || undefined : undefined,
    apiKeyEnv: settings.apiKeyEnv,
  };
}

/** The variable that should hold the key of a remote provider and is empty, if any. */
export const missingKey = (source: CatalogSource): string | undefined =>
  source.locality === 'remote' && source.apiKeyEnv && !source.apiKey ? source.apiKeyEnv : undefined;

/**
 * Every model the server has, in the server's order. Ollama: GET /api/tags, then POST /api/show for
 * each model at once (a model whose details fail shows them as unknown). OpenAI-compatible:
 * GET /models, with what the server tells of each (context length, tool support) and nothing more.
 */
export function listModels(source: CatalogSource, signal?: AbortSignal): Promise<CatalogEntry[]> {
  return source.api === 'ollama' ? listOllama(source, signal) : listOpenAI(source, signal);
}

/** One model's details; a ModelError `model_not_found` when the server does not have it. */
export async function describeModel(source: CatalogSource, model: string, signal?: AbortSignal): Promise<CatalogEntry> {
  const name = `${source.provider}/${model}`;
  if (source.api === 'openai') {
    const found = (await listOpenAI(source, signal)).find((entry) => entry.name === name);
    if (found) return found;
    throw new ModelError('model_not_found', `${source.baseUrl} has no model "${model}".`, `agent models ${source.provider} lists the models it has.`);
  }
  const { createOllamaProvider } = await import('./ollama.js');
  const info = await withOllamaDeadline(source, signal, (deadline) => createOllamaProvider({ host: source.baseUrl, model }).info(deadline));
  return { name, size: undefined, ...detailsOf(info) };
}

/** The version Ollama reports (GET /api/version). */
export async function ollamaVersion(source: CatalogSource, signal?: AbortSignal): Promise<string> {
  const [{ ollamaApi }, { toModelError }] = await Promise.all([import('./ollama-http.js'), import('./ollama.js')]);
  const host = source.baseUrl;
  return withOllamaDeadline(source, signal, async (deadline) => {
    try {
      const { version } = await ollamaApi(host, deadline).version();
      return String(version);
    } catch (error) {
      throw toModelError(error, { host, model: '' }, signal);
    }
  });
}

async function listOllama(source: CatalogSource, signal: AbortSignal | undefined): Promise<CatalogEntry[]> {
  const [{ ollamaApi }, { createOllamaProvider, toModelError }] = await Promise.all([import('./ollama-http.js'), import('./ollama.js')]);
  const host = source.baseUrl;
  return withOllamaDeadline(source, signal, async (deadline) => {
    let tags: { models: ModelEntry[] };
    try {
      tags = await ollamaApi(host, deadline).list();
    } catch (error) {
      throw toModelError(error, { host, model: '' }, signal);
    }
    return Promise.all(
      tags.models.map(async (model): Promise<CatalogEntry> => {
        const info = await createOllamaProvider({ host, model: model.name })
          .info(deadline)
          .catch((error: unknown) => {
            if (deadline.aborted) throw error;
            return undefined;
          });
        return { name: `${source.provider}/${model.name}`, size: model.size, ...detailsOf(info) };
      }),
    );
  });
}

async function listOpenAI(source: CatalogSource, signal: AbortSignal | undefined): Promise<CatalogEntry[]> {
  const openai = await import('openai');
  // As src/model/openai.ts: no retries, no logging to the terminal, and every option the package
  // would read from the environment given, so nothing meant for OpenAI goes to another server.
  const client = new openai.OpenAI({
    baseURL: source.baseUrl,
    apiKey: source.apiKey || 'none',
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: ANSWER_TIMEOUT_MS,
    logLevel: 'off',
  });
  try {
    const entries: CatalogEntry[] = [];
    for await (const model of client.models.list({ signal })) entries.push(openAIEntry(source.provider, model));
    return entries;
  } catch (error) {
    throw openAIError(openai, error, source, signal);
  }
}

/** `context_length` (OpenRouter) or `max_model_len` (vLLM); tools and reasoning from OpenRouter's `supported_parameters`. */
function openAIEntry(provider: string, model: unknown): CatalogEntry {
  const fields = isRecord(model) ? model : {};
  const length = [fields.context_length, fields.max_model_len].find((n) => typeof n === 'number' && n > 0);
  const parameters = fields.supported_parameters;
  return {
    name: `${provider}/${String(fields.id)}`,
    size: undefined,
    contextLength: typeof length === 'number' ? length : undefined,
    tools: Array.isArray(parameters) ? parameters.includes('tools') : undefined,
    thinks: Array.isArray(parameters) ? parameters.includes('reasoning') : undefined,
  };
}

/** Ollama answers capabilities from 0.6 on; an empty list says nothing about tools or thinking. */
function detailsOf(info: ModelInfo | undefined): Pick<CatalogEntry, 'contextLength' | 'tools' | 'thinks'> {
  const capabilities = info?.capabilities ?? [];
  const has = (capability: string): boolean | undefined => (capabilities.length > 0 ? capabilities.includes(capability) : undefined);
  return { contextLength: info?.contextLength, tools: has('tools'), thinks: has('thinking') };
}

/**
 * Runs a call to Ollama with a signal that ends at the caller's or at ANSWER_TIMEOUT_MS; a deadline
 * passed becomes an `unreachable` ModelError saying so (not "stopped", which the user did not do).
 */
async function withOllamaDeadline<T>(source: CatalogSource, signal: AbortSignal | undefined, call: (deadline: AbortSignal) => Promise<T>): Promise<T> {
  const timeout = AbortSignal.timeout(ANSWER_TIMEOUT_MS);
  try {
    return await call(signal ? AbortSignal.any([signal, timeout]) : timeout);
  } catch (error) {
    if (!timeout.aborted || signal?.aborted) throw error;
    throw new ModelError(
      'unreachable',
      `Ollama at ${source.baseUrl} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s.`,
      'Check that it is running there (ollama serve), or point OLLAMA_HOST at a server that is.',
      error,
    );
  }
}

/** What the `openai` package threw while listing, as a ModelError for a person. */
function openAIError(openai: typeof import('openai'), error: unknown, source: CatalogSource, signal: AbortSignal | undefined): ModelError {
  const make = (kind: ModelErrorKind, message: string, hint?: string) => new ModelError(kind, message, hint, error);
  const { baseUrl } = source;
  if (signal?.aborted || error instanceof openai.APIUserAbortError) return make('aborted', `the request to ${baseUrl} was stopped`);
  if (error instanceof openai.APIConnectionTimeoutError) {
    return make('unreachable', `${baseUrl} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s.`, CHECK_SERVER);
  }
  if (error instanceof openai.APIConnectionError) {
    const code = errorCode(error.cause);
    return make('unreachable', `Cannot reach ${baseUrl}${code ? ` (${code})` : ''}: nothing answered there.`, CHECK_SERVER);
  }
  if (error instanceof openai.APIError && (error.status === 401 || error.status === 403)) {
    const hint = source.apiKeyEnv
      ? `Check the API key in ${source.apiKeyEnv}.`
      : 'This server needs an API key: name its environment variable in the config ("apiKeyEnv").';
    return make('server', `${baseUrl} refused the request (${error.status}).`, hint);
  }
  const text = messageOf(error);
  return make('server', `${baseUrl} could not list its models: ${text}`, CHECK_SERVER);
}
