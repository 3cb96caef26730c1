import { CLASS_WIDE, DECISIONS, type Decision, isCommandClass, PERMISSION_CLASSES, type PermissionClass, type PermissionRule } from '../permissions.js';
import { apiChoices, isProviderApi, type ProviderApi } from '../model/apis.js';
import type { ThinkSetting } from '../task-model.js';

/**
 * The configuration's shape, checked by a pure function that reports every problem at once with
 * the file and the key, so a user fixes them in one go.
 */

export interface ProviderConfig {
  baseUrl?: string;
  api?: ProviderApi;
  /** The environment variable that holds the API key (never the key itself). */
  apiKeyEnv?: string;
  /**
   * The user declares a server on another machine of their own (Ollama on a home GPU server) as
   * local. Honoured only in the user's own config, and only for the baseUrl set beside it.
   */
  local?: boolean;
}

/** A language server named in the config, or `false` to turn a language's server off. */
export type LspEntry = false | { command: string; args?: string[]; extensions?: string[]; rootMarkers?: string[] };

/** The command sandbox: on unless the user's own config turns it off. */
export interface SandboxConfig {
  /** False turns the sandbox off (the user's config only). */
  enabled?: boolean;
  /** More files and folders commands may not read: `~/...` or absolute. */
  hide?: string[];
  /** Secret-looking environment variables that commands and language servers still get (the user's config only). */
  passEnv?: string[];
}

export interface ConfigLayer {
  model?: string;
  lsp?: Record<string, LspEntry>;
  providers?: Record<string, ProviderConfig>;
  contextWindow?: number;
  think?: ThinkSetting;
  run?: { timeout?: number; outputLimit?: number };
  sandbox?: SandboxConfig;
  /** `permissions`, as rules in the order written, each naming its file. */
  permissions?: PermissionRule[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const KEYS = ['model', 'providers', 'contextWindow', 'think', 'permissions', 'run', 'sandbox', 'lsp'];

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

export function validateConfig(raw: unknown, source: string): { layer: ConfigLayer; problems: string[] } {
  const problems: string[] = [];
  const problem = (key: string, text: string): void => {
    problems.push(`${source}: ${key}: ${text}`);
  };
  if (!isRecord(raw)) return { layer: {}, problems: [`${source}: the file must hold a JSON object`] };
  const layer: ConfigLayer = {};
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) problem(key, `unknown key (known keys: ${KEYS.join(', ')})`);
  }
  if (raw.model !== undefined) {
    if (typeof raw.model === 'string' && /^[^/\s]+\/\S+$/.test(raw.model)) layer.model = raw.model;
    else problem('model', 'must be a string "provider/model", e.g. "ollama/qwen2.5-coder:7b"');
  }
  if (raw.contextWindow !== undefined) {
    if (Number.isInteger(raw.contextWindow) && (raw.contextWindow as number) >= 2048) {
      layer.contextWindow = raw.contextWindow as number;
    } else problem('contextWindow', 'must be a whole number of tokens, at least 2048');
  }
  if (raw.think !== undefined) {
    if (typeof raw.think === 'boolean' || raw.think === 'low' || raw.think === 'medium' || raw.think === 'high') layer.think = raw.think;
    else problem('think', 'must be true, false, "low", "medium" or "high"');
  }
  if (raw.providers !== undefined) {
    if (!isRecord(raw.providers)) problem('providers', 'must be an object: { "ollama": { "baseUrl": "..." } }');
    else {
      layer.providers = {};
      for (const [name, value] of Object.entries(raw.providers)) {
        const key = `providers.${name}`;
        if (!isRecord(value)) {
          problem(key, 'must be an object with "baseUrl"');
          continue;
        }
        layer.providers[name] = validateProvider(key, value, problem);
      }
    }
  }
  if (raw.run !== undefined) {
    if (!isRecord(raw.run)) problem('run', 'must be an object: { "timeout": 120, "outputLimit": 30000 }');
    else {
      layer.run = {};
      for (const field of Object.keys(raw.run)) {
        if (field !== 'timeout' && field !== 'outputLimit') problem(`run.${field}`, 'unknown key');
      }
      const { timeout, outputLimit } = raw.run;
      if (timeout !== undefined) {
        if (typeof timeout === 'number' && timeout > 0) layer.run.timeout = timeout;
        else problem('run.timeout', 'must be a positive number of seconds');
      }
      if (outputLimit !== undefined) {
        if (Number.isInteger(outputLimit) && (outputLimit as number) >= 1000) layer.run.outputLimit = outputLimit as number;
        else problem('run.outputLimit', 'must be a whole number of bytes, at least 1000');
      }
    }
  }
  if (raw.sandbox !== undefined) layer.sandbox = validateSandbox(raw.sandbox, problem);
  if (raw.lsp !== undefined) layer.lsp = validateLsp(raw.lsp, problem);
  if (raw.permissions !== undefined) layer.permissions = validatePermissions(raw.permissions, source, problem);
  return { layer, problems };
}

function validateProvider(
  key: string,
  value: Record<string, unknown>,
  problem: (key: string, text: string) => void,
): ProviderConfig {
  const provider: ProviderConfig = {};
  for (const field of Object.keys(value)) {
    if (!['baseUrl', 'api', 'apiKeyEnv', 'local'].includes(field)) problem(`${key}.${field}`, 'unknown key');
  }
  if (value.baseUrl !== undefined) {
    if (typeof value.baseUrl === 'string' && /^https?:\/\//.test(value.baseUrl)) provider.baseUrl = value.baseUrl;
    else problem(`${key}.baseUrl`, 'must be an http:// or https:// URL');
  }
  if (value.api !== undefined) {
    if (isProviderApi(value.api)) provider.api = value.api;
    else problem(`${key}.api`, `must be ${apiChoices()}`);
  }
  if (value.apiKeyEnv !== undefined) {
    if (typeof value.apiKeyEnv === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value.apiKeyEnv)) provider.apiKeyEnv = value.apiKeyEnv;
    else problem(`${key}.apiKeyEnv`, 'must be the name of an environment variable, e.g. "OPENAI_API_KEY" (never the key itself)');
  }
  if (value.local !== undefined) {
    if (typeof value.local === 'boolean') provider.local = value.local;
    else problem(`${key}.local`, 'must be true or false');
  }
  return provider;
}

function validateSandbox(raw: unknown, problem: (key: string, text: string) => void): SandboxConfig {
  const sandbox: SandboxConfig = {};
  if (!isRecord(raw)) {
    problem('sandbox', 'must be an object: { "enabled": true, "hide": ["~/.config/mytool"], "passEnv": ["GITHUB_TOKEN"] }');
    return sandbox;
  }
  for (const [field, value] of Object.entries(raw)) {
    const key = `sandbox.${field}`;
    if (field === 'enabled') {
      if (typeof value === 'boolean') sandbox.enabled = value;
      else problem(key, 'must be true or false');
    } else if (field === 'hide') {
      if (isStrings(value) && value.every((path) => path.startsWith('/') || path.startsWith('~/'))) sandbox.hide = value;
      else problem(key, 'must be a list of paths, each absolute or under ~/, e.g. ["~/.config/mytool"]');
    } else if (field === 'passEnv') {
      if (isStrings(value) && value.every((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))) sandbox.passEnv = value;
      else problem(key, 'must be a list of environment variable names, e.g. ["GITHUB_TOKEN"]');
    } else problem(key, 'unknown key (known keys: enabled, hide, passEnv)');
  }
  return sandbox;
}

function validateLsp(raw: unknown, problem: (key: string, text: string) => void): Record<string, LspEntry> {
  const lsp: Record<string, LspEntry> = {};
  if (!isRecord(raw)) {
    problem('lsp', 'must be an object: { "python": { "command": "pyright-langserver", "args": ["--stdio"] } }');
    return lsp;
  }
  for (const [language, value] of Object.entries(raw)) {
    const key = `lsp.${language}`;
    if (value === false) {
      lsp[language] = false;
      continue;
    }
    if (!isRecord(value) || typeof value.command !== 'string' || value.command.trim() === '') {
      problem(key, 'must be false, or an object with "command" (and optionally "args", "extensions", "rootMarkers")');
      continue;
    }
    const entry: Exclude<LspEntry, false> = { command: value.command };
    for (const field of Object.keys(value)) {
      if (field === 'command') continue;
      if (!['args', 'extensions', 'rootMarkers'].includes(field)) problem(`${key}.${field}`, 'unknown key');
      else if (!isStrings(value[field])) problem(`${key}.${field}`, 'must be a list of strings');
      else entry[field as 'args' | 'extensions' | 'rootMarkers'] = value[field] as string[];
    }
    lsp[language] = entry;
  }
  return lsp;
}

const isDecision = (value: unknown): value is Decision => DECISIONS.includes(value as Decision);

/**
 * `permissions`: per class, one decision for the whole class, or patterns → decision with `"*"`
 * for the rest: `{ "read": "allow", "run": { "npm test *": "allow", "git push *": "deny" } }`.
 */
function validatePermissions(raw: unknown, source: string, problem: (key: string, text: string) => void): PermissionRule[] {
  const rules: PermissionRule[] = [];
  const example = '{ "read": "allow", "run": { "npm test *": "allow", "git push *": "deny" } }';
  if (!isRecord(raw)) {
    problem('permissions', `must be an object: ${example}`);
    return rules;
  }
  for (const [cls, value] of Object.entries(raw)) {
    const key = `permissions.${cls}`;
    if (!PERMISSION_CLASSES.includes(cls as PermissionClass)) {
      problem(key, `unknown class (the classes are ${PERMISSION_CLASSES.join(', ')})`);
      continue;
    }
    const entries = typeof value === 'string' ? [[CLASS_WIDE, value] as const] : isRecord(value) ? Object.entries(value) : undefined;
    if (!entries) {
      problem(key, `must be "allow", "ask" or "deny", or an object of patterns: ${example}`);
      continue;
    }
    for (const [pattern, decision] of entries) {
      const where = typeof value === 'string' ? key : `${key}["${pattern}"]`;
      if (!isDecision(decision)) problem(where, 'must be "allow", "ask" or "deny"');
      else if (pattern.trim() === '') problem(where, 'the pattern is empty');
      else if (!isCommandClass(cls as PermissionClass) && (pattern.startsWith('/') || pattern.split('/').includes('..'))) {
        problem(where, 'a path pattern is relative to the repository root, e.g. "src/**" or "*.pem"');
      } else rules.push({ class: cls as PermissionClass, pattern: pattern.trim(), decision, source });
    }
  }
  return rules;
}
