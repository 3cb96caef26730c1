import { readFile } from 'node:fs/promises';
import { faultPoint } from '../../fault.js';
import { applyTextEdits } from '../../lsp/text-edits.js';
import { LspError } from '../../lsp/types.js';
import { openMentions, resolveSymbol } from '../symbols.js';
import type { ProposedFile } from '../tool.js';
import { fail } from './shared.js';
import { type LeftOut, leaveOut, leftOutWords, symbolTool } from './symbol-shared.js';
import { defineTool } from './define.js';

const IDENTIFIER = /^[\p{L}_$][\p{L}\p{N}_$]*$/u;

/**
 * rename_symbol: the language server's own rename (its WorkspaceEdit), so shadowed names, aliased
 * imports and re-exports come out right. The old text at every range is checked before anything
 * is proposed; the edit is proposed as hunks like any other.
 *
 * A rename is whole or not at all: one that would change a file the read or edit rules withhold
 * (its declaration, or a single use) is refused before any file is read, with the count of those
 * locations. Proposed without them it would leave code that no longer compiles, in files the model
 * cannot see (their diagnostics are withheld too), committed unseen under `--approve edit`.
 */
export const renameSymbolTool = defineTool({
  name: 'rename_symbol',
  description: 'Rename a symbol everywhere it is used.',
  parameters: {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'current name or name path' },
      new_name: { type: 'string' },
      path: { type: 'string', description: 'file that declares it' },
    },
    required: ['name', 'new_name'],
  },
  actionClass: 'edit',
  subject: (args) => `${args.name} -> ${args.new_name}`,
  async run(args, ctx, use) {
    if (!IDENTIFIER.test(args.new_name)) return fail(`new_name "${args.new_name}" is not an identifier; give a name such as loadConfig.`);
    const ready = await symbolTool(ctx, use, args.name, args.path, 'edit');
    if ('content' in ready) return ready;
    const resolved = await resolveSymbol(ctx.root, ready.servers, args.name, ready.path, ready.withheld);
    if ('error' in resolved) return fail(resolved.error);
    const { symbol, client } = resolved;
    if (ready.withheld.has(symbol.path)) return fail(declaredWithheld(args.name));
    if (symbol.name === args.new_name) return fail(`${args.name} is already called ${args.new_name}.`);
    await client.ready();
    await openMentions(ctx.root, client, symbol.name, ready.withheld);
    let edits: Awaited<ReturnType<typeof client.rename>>;
    try {
      edits = await client.rename(symbol.path, symbol.selectionRange.start, args.new_name);
    } catch (error) {
      if (error instanceof LspError) return fail(`The language server cannot rename ${args.name}: ${error.message}`);
      throw error;
    }
    faultPoint('rename:answered');
    if (edits.length === 0) return fail(`The language server proposes no edit to rename ${args.name}.`);
    const locations = edits.flatMap(({ path, edits: fileEdits }) => fileEdits.map(() => path));
    const { left } = leaveOut(ready.withheld, locations, (path) => path, 'location');
    if (left.count > 0) return fail(partialRename(args.name, left, locations.length - left.count));
    const files: ProposedFile[] = [];
    let count = 0;
    for (const { path, edits: fileEdits } of edits) {
      const before = await readFile(`${ctx.root}/${path}`, 'utf8');
      const after = applyTextEdits(before, fileEdits, (old) =>
        old === '' || old.includes(symbol.name)
          ? undefined
          : `the language server's view of ${path} is out of date (it would replace "${old}", not "${symbol.name}")`,
      );
      if (typeof after !== 'string') return fail(`The rename was not proposed: ${after.error}. Read the file and try again.`);
      files.push({ path, content: after });
      count += fileEdits.length;
    }
    const outcome = await ctx.propose({ action: use.action(`${args.name} -> ${args.new_name}`), files });
    return { content: outcome.content, details: `${count} edits in ${files.length} files` };
  },
});

/** The refusal of a symbol declared in a withheld file: nothing of that file is named. */
function declaredWithheld(name: string): string {
  return `${name} is declared in a file you may not edit, so it cannot be renamed. Leave the name as it is; if the rename matters, say in your finish summary that the user has to rename ${name} there.`;
}

/** The refusal of a rename that would also change withheld files: how many locations, in how many. */
function partialRename(name: string, left: LeftOut, editable: number): string {
  return (
    `The rename was not proposed: renaming ${name} would change ${leftOutWords('edit', left, 'location')} (and ${editable} you may edit), and without them the code would be left broken. ` +
    `Do not rename it by hand either. Leave the name as it is, and say in your finish summary that renaming ${name} needs those files changed by the user (or allowed for editing in their config).`
  );
}
