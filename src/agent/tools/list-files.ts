import { existsSync } from 'node:fs';
import { GitError } from '../../git/exec.js';
import { confine, fail, isResult, listRepoFiles } from './shared.js';
import { defineTool } from './define.js';
import { globToRegExp } from '../../glob.js';

/**
 * list_files: tracked and untracked-not-ignored files under a folder (`git ls-files --cached
 * --others --exclude-standard`), optionally filtered by a glob we match ourselves: a pattern
 * without '/' matches the file name at any depth (`*.ts`); one with '/' matches the path relative
 * to the repository root or to the folder. `**` spans folders, `*` and `?` do not, `[abc]` and
 * `{a,b}` work as in shells. At most MAX_ENTRIES paths, then a count of the rest.
 */

const MAX_ENTRIES = 300;

export const listFilesTool = defineTool({
  name: 'list_files',
  description: 'List the files under a folder (tracked and new, not ignored).',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'folder, default the root' },
      pattern: { type: 'string', description: 'glob, e.g. *.ts or src/**/*.test.ts' },
    },
  },
  actionClass: 'read',
  subject: (args) => args.path ?? '.',
  async run(args, ctx, use) {
    const target = confine(ctx, args.path ?? '.');
    if (isResult(target)) return target;
    const pattern = args.pattern?.trim() || undefined;
    // The folder alone, so that a folder allowance (`src/**`) covers every listing under it.
    const refused = await use.ask(target.rel, target.rel);
    if (refused) return refused;
    if (!existsSync(target.abs)) {
      return fail(`${target.rel} does not exist; call list_files without path to see the repository's files.`);
    }

    let files: string[];
    try {
      files = await listRepoFiles(ctx.root, target.rel, ctx.signal);
    } catch (error) {
      if (error instanceof GitError) return fail(`git ls-files failed: ${error.stderr.trim()}`);
      throw error;
    }
    if (pattern) {
      const match = globMatcher(pattern, target.rel);
      files = files.filter(match);
    }
    const where = `under ${target.rel === '.' ? 'the repository root' : target.rel}${pattern ? ` matching ${pattern}` : ''}`;
    if (files.length === 0) return { content: `No files ${where}.` };
    const shown = files.slice(0, MAX_ENTRIES);
    const rest = files.length - shown.length;
    const more = rest > 0 ? `\n... and ${rest} more; narrow with path or pattern` : '';
    return {
      content: `${files.length} files ${where}:\n${shown.join('\n')}${more}`,
      details: `${files.length} files ${where}`,
    };
  },
});

/** Whether a root-relative path matches `pattern` (see the module comment for the rules). */
export function globMatcher(pattern: string, folder = '.'): (path: string) => boolean {
  const glob = pattern.replace(/^\.\//, '');
  const re = globToRegExp(glob);
  if (!glob.includes('/')) return (path) => re.test(path.slice(path.lastIndexOf('/') + 1));
  const prefix = folder === '.' ? '' : `${folder}/`;
  return (path) => re.test(path) || (path.startsWith(prefix) && re.test(path.slice(prefix.length)));
}
