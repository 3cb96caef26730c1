import { readFile } from 'node:fs/promises';
import { git } from '../../git/exec.js';
import { formatDiagnostic } from '../../lsp/diagnostics-format.js';
import type { Diagnostic } from '../../lsp/types.js';
import { languageOf } from '../../lsp/servers.js';
import { fail } from './shared.js';
import { leaveOut, symbolTool } from './symbol-shared.js';
import { defineTool } from './define.js';

const MAX_FILES = 30;

/**
 * diagnostics: the language server's errors and warnings for a file, or for the files the task
 * has changed. A server that did not answer in time is reported as such, never as "no errors".
 * Diagnostics of files the read rules withhold are counted, never shown.
 */
export const diagnosticsTool = defineTool({
  name: 'diagnostics',
  description: "Errors and warnings of a file (default: the files changed).",
  parameters: {
    type: 'object',
    properties: { path: { type: 'string', description: 'file to check' } },
  },
  actionClass: 'read',
  subject: (args) => args.path ?? '',
  async run(args, ctx, use) {
    const ready = await symbolTool(ctx, use, '(the changed files)', args.path);
    if ('content' in ready) return ready;
    const files = ready.path ? [ready.path] : await changedSinceTaskStart(ctx.root, ctx.base);
    const checked = files.filter((file) => languageOf(file)).slice(0, MAX_FILES);
    if (checked.length === 0) {
      return fail(ready.path ? `No language server handles ${ready.path}.` : 'No file of a known language was changed yet; give a path.');
    }
    const found: Diagnostic[] = [];
    const problems: string[] = [];
    for (const file of checked) {
      const client = await ready.servers.forPath(file);
      if (!client) {
        problems.push(`${file}: no language server is available for it.`);
        continue;
      }
      await client.sync(file, await readFile(`${ctx.root}/${file}`, 'utf8'));
      await client.ready();
      const result = await client.diagnostics(file);
      if (result.status === 'ok') found.push(...result.diagnostics);
      else if (result.status === 'timeout') problems.push(`${file}: the language server gave no diagnostics within ${result.waitedMs} ms (unknown, not clean).`);
      else problems.push(`${file}: ${result.reason}`);
    }
    // Diagnostics of withheld files (a changed one, or one the server reports besides) are only counted: their messages quote their lines.
    const { kept, note } = leaveOut(ready.withheld, found, (d) => d.path, 'diagnostic');
    const errors = kept.filter((d) => d.severity === 'error').length;
    const head = `${errors} error${errors === 1 ? '' : 's'}, ${kept.length - errors} other in ${checked.length} file${checked.length === 1 ? '' : 's'}.`;
    return { content: [head, ...kept.map(formatDiagnostic), note, ...problems].filter(Boolean).join('\n') };
  },
});

/** Files added or changed since the task started (its commits and its worktree). */
async function changedSinceTaskStart(root: string, base: string): Promise<string[]> {
  const { stdout } = await git(['diff', '--name-only', '--diff-filter=AM', base], { cwd: root });
  return stdout.split('\n').filter(Boolean);
}
