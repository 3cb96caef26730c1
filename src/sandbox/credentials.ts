import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * The places of the user's home that hold credentials: a sandboxed command sees them empty. The
 * list the README gives, plus what the user's config adds (`sandbox.hide`). Shell and REPL
 * histories are here too: tokens get pasted into them.
 */
export const CREDENTIAL_PATHS: readonly string[] = [
  '.ssh',
  '.aws',
  '.azure',
  '.config/gcloud',
  '.gnupg',
  '.netrc',
  '.git-credentials',
  '.config/git/credentials',
  '.npmrc',
  '.yarnrc.yml',
  '.pypirc',
  '.docker/config.json',
  '.kube',
  '.config/gh',
  '.config/hub',
  '.config/op',
  '.cargo/credentials',
  '.cargo/credentials.toml',
  '.gem/credentials',
  '.terraform.d/credentials.tfrc.json',
  '.vault-token',
  '.password-store',
  '.local/share/keyrings',
  '.pgpass',
  '.my.cnf',
  '.bash_history',
  '.zsh_history',
  '.local/share/fish/fish_history',
  '.python_history',
  '.node_repl_history',
  '.psql_history',
  '.mysql_history',
];

/**
 * The absolute paths to hide: the built-in list under `home`, then the config's additions (`~/x`
 * or an absolute path; anything else is relative to the home folder).
 */
export function credentialPaths(extra: readonly string[] = [], home = homedir()): string[] {
  const fromConfig = extra.map((path) => (path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : isAbsolute(path) ? path : join(home, path)));
  return [...CREDENTIAL_PATHS.map((path) => join(home, path)), ...fromConfig];
}
