/**
 * Which environment variables hold secrets, judged by name (and, for URLs, by value), and the
 * environment a command gets without them. Pure functions over an env object: nothing here reads
 * process.env by itself or imports anything of hunkwise.
 *
 * Anchor: Codex's `shell_environment_policy` drops `*KEY*`, `*SECRET*` and `*TOKEN*` by default.
 * hunkwise drops more (PASSWORD, CREDENTIAL, COOKIE, SESSION, PRIVATE, AUTH as a word, cloud
 * credentials, agent sockets) and keeps a short list of names those words would catch by accident.
 */

export interface SecretEnvOptions {
  /** The key variables of the configured providers (`providers.*.apiKeyEnv`): always secret, never passed. */
  keyEnvs?: Iterable<string | undefined>;
  /** Names the user's config lets through to commands (`sandbox.passEnv`); provider keys excepted. */
  pass?: Iterable<string>;
}

/** Provider keys of the field, secret whether or not a provider of the config names them. */
export const WELL_KNOWN_KEY_ENVS: readonly string[] = [
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'AZURE_OPENAI_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'MISTRAL_API_KEY',
  'GROQ_API_KEY',
  'DEEPSEEK_API_KEY',
  'OPENROUTER_API_KEY',
  'XAI_API_KEY',
  'TOGETHER_API_KEY',
  'FIREWORKS_API_KEY',
  'COHERE_API_KEY',
  'PERPLEXITY_API_KEY',
  'HF_TOKEN',
  'HUGGING_FACE_HUB_TOKEN',
];

/**
 * Words that make a name secret, matched in its upper-case form. KEY, SECRET and TOKEN as
 * substrings (as Codex does); AUTH only as a word (`SSH_AUTH_SOCK`, `NPM_CONFIG__AUTH`, `AUTHTOKEN`
 * via TOKEN) so that GIT_AUTHOR_NAME and XAUTHORITY stay; PASS only as a word or in PASSWORD,
 * PASSWD, PASSPHRASE, ASKPASS, PGPASS, so that BYPASS, COMPASS and PASSENGER stay.
 */
const SECRET_NAME =
  /KEY|SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|ASKPASS|PGPASS|(?:^|[^A-Z])PASS(?:[^A-Z]|$)|CREDENTIAL|CREDS(?:[^A-Z]|$)|COOKIE|SESSION|PRIVATE|(?:^|[^A-Z])O?AUTH(?:[^A-Z]|$)|AUTHORIZATION/;

/** Cloud and agent credentials whose names carry none of those words. */
const SECRET_PREFIX = /^(?:AWS_|AZURE_|ARM_CLIENT_|GOOGLE_APPLICATION_CREDENTIALS$|CLOUDSDK_AUTH_|GPG_AGENT_INFO$|KRB5CCNAME$)/;

/**
 * What the words above would catch that holds nothing secret and that commands rely on. Words
 * taken out of a name before it is judged: zsh's KEYTIMEOUT, the console's KEYMAP, KEYBOARD,
 * npm's `npm_package_keywords_*`, Hugging Face's TOKENIZERS_PARALLELISM (and `..._tokenizer`
 * package names). Whole names: the desktop session's bus address, ids and manager.
 * (XAUTHORITY and GIT_AUTHOR_* are not caught in the first place.)
 */
const HARMLESS_WORDS = /KEYTIMEOUT|KEYMAP|KEYBOARD|KEYWORDS?|TOKENIZERS?|[DM]ONKEY/g;
const HARMLESS = new Set(['DBUS_SESSION_BUS_ADDRESS', 'DESKTOP_SESSION', 'GDMSESSION', 'SESSION_MANAGER']);
const HARMLESS_PREFIX = /^XDG_SESSION_/;

/** A file path (SSH_AUTH_SOCK's socket) or a URL without a password (a TOKEN_URL): nothing to hide. */
const NOT_A_SECRET_VALUE = /^(?:~?\/\S*|[a-z][a-z0-9+.-]*:\/\/[^\s@]*)$/i;

/** A URL with a password in it (`postgres://user:pw@host`, `http://user:pw@proxy:3128`). */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s/@]+@/i;

/** Whether a name looks secret by itself, before the config's lists are applied. */
export function looksSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  if (HARMLESS.has(upper) || HARMLESS_PREFIX.test(upper)) return false;
  return SECRET_NAME.test(upper.replace(HARMLESS_WORDS, '_')) || SECRET_PREFIX.test(upper);
}

/**
 * The names of `env` a command must not see, sorted: the provider keys of `keyEnvs` (always),
 * the well-known provider keys, names that look secret, and variables whose value is a URL with a
 * password — except the names of `pass` (which can never let a `keyEnvs` name through).
 */
export function secretEnvNames(env: NodeJS.ProcessEnv, options: SecretEnvOptions = {}): string[] {
  const keys = new Set(present(options.keyEnvs));
  const pass = new Set(options.pass ?? []);
  const names: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (keys.has(name)) names.push(name);
    else if (!pass.has(name) && isSecret(name, value)) names.push(name);
  }
  return names.sort();
}

/** A copy of `env` without the names secretEnvNames gives (and without unset entries). */
export function cleanEnv(env: NodeJS.ProcessEnv, options: SecretEnvOptions = {}): Record<string, string> {
  const removed = new Set(secretEnvNames(env, options));
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !removed.has(name)) clean[name] = value;
  }
  return clean;
}

/**
 * The secret values of `env` a masker should hide wherever they appear, each with the name it
 * came from: the values of every name secretEnvNames gives, `pass` ignored (letting a token through
 * to a command does not make it fit to send off the machine). Left out: values of names secret only
 * by their cloud prefix (AWS_REGION's `us-east-1` is no secret), file paths (SSH_AUTH_SOCK) and
 * URLs without a password (an OAUTH_TOKEN_URL).
 * The masker itself skips values too short to be told from ordinary words.
 */
export function secretEnvValues(env: NodeJS.ProcessEnv, options: SecretEnvOptions = {}): { name: string; value: string }[] {
  const keys = new Set(present(options.keyEnvs));
  const found: { name: string; value: string }[] = [];
  for (const name of secretEnvNames(env, { keyEnvs: keys })) {
    const value = env[name] ?? '';
    const upper = name.toUpperCase();
    const byName =
      keys.has(name) || WELL_KNOWN_KEY_ENVS.includes(upper) || SECRET_NAME.test(upper.replace(HARMLESS_WORDS, '_')) || URL_WITH_PASSWORD.test(value);
    if (byName && !NOT_A_SECRET_VALUE.test(value)) found.push({ name, value });
  }
  return found;
}

function isSecret(name: string, value: string): boolean {
  return WELL_KNOWN_KEY_ENVS.includes(name.toUpperCase()) || looksSecretName(name) || URL_WITH_PASSWORD.test(value);
}

function present(names: Iterable<string | undefined> | undefined): string[] {
  return [...(names ?? [])].filter((name): name is string => typeof name === 'string' && name !== '');
}
