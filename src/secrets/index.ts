import type { Masker } from './mask.js';

/**
 * The masker of this process: the credential formats of rules.ts plus the values of this
 * process's secret environment variables (secretEnvValues of env.ts, the provider key variables
 * included). Importing this module costs nothing; the masking code is loaded by the first
 * `processMasker()` (a git note, or a request to a remote provider), so a task on a local model
 * reaches its first request without it.
 *
 * Leaf module: imports nothing of hunkwise outside src/secrets/. cleanEnv and secretEnvNames, for
 * the command sandbox, are in ./env.js.
 */

export type { Masker } from './mask.js';

const keyEnvs = new Set<string>();
let loading: Promise<Masker> | undefined;

/**
 * Names provider key variables (`providers.*.apiKeyEnv` of the config) whose values are masked
 * even when their names do not look secret. Only adds: a masker already built is rebuilt at its
 * next use, and every later masker masks at least what an earlier one did.
 */
export function addKeyEnvs(names: Iterable<string | undefined>): void {
  for (const name of names) {
    if (!name || keyEnvs.has(name)) continue;
    keyEnvs.add(name);
    loading = undefined;
  }
}

/**
 * The masker for the environment as it is at this call (process.env is read when the masker is
 * built, and again only after addKeyEnvs names a new variable). Never rejects unless the masking
 * code cannot be loaded at all.
 */
export function processMasker(): Promise<Masker> {
  loading ??= build([...keyEnvs]);
  return loading;
}

/** `text` as processMasker masks it. */
export async function maskSecrets(text: string): Promise<string> {
  return (await processMasker())(text);
}

async function build(names: string[]): Promise<Masker> {
  const [{ createMasker }, { secretEnvValues }] = await Promise.all([import('./mask.js'), import('./env.js')]);
  return createMasker({ values: secretEnvValues(process.env, { keyEnvs: names }) });
}
