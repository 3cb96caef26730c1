import { describeSymbol, searchSymbols } from '../symbols.js';
import { declarationLine, leaveOut, symbolTool } from './symbol-shared.js';
import { fail } from './shared.js';
import { defineTool } from './define.js';

/** find_symbol: where a symbol is declared, by name, as the language server sees the code. */
export const findSymbolTool = defineTool({
  name: 'find_symbol',
  description: 'Where a symbol is defined: file, line, kind, signature.',
  parameters: {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'name or name path, e.g. Config.load' },
      path: { type: 'string', description: 'file to look in' },
    },
    required: ['name'],
  },
  actionClass: 'read',
  subject: (args) => `${args.name}${args.path ? ` in ${args.path}` : ''}`,
  async run(args, ctx, use) {
    const ready = await symbolTool(ctx, use, args.name, args.path);
    if ('content' in ready) return ready;
    const { found, notes } = await searchSymbols(ctx.root, ready.servers, args.name, ready.path);
    if (found.length === 0) {
      return fail([`No declaration named ${args.name} was found. Check the spelling, or use grep.`, ...notes].join('\n'));
    }
    // Declarations in withheld files are counted, never described: not even their path or line.
    const { kept, note } = leaveOut(ready.withheld, found, ({ symbol }) => symbol.path, 'declaration');
    if (kept.length === 0) {
      const advice = `Do not try to read it; use references to see where it is used, or leave ${args.name} alone.`;
      return { content: [`No declaration named ${args.name} is in a file you may read.`, note, advice, ...notes].join('\n') };
    }
    const lines = await Promise.all(
      kept.map(async ({ symbol }) => `${describeSymbol(symbol)}\n    ${await declarationLine(ctx.root, symbol)}`),
    );
    return { content: [...lines, note, ...notes].filter(Boolean).join('\n') };
  },
});
