import { usageError } from '../errors.js';

/** A model named the way the user writes it: `provider/model`. */
export interface ModelName {
  /** The part before the first '/': `ollama`, `openai`, ... */
  provider: string;
  /** Everything after the first '/', kept as written: `qwen2.5-coder:7b`, `library/x:latest`. */
  model: string;
}

const EXAMPLE = '--model ollama/qwen2.5-coder:7b';

/**
 * Splits `ollama/qwen2.5-coder:7b` into provider and model. Pure: it does not check that the
 * provider exists (createProvider does) nor that the model is installed (the provider does).
 * Throws a usage AgentError when the name has no '/' or an empty provider or model part.
 */
export function parseModelName(name: string): ModelName {
  const trimmed = name.trim();
  const slash = trimmed.indexOf('/');
  if (slash === -1) {
    throw usageError(
      `the model name "${trimmed}" does not say its provider: write it as provider/model`,
      trimmed ? `--model ollama/${trimmed}` : EXAMPLE,
    );
  }
  const provider = trimmed.slice(0, slash).trim();
  const model = trimmed.slice(slash + 1).trim();
  if (!provider) throw usageError(`the model name "${trimmed}" has no provider before the '/'`, EXAMPLE);
  if (!model) throw usageError(`the model name "${trimmed}" has no model after the '/'`, EXAMPLE);
  return { provider, model };
}

/** The inverse of parseModelName. */
export const formatModelName = ({ provider, model }: ModelName): string => `${provider}/${model}`;
