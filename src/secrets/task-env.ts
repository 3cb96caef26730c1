import type { Config } from '../config/load.js';
import { cleanEnv } from './env.js';
import { addKeyEnvs } from './index.js';

/**
 * The environment of a task's commands and language servers (and of the servers `agent review`
 * starts): the user's, without the provider keys of the config and the variables that look secret
 * (unless sandbox.passEnv names them). Every provider key is masked in notes and remote requests
 * too, not only the task's provider's.
 */
export function taskEnvironment(config: Config): NodeJS.ProcessEnv {
  const keyEnvs = Object.values(config.providers).flatMap((provider) => (provider.apiKeyEnv ? [provider.apiKeyEnv] : []));
  addKeyEnvs(keyEnvs);
  return cleanEnv(process.env, { keyEnvs, pass: config.sandbox.passEnv });
}
