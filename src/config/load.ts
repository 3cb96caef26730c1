import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError, messageOf } from '../errors.js';
import type { PermissionRule } from '../permissions.js';
import { userConfigDir } from './paths.js';
import { contentHash, repositoryOf, splitRepoLayer, trustAnswer, type UntrustedRepoConfig } from './trust.js';
import { type ConfigLayer, type LspEntry, type ProviderConfig, validateConfig } from './validate.js';
import type { ThinkSetting } from '../task-model.js';

export interface Config {
  model: string;
  providers: Record<string, ProviderConfig>;
  contextWindow: number | undefined;
  /** Whether thinking models think (levels for those that take them); undefined: on where the model can. */
  think: ThinkSetting | undefined;
  run: { timeoutMs: number; outputLimit: number };
  /** The command sandbox: whether it is on, what more it hides, which secret-looking variables pass. */
  sandbox: { enabled: boolean; hide: string[]; passEnv: string[] };
  /** Language servers named or turned off, per language. */
  lsp: Record<string, LspEntry>;
  /** The permission rules of every layer, user's first. */
  permissions: PermissionRule[];
  /** What the repository's config asks for that the user has not agreed to: not applied. */
  untrusted?: UntrustedRepoConfig;
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
  think: undefined,
  run: { timeoutMs: 120_000, outputLimit: 30_000 },
  sandbox: { enabled: true, hide: [], passEnv: [] },
  lsp: {},
  permissions: [],
};

function readLayer(file: string, problems: string[]): { layer: ConfigLayer; text: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { layer: {}, text: '' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    problems.push(`${file}: not valid JSON (${messageOf(error)})`);
    return { layer: {}, text };
  }
  const result = validateConfig(raw, file);
  problems.push(...result.problems);
  return { layer: result.layer, text };
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
    think: layer.think ?? into.think,
    run: {
      timeoutMs: layer.run?.timeout !== undefined ? layer.run.timeout * 1000 : into.run.timeoutMs,
      outputLimit: layer.run?.outputLimit ?? into.run.outputLimit,
    },
    sandbox: {
      enabled: layer.sandbox?.enabled ?? into.sandbox.enabled,
      hide: [...into.sandbox.hide, ...(layer.sandbox?.hide ?? [])],
      passEnv: [...into.sandbox.passEnv, ...(layer.sandbox?.passEnv ?? [])],
    },
    lsp: { ...into.lsp, ...layer.lsp },
    permissions: [...into.permissions, ...(layer.permissions ?? [])],
  };
}

/**
 * Built-in defaults < user (`$XDG_CONFIG_HOME/hunkwise/config.json`) < repository
 * (`.hunkwise/config.json`) < environment (`OLLAMA_HOST`, `HUNKWISE_MODEL`) < flags. Every problem
 * of every file is reported at once. Of a repository's file, what would loosen permissions, name
 * a provider or name a program to run applies only once the user agreed to that content in this
 * repository (see trust.ts); until then it is left out and described in `untrusted`. A provider
 * is never declared local there: a cloned repository must not be able to send the code somewhere
 * unnoticed.
 */
export function loadConfig(repoRoot: string | undefined, flags: ConfigLayer = {}, env = process.env): Config {
  const problems: string[] = [];
  const userFile = join(userConfigDir(env), 'config.json');
  let config = merge(DEFAULTS, readLayer(userFile, problems).layer);
  let untrusted: UntrustedRepoConfig | undefined;
  if (repoRoot) {
    const file = join(repoRoot, '.hunkwise', 'config.json');
    const { layer, text } = readLayer(file, problems);
    for (const [name, provider] of Object.entries(layer.providers ?? {})) {
      if (provider.local !== undefined) {
        problems.push(`${file}: providers.${name}.local: only your own config may declare a provider local; declare it in ${userFile}`);
        delete provider.local;
      }
    }
    // What would loosen the sandbox is the user's to say, never a cloned repository's.
    if (layer.sandbox?.enabled === false) {
      problems.push(`${file}: sandbox.enabled: only your own config may turn the command sandbox off; do it in ${userFile}`);
      delete layer.sandbox.enabled;
    }
    if (layer.sandbox?.passEnv) {
      problems.push(`${file}: sandbox.passEnv: only your own config may give commands secret-looking variables; name them in ${userFile}`);
      delete layer.sandbox.passEnv;
    }
    const { tightening, wants } = splitRepoLayer(layer);
    if (wants.length > 0) {
      const repository = repositoryOf(repoRoot);
      const hash = contentHash(text);
      const answer = trustAnswer(repository, hash, env);
      if (answer !== 'yes') untrusted = { file, repository, hash, wants, declined: answer === 'no' };
    }
    config = merge(config, untrusted ? tightening : layer);
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
  return untrusted ? { ...config, untrusted } : config;
}
