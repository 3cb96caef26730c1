import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import { userConfigDir } from './paths.js';
import { type ConfigLayer, type LspEntry, type ProviderConfig, validateConfig } from './validate.js';

export interface Config {
  model: string;
  providers: Record<string, ProviderConfig>;
  contextWindow: number | undefined;
  run: { timeoutMs: number; outputLimit: number };
  /** Language servers named or turned off, per language. */
  lsp: Record<string, LspEntry>;
}

export const DEFAULT_MODEL = 'ollama/qwen2.5-coder:7b';

/** The largest context a task asks for unless the config says otherwise (SPEC section 6). */
export const DEFAULT_CONTEXT_CAP = 32768;

/** The one num_ctx of a task: the config's `contextWindow`, else min(the model's maximum, 32768). */
export const taskNumCtx = (contextWindow: number | undefined, modelMax: number | undefined): number =>
  contextWindow ?? Math.min(modelMax ?? DEFAULT_CONTEXT_CAP, DEFAULT_CONTEXT_CAP);

const DEFAULTS: Config = {
  model: DEFAULT_MODEL,
  providers: {
    ollama: { api: 'ollama', baseUrl: 'http://127.0.0.1:11434' },
    openai: { api: 'openai', baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' },
  },
  contextWindow: undefined,
  run: { timeoutMs: 120_000, outputLimit: 30_000 },
  lsp: {},
};

function readLayer(file: string, problems: string[]): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    problems.push(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    return {};
  }
  const result = validateConfig(raw, file);
  problems.push(...result.problems);
  return result.layer;
}

function merge(into: Config, layer: ConfigLayer): Config {
  const providers = { ...into.providers };
  for (const [name, value] of Object.entries(layer.providers ?? {})) {
    // A declaration of locality belongs to the baseUrl it was written beside: a later layer that
    // moves the provider elsewhere (OLLAMA_HOST, say) does not inherit it.
    const local = value.local ?? (value.baseUrl === undefined ? providers[name]?.local : undefined);
    providers[name] = { ...providers[name], ...value, local };
  }
  return {
    model: layer.model ?? into.model,
    providers,
    contextWindow: layer.contextWindow ?? into.contextWindow,
    run: {
      timeoutMs: layer.run?.timeout !== undefined ? layer.run.timeout * 1000 : into.run.timeoutMs,
      outputLimit: layer.run?.outputLimit ?? into.run.outputLimit,
    },
    lsp: { ...into.lsp, ...layer.lsp },
  };
}

const onlyTurnedOff = (lsp: Record<string, LspEntry> | undefined): Record<string, LspEntry> =>
  Object.fromEntries(Object.entries(lsp ?? {}).filter(([, entry]) => entry === false));

/**
 * Built-in defaults < user (`$XDG_CONFIG_HOME/hunkwise/config.json`) < repository
 * (`.hunkwise/config.json`) < environment (`OLLAMA_HOST`, `HUNKWISE_MODEL`) < flags. Every problem
 * of every file is reported at once. A repository's file may not name providers, nor a language
 * server program (it may turn one off): a cloned repository must not be able to send the code
 * somewhere else or run a program of its choosing.
 */
export function loadConfig(repoRoot: string | undefined, flags: ConfigLayer = {}, env = process.env): Config {
  const problems: string[] = [];
  let config = merge(DEFAULTS, readLayer(join(userConfigDir(env), 'config.json'), problems));
  if (repoRoot) {
    const file = join(repoRoot, '.hunkwise', 'config.json');
    const repoLayer = readLayer(file, problems);
    const userFile = join(userConfigDir(env), 'config.json');
    if (repoLayer.providers) {
      problems.push(`${file}: providers: a repository's config may not set providers; set them in ${userFile}`);
    }
    for (const [language, entry] of Object.entries(repoLayer.lsp ?? {})) {
      if (entry !== false) {
        problems.push(`${file}: lsp.${language}: a repository's config may not name a program to run; name it in ${userFile}`);
      }
    }
    config = merge(config, { ...repoLayer, providers: undefined, lsp: onlyTurnedOff(repoLayer.lsp) });
  }
  const fromEnv: ConfigLayer = {};
  if (env.HUNKWISE_MODEL) fromEnv.model = env.HUNKWISE_MODEL;
  if (env.OLLAMA_HOST) fromEnv.providers = { ollama: { baseUrl: env.OLLAMA_HOST } };
  config = merge(merge(config, fromEnv), flags);
  if (problems.length > 0) {
    throw new AgentError(`The configuration has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n  ${problems.join('\n  ')}`, {
      hint: 'Fix these keys (the README lists every key), then run the command again.',
      kind: 'usage',
    });
  }
  return config;
}
