import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../git/exec.js';
import type { LanguageServers } from '../lsp/registry.js';
import { BUILTIN_SERVERS, type LspOverrides } from '../lsp/servers.js';

/**
 * Starts, while the model reads its first prompt, the server of each language the repository is
 * written in: a root marker of that language at the top (tsconfig.json, pyproject.toml, ...) and
 * a tracked file of it, which the server is asked about first so that it loads the project. Nearly
 * every task needs it, at the latest for the diagnostics of its first edit; started here, its
 * start-up is spent while the model thinks rather than while the user waits for a hunk.
 */
export async function prewarmLanguageServers(servers: LanguageServers, root: string, overrides?: LspOverrides): Promise<void> {
  for (const server of Object.values(BUILTIN_SERVERS)) {
    if (overrides?.[server.language] === false) continue;
    if (!server.rootMarkers.some((marker) => existsSync(join(root, marker)))) continue;
    const { stdout } = await git(['ls-files', '-z', '--', ...server.extensions.map((ext) => `*.${ext}`)], { cwd: root });
    const file = stdout.split('\0').find((path) => path !== '');
    if (file) void servers.forPath(file);
  }
}
