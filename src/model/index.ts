import { createForApi, type ProviderApi } from './apis.js';
import { addKeyEnvs, processMasker } from '../secrets/index.js';
import { maskedProvider } from './masked.js';
import type { ModelProvider } from './types.js';

/**
 * The model layer's front door. Importing it is cheap: a provider's module (and the HTTP client
 * package behind it) is loaded only when createProvider is called, so commands that never talk
 * to a model never load `ollama`.
 */

export { DEFAULT_OLLAMA_HOST, localityOf, resolveOllamaHost } from './locality.js';
export { formatModelName, type ModelName, parseModelName } from './model-name.js';
export * from './types.js';

export interface ProviderSpec {
  /** As written before the '/' of the model name. */
  provider: string;
  /** As written after it. */
  model: string;
  /** The provider's base URL (for ollama, any form of OLLAMA_HOST). */
  baseUrl: string;
  /** Which API it speaks: Ollama's native one, or OpenAI's chat completions (default: by name). */
  api?: ProviderApi;
  apiKey?: string;
  /** The environment variable the key came from, named in messages about it. */
  apiKeyEnv?: string;
  /** Declared local by the user (a server on their own network); otherwise judged by baseUrl. */
  declaredLocal?: boolean;
}

/** A provider named `ollama` speaks Ollama's API; any other an OpenAI-compatible one unless told. */
export const apiOf = (spec: Pick<ProviderSpec, 'provider' | 'api'>): ProviderApi =>
  spec.api ?? (spec.provider === 'ollama' ? 'ollama' : 'openai');

/**
 * A provider for `spec`. Creating one opens no connection (call `info()` to check the server).
 * A remote one masks every request (src/model/masked.ts); its key variable is masked in git notes
 * too. Throws a usage AgentError for a provider it does not know.
 */
export async function createProvider(spec: ProviderSpec): Promise<ModelProvider> {
  addKeyEnvs([spec.apiKeyEnv]);
  const created = await createForApi(apiOf(spec), spec);
  const provider: ModelProvider = spec.declaredLocal ? { ...created, locality: 'local' } : created;
  if (provider.locality === 'local') return provider;
  // Everything sent off the machine is masked (SPEC section 5). The masking code starts loading
  // now, while the task is being set up; the mask itself is taken at the first request.
  processMasker().catch(() => {});
  return maskedProvider(provider, processMasker);
}
