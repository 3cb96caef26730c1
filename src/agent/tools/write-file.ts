import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, relative } from 'node:path';
import { decodeText, dominantEol } from '../../git/text.js';
import { withEol } from './match-text.js';
import { confineEdit, fail, isResult } from './shared.js';
import { defineTool } from './define.js';

/**
 * write_file: proposes a file's whole content (a new file, its folders implied, or a whole
 * replacement) through ctx.propose. Keeps a CRLF file CRLF when the model writes LF. Never writes
 * the file itself and never asks a read approval.
 */

export const writeFileTool = defineTool({
  name: 'write_file',
  description: 'Create a file, or replace a whole file, with content.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      content: { type: 'string', description: 'whole content' },
    },
    required: ['path', 'content'],
  },
  actionClass: 'edit',
  subject: (args) => args.path,
  async run(args, ctx, use) {
    const target = confineEdit(ctx, args.path);
    if (isResult(target)) return target;
    const { rel, abs } = target;
    if (rel === '.') return fail('path is the repository root; give the path of a file, e.g. src/index.ts.');

    let content = args.content;
    const info = await statOrUndefined(abs);
    if (info?.isDirectory()) return fail(`${rel} is a directory; give the path of a file inside it.`);
    if (info) {
      const existing = decodeText(await readFile(abs));
      if (existing !== null && dominantEol(existing) === '\r\n' && !content.includes('\r\n')) {
        content = withEol(content, '\r\n');
      }
      if (existing === content) return { content: `${rel} already has exactly this content; nothing to change.` };
    } else {
      const blocker = await fileAncestor(abs, ctx.root);
      if (blocker) return fail(`${blocker} is a file, so ${rel} cannot be created inside it; choose another path.`);
    }

    const outcome = await ctx.propose({ action: use.action(rel), files: [{ path: rel, content }] });
    const lines = content === '' ? 0 : content.split('\n').length - (content.endsWith('\n') ? 1 : 0);
    return { content: outcome.content, details: `write_file ${rel}: ${lines} lines${info ? '' : ' (new file)'}` };
  },
});

async function statOrUndefined(abs: string): Promise<Stats | undefined> {
  try {
    return await stat(abs);
  } catch {
    return undefined;
  }
}

/** The root-relative path of the nearest existing ancestor of `abs` when that is not a folder. */
async function fileAncestor(abs: string, root: string): Promise<string | undefined> {
  for (let dir = dirname(abs); relative(root, dir) !== '' && dir !== dirname(dir); dir = dirname(dir)) {
    const info = await statOrUndefined(dir);
    if (info) return info.isDirectory() ? undefined : relative(root, dir).split('\\').join('/');
  }
  return undefined;
}
