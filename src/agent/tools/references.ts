import { readFile } from 'node:fs/promises';
import { firstUse, inDependency, openMentions, resolveSymbol } from '../symbols.js';
import { fail } from './shared.js';
import { leaveOut, lineReader, symbolTool } from './symbol-shared.js';
import { defineTool } from './define.js';

const MAX_REFERENCES = 200;

/** references: every reference to a symbol, as the language server finds them (not text matches). */
export const referencesTool = defineTool({
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
  subject: (args) => `${args.name}${args.path ? ` in ${args.path}` : ''}`,
  async run(args, ctx, use) {
    const ready = await symbolTool(ctx, use, args.name, args.path);
    if ('content' in ready) return ready;
    // The declaration may be in a withheld file: its references in other files may still be shown.
    const resolved = await resolveSymbol(ctx.root, ready.servers, args.name, ready.path, ready.withheld);
    if ('error' in resolved) return fail(resolved.error);
    const { symbol, client } = resolved;
    await client.ready();
    await openMentions(ctx.root, client, symbol.name, ready.withheld);
    // A dependency's declaration is asked about where the project uses it: a server may know the
    // dependency's file under another path (through the worktree's link) than the one it answered.
    const usedAt = args.path && inDependency(symbol.path) ? firstUse(await readFile(`${ctx.root}/${args.path}`, 'utf8').catch(() => ''), symbol.name) : undefined;
    const locations = await client.references(usedAt && args.path ? args.path : symbol.path, usedAt ?? symbol.selectionRange.start, true);
    if (locations.length === 0) return { content: `No references to ${args.name} were found.` };
    const { kept, note } = leaveOut(ready.withheld, locations, (location) => location.path, 'reference');
    const withheld = note ? `\n${note}` : '';
    if (kept.length === 0) return { content: `No references to ${args.name} are in files you may read.${withheld}` };
    const line = await lineReader(ctx.root);
    const shown = [
      ...new Set(
        await Promise.all(
          kept
            .slice(0, MAX_REFERENCES)
            .map(async ({ path, range }) => `${path}:${range.start.line + 1}: ${await line(path, range.start.line)}`),
        ),
      ),
    ];
    const more = kept.length > MAX_REFERENCES ? `\n(${kept.length - MAX_REFERENCES} more not shown)` : '';
    return { content: `${kept.length} reference${kept.length === 1 ? '' : 's'} to ${args.name}:\n${shown.join('\n')}${more}${withheld}` };
  },
});
