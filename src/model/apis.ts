import { usageError } from '../errors.js';
import type { ModelProvider } from './types.js';

/**
 * The APIs hunkwise speaks, one entry each: what it is and how a provider of it is made (its
 * module, and the HTTP client package behind it, loaded only then). Everything else that names an
 * API (the config's `api` and its check, the catalog, createProvider) takes the names from here.
 */

/** What making a provider of an API needs. */
export interface ApiSpec {
  /** As written before the '/' of the model name. */
  provider: string;
  model: string;
  baseUrl: string;
  apiKey?: string;
  /** The environment variable the key came from, named in messages about it. */
  apiKeyEnv?: string;
}

const APIS = {
  ollama: {
    what: "Ollama's native API",
    create: async (spec: ApiSpec): Promise<ModelProvider> => (await import('./ollama.js')).createOllamaProvider({ host: spec.baseUrl, model: spec.model }),
  },
  openai: {
    what: 'any OpenAI-compatible server',
    create: async (spec: ApiSpec): Promise<ModelProvider> =>
      (await import('./openai.js')).createOpenAIProvider({
        baseUrl: spec.baseUrl,
        model: spec.model,
        provider: spec.provider,
        apiKey: spec.apiKey,
        apiKeyEnv: spec.apiKeyEnv,
      }),
  },
};

export type ProviderApi = keyof typeof APIS;

/** The API names, in the order messages list them. */
export const KNOWN_APIS = Object.keys(APIS) as ProviderApi[];

export const isProviderApi = (value: unknown): value is ProviderApi => typeof value === 'string' && Object.hasOwn(APIS, value);

/** A provider of `api` for `spec`; creating one opens no connection. A usage error for an API not in the table. */
export async function createForApi(api: ProviderApi, spec: ApiSpec): Promise<ModelProvider> {
  if (!isProviderApi(api)) {
    throw usageError(
      `the provider "${spec.provider}" speaks an API hunkwise does not know (known: ${KNOWN_APIS.join(', ')})`,
      `Set "api" of providers.${spec.provider} in your config to ${KNOWN_APIS.map((name) => `"${name}"`).join(' or ')}.`,
    );
  }
  return APIS[api].create(spec);
}

/** `"ollama" (Ollama's native API) or "openai" (any OpenAI-compatible server)`: what a config's `api` takes. */
export const apiChoices = (): string => KNOWN_APIS.map((api) => `"${api}" (${APIS[api].what})`).join(' or ');
