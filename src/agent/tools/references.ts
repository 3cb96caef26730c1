import { resolveSymbol } from '../symbols.js';
import type { Tool } from '../tool.js';
import { fail } from './shared.js';
import { lineReader, symbolTool } from './symbol-shared.js';

export type ReferencesArgs = { name: string; path?: string };

const MAX_REFERENCES = 200;

/** references: every reference to a symbol, as the language server finds them (not text matches). */
export const referencesTool: Tool<ReferencesArgs> = {
  name: 'references',
  description: 'Every reference to a symbol, as path:line: text.',
  parameters: {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'name or name path' },
      path: { type: 'string', description: 'file that declares it' },
    },
    required: ['name'],
  },
  actionClass: 'read',
  describe: (args) => `references ${args.name}${args.path ? ` in ${args.path}` : ''}`,
  async run(args, ctx) {
    const ready = await symbolTool(ctx, 'references', args.name, args.path);
    if ('content' in ready) return ready;
    const resolved = await resolveSymbol(ctx.root, ready.servers, args.name, ready.path);
    if ('error' in resolved) return fail(resolved.error);
    const { symbol, client } = resolved;
    await client.ready();
    const locations = await client.references(symbol.path, symbol.selectionRange.start, true);
    if (locations.length === 0) return { content: `No references to ${args.name} were found.` };
    const line = await lineReader(ctx.root);
    const shown = [
      ...new Set(
        await Promise.all(
          locations
            .slice(0, MAX_REFERENCES)
            .map(async ({ path, range }) => `${path}:${range.start.line + 1}: ${await line(path, range.start.line)}`),
        ),
      ),
    ];
    const more = locations.length > MAX_REFERENCES ? `\n(${locations.length - MAX_REFERENCES} more not shown)` : '';
    return { content: `${locations.length} references to ${args.name}:\n${shown.join('\n')}${more}` };
  },
};
