import { readFile } from 'node:fs/promises';
import { applyTextEdits } from '../../lsp/text-edits.js';
import { describeSymbol, resolveSymbol } from '../symbols.js';
import { fail } from './shared.js';
import { symbolTool } from './symbol-shared.js';
import { defineTool } from './define.js';

/**
 * replace_symbol: a function's, method's or class's whole text replaced by name; its range comes
 * from the language server, so the model never counts lines or columns. A symbol declared in a
 * file the read or edit rules withhold is refused before that file is read.
 */
export const replaceSymbolTool = defineTool({
  name: 'replace_symbol',
  description: "Replace a function's, method's or class's whole text.",
  parameters: {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'name or name path' },
      path: { type: 'string', description: 'file that declares it' },
      new_text: { type: 'string', description: 'the whole new declaration' },
    },
    required: ['name', 'path', 'new_text'],
  },
  actionClass: 'edit',
  subject: (args) => `${args.name} in ${args.path}`,
  async run(args, ctx, use) {
    if (args.new_text.trim() === '') return fail('new_text is empty; give the whole new declaration.');
    const ready = await symbolTool(ctx, use, args.name, args.path, 'edit');
    if ('content' in ready) return ready;
    const resolved = await resolveSymbol(ctx.root, ready.servers, args.name, ready.path, ready.withheld);
    if ('error' in resolved) return fail(resolved.error);
    const { symbol } = resolved;
    // `path` may import the name from a withheld file: refused before that file is read.
    if (ready.withheld.has(symbol.path)) {
      return fail(`${args.name} is declared in a file you may not edit, not in ${ready.path}; it cannot be replaced. Leave it as it is.`);
    }
    const before = await readFile(`${ctx.root}/${symbol.path}`, 'utf8');
    const indent = /^[ \t]*/.exec(before.split('\n')[symbol.range.start.line] ?? '')?.[0] ?? '';
    const eol = before.includes('\r\n') ? '\r\n' : '\n';
    const after = applyTextEdits(before, [{ range: symbol.range, newText: placeText(args.new_text, indent, eol) }]);
    if (typeof after !== 'string') return fail(`${describeSymbol(symbol)} could not be replaced: ${after.error}.`);
    if (after === before) return fail(`new_text is the same as ${args.name}'s current text.`);
    const outcome = await ctx.propose({ action: use.action(`${args.name} in ${symbol.path}`), files: [{ path: symbol.path, content: after }] });
    return { content: outcome.content, details: describeSymbol(symbol) };
  },
});

/**
 * The new declaration as it goes at the old one's place: the range starts after the line's
 * indentation, so the first line loses its own; later lines get the declaration's indentation
 * when the model wrote them relative to column 0.
 */
export function placeText(text: string, indent: string, eol: string): string {
  const lines = text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const first = lines[0] ?? '';
  const own = /^[ \t]*/.exec(first)?.[0] ?? '';
  const relative = own === '' && indent !== '';
  return lines
    .map((line, i) => (i === 0 ? line.slice(own.length) : relative && line.trim() !== '' ? indent + line : line))
    .join(eol);
}
