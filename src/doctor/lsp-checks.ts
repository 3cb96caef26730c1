
import { BUILTIN_SERVERS, findServer, installHintOf, languageOf, type LspOverrides } from '../lsp/servers.js';
import { type Check, fail, ok, warn } from './check.js';
import { ask, trackedPaths } from '../git/queries.js';

/**
 * One check per language the repository has files of (every built-in one outside a repository),
 * and every one the config names. Finds the servers' commands without starting any. `root`
 * resolves a configured relative command; `repoRoot`: the repository, when there is one.
 */
export async function lspChecks(overrides: LspOverrides, root: string, repoRoot?: string): Promise<Check[]> {
  const known = [...new Set([...Object.keys(BUILTIN_SERVERS), ...Object.keys(overrides)])];
  const present = repoRoot ? await languagesIn(repoRoot, overrides) : new Set(known);
  const checked = known.filter((language) => present.has(language) || overrides[language] !== undefined);
  const unused = known.filter((language) => !checked.includes(language));
  const checks = await Promise.all(checked.map((language) => checkLanguage(language, overrides, root)));
  if (unused.length > 0) checks.push(ok('lsp others', `no files of ${unused.join(', ')} here: their servers are not needed`));
  return checks;
}

/** The languages of the repository's tracked files, by extension. */
async function languagesIn(repoRoot: string, overrides: LspOverrides): Promise<Set<string>> {
  const languages = new Set<string>();
  for (const path of await ask(trackedPaths(), { cwd: repoRoot })) {
    const language = languageOf(path, overrides);
    if (language) languages.add(language);
  }
  return languages;
}

async function checkLanguage(language: string, overrides: LspOverrides, root: string): Promise<Check> {
  const name = `lsp ${language}`;
  const override = overrides[language];
  if (override === false) return ok(name, `turned off in the config (lsp.${language} is false)`);
  const server = await findServer(language, overrides, root);
  if (server) return ok(name, [server.command, ...server.args].join(' '));
  if (override) return warn(name, `its configured command ${override.command} was not found`, installHintOf(language));
  // TypeScript's server comes with hunkwise: without it the installation itself is broken.
  return (language === 'typescript' ? fail : warn)(name, 'not found', installHintOf(language));
}
