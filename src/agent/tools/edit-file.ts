import { readFile, stat } from 'node:fs/promises';
import type { ToolResult } from '../tool.js';
import { decodeText, isBinary } from '../../git/text.js';
import { replaceOnce, stripLineNumbers } from './match-text.js';
import { confineEdit, fail, isResult, numberLines } from './shared.js';
import { defineTool } from './define.js';

/**
 * edit_file: replaces exactly one occurrence of old_text (exact, else tolerant of whitespace and
 * indentation, see match-text.ts) and proposes the file's whole new content through ctx.propose;
 * the loop shows the hunks and commits. Never asks a read approval and never writes the file.
 */

export const editFileTool = defineTool({
  name: 'edit_file',
  description: 'Replace one occurrence of old_text in a file with new_text.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      old_text: { type: 'string', description: 'exact text to replace, unique in the file' },
      new_text: { type: 'string' },
    },
    required: ['path', 'old_text', 'new_text'],
  },
  actionClass: 'edit',
  subject: (args) => args.path,
  async run(args, ctx, use) {
    const target = confineEdit(ctx, args.path);
    if (isResult(target)) return target;
    const { rel } = target;
    const oldText = stripLineNumbers(args.old_text);
    const newText = stripLineNumbers(args.new_text);
    if (oldText.trim() === '') {
      return fail('old_text is empty; give the lines to replace, or call write_file to create or replace a whole file.');
    }
    if (oldText === newText) return fail('old_text and new_text are the same; put the changed text in new_text.');

    const text = await readText(target.abs, rel);
    if (typeof text !== 'string') return text;
    const match = replaceOnce(text, oldText, newText);
    if (match.kind === 'ambiguous') {
      const where = match.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
      return fail(
        `old_text occurs ${where.length} times in ${rel}, at lines ${listed(where)}; include more surrounding lines in old_text so that it matches only one of them.`,
      );
    }
    if (match.kind === 'not_found') return notFound(rel, text, match.closest);
    if (match.content === text) return fail(`That edit would not change ${rel}; check new_text.`);

    const outcome = await ctx.propose({ action: use.action(rel), files: [{ path: rel, content: match.content }] });
    const how = match.tolerant ? ', matched ignoring whitespace' : '';
    return { content: outcome.content, details: `edit_file ${rel}: lines ${match.startLine}-${match.endLine}${how}` };
  },
});

/** The file's text, or the error result when it is missing, a folder, or not text. */
async function readText(abs: string, rel: string): Promise<string | ToolResult> {
  try {
    if ((await stat(abs)).isDirectory()) return fail(`${rel} is a directory; give the path of a file.`);
  } catch {
    return fail(`${rel} does not exist; check the path with list_files, or call write_file to create it.`);
  }
  const bytes = await readFile(abs);
  const text = isBinary(bytes) ? null : decodeText(bytes);
  if (text === null) return fail(`${rel} is binary or not UTF-8 text; edit_file edits text files only.`);
  return text;
}

function notFound(rel: string, text: string, closest: [number, number] | undefined): ToolResult {
  const hint = 'Copy the text exactly from read_file (without the line numbers) and call edit_file again.';
  if (!closest) return fail(`old_text was not found in ${rel}, which is empty; use write_file to give it content.`);
  const [start, end] = closest;
  const lines = text
    .split('\n')
    .slice(start - 1, end)
    .map((line) => line.replace(/\r$/, ''));
  const range = start === end ? `line is ${start}` : `lines are ${start}-${end}`;
  return fail(
    `old_text was not found in ${rel}; the closest ${range}:\n${numberLines(lines, start, String(end).length)}\n${hint}`,
  );
}

function listed(all: string[]): string {
  const items = all.length > 12 ? [...all.slice(0, 10), `${all.length - 10} more places`] : all;
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
