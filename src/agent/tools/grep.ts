import { existsSync } from 'node:fs';
import { GitError, git } from '../../git/exec.js';
import { confine, fail, isResult, literalPathspec } from './shared.js';
import { defineTool } from './define.js';
import { EXIT } from '../../git/queries.js';

/**
 * grep: matching lines as `path:line: text`, with git grep's semantics (extended regex, tracked
 * and untracked-not-ignored files, binary files skipped). At most MAX_MATCHES lines, each cut
 * at MAX_LINE_CHARS, then a count of the rest. Exit 1 from git grep is "no match", not an error.
 */

const MAX_MATCHES = 200;
const MAX_LINE_CHARS = 300;

export const grepTool = defineTool({
  name: 'grep',
  description: 'Search file contents with an extended regex; prints path:line: text.',
  parameters: {
    type: 'object',
    properties: {
      pattern: { type: 'string', description: 'extended regex' },
      path: { type: 'string', description: 'file or folder, default all' },
    },
    required: ['pattern'],
  },
  actionClass: 'read',
  subject: (args) => args.pattern,
  async run(args, ctx, use) {
    if (args.pattern === '') return fail('pattern is empty; give the text or extended regex to search for.');
    // A process argument cannot hold a NUL: spawning would throw instead of searching.
    if (args.pattern.includes('\0')) return fail('pattern contains a NUL character, which git grep cannot search for; leave it out.');
    const target = confine(ctx, args.path ?? '.');
    if (isResult(target)) return target;
    const subject = target.rel === '.' ? args.pattern : `${args.pattern} in ${target.rel}`;
    const refused = await use.ask(subject, target.rel);
    if (refused) return refused;
    if (!existsSync(target.abs)) {
      return fail(`${target.rel} does not exist; call grep without path to search every file.`);
    }

    const gitArgs = ['grep', '-z', '-n', '-I', '--untracked', '--no-color', '-E', '-e', args.pattern];
    let stdout: string;
    let code: number;
    try {
      ({ stdout, code } = await git([...gitArgs, '--', literalPathspec(target.rel)], {
        cwd: ctx.root,
        okCodes: [EXIT.no],
        signal: ctx.signal,
      }));
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      const message = error.stderr.trim().replace(/^fatal: /, '');
      return fail(
        `git grep failed: ${message}. The pattern is an extended regex: escape ( ) [ ] { } . * + ? | with \\ to match them literally.`,
      );
    }
    const where = target.rel === '.' ? '' : ` in ${target.rel}`;
    if (code === EXIT.no) return { content: `No matches for ${args.pattern}${where}.` };

    // Lines of files the config denies (secret-looking ones, say) are left out, and said to be.
    const all = stdout.split('\n').filter((line) => line !== '');
    const matches = all.filter((line) => !ctx.permissions.forbids('read', line.slice(0, line.indexOf('\0'))));
    const hidden = all.length - matches.length;
    const withheld = hidden > 0 ? `\n(${hidden} matching line${hidden === 1 ? '' : 's'} in files you may not read left out)` : '';
    if (matches.length === 0) return { content: `No matches for ${args.pattern}${where} in files you may read.${withheld}` };
    const shown = matches.slice(0, MAX_MATCHES).map(formatMatch);
    const rest = matches.length - shown.length;
    const more = rest > 0 ? `\n... and ${rest} more matches; narrow with path or a more specific pattern` : '';
    return {
      content: `${shown.join('\n')}${more}${withheld}`,
      details: `${matches.length} matches for ${args.pattern}${where}`,
    };
  },
});

/** `path\0line\0text` (git grep -z -n) → `path:line: text`, the text cut at MAX_LINE_CHARS. */
function formatMatch(raw: string): string {
  const first = raw.indexOf('\0');
  const second = raw.indexOf('\0', first + 1);
  if (first === -1 || second === -1) return raw;
  let text = raw.slice(second + 1).replace(/\r$/, '');
  if (text.length > MAX_LINE_CHARS) text = `${text.slice(0, MAX_LINE_CHARS)} [...]`;
  return `${raw.slice(0, first)}:${raw.slice(first + 1, second)}: ${text}`;
}
