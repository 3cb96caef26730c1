import { usageError } from '../errors.js';
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
}

/** The providers createProvider knows, in the order the usage error lists them. */
export const KNOWN_PROVIDERS: readonly string[] = ['ollama'];

/**
 * A provider for `spec`. Creating one opens no connection (call `info()` to check the server).
 * Throws a usage AgentError for a provider it does not know.
 */
export async function createProvider(spec: ProviderSpec): Promise<ModelProvider> {
  switch (spec.provider) {
    case 'ollama': {
      const { createOllamaProvider } = await import('./ollama.js');
      return createOllamaProvider({ host: spec.baseUrl, model: spec.model });
    }
    default:
      throw usageError(
        `unknown model provider "${spec.provider}" (known: ${KNOWN_PROVIDERS.join(', ')})`,
        `--model ollama/${spec.model || 'qwen2.5-coder:7b'}`,
      );
  }
}
