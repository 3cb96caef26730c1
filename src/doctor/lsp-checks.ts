import { BUILTIN_SERVERS, findServer, installHintOf, type LspOverrides } from '../lsp/servers.js';
import { type Check, fail, ok, warn } from './check.js';

/**
 * One check per language: every built-in one and every one the config names. Finds the servers'
 * commands without starting any. `root` resolves a configured relative command.
 */
export function lspChecks(overrides: LspOverrides, root: string): Promise<Check[]> {
  const languages = [...new Set([...Object.keys(BUILTIN_SERVERS), ...Object.keys(overrides)])];
  return Promise.all(languages.map((language) => checkLanguage(language, overrides, root)));
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
