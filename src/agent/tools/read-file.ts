import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { ToolResult } from '../tool.js';
import { decodeText, isBinary } from '../../git/text.js';
import { defineTool } from './define.js';
import { confine, fail, isResult, listRepoFiles, numberLines, similarPaths } from './shared.js';

/**
 * read_file: numbered lines of one text file, 1-based inclusive range, at most MAX_LINES lines or
 * about MAX_BYTES per call, ending with how to read on. Asks approval (class read) before touching
 * the file.
 */

const MAX_LINES = 500;
const MAX_BYTES = 40_000;
const MAX_LINE_CHARS = 2_000;

export const readFileTool = defineTool({
  name: 'read_file',
  description: 'Numbered lines of a text file, at most 500 per call.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      start_line: { type: 'integer', description: 'from 1' },
      end_line: { type: 'integer' },
    },
    required: ['path'],
  },
  actionClass: 'read',
  subject: (args) => args.path,
  async run(args, ctx, use) {
    const target = confine(ctx, args.path);
    if (isResult(target)) return target;
    const refused = await use.ask(target.rel, target.rel);
    if (refused) return refused;

    let info: Stats;
    try {
      info = await stat(target.abs);
    } catch {
      return missing(ctx.root, target.rel, ctx.signal);
    }
    if (info.isDirectory()) {
      return fail(`${target.rel} is a directory; call list_files with path "${target.rel}" to see its files.`);
    }
    if (!info.isFile()) return fail(`${target.rel} is not a regular file; read_file reads text files.`);
    const bytes = await readFile(target.abs);
    const text = isBinary(bytes) ? null : decodeText(bytes);
    if (text === null) {
      return fail(`${target.rel} is a binary (or non-UTF-8) file of ${info.size} bytes; read_file shows text files only.`);
    }
    if (text === '') return { content: `${target.rel} is empty (0 lines).` };
    return showLines(target.rel, text, args.start_line, args.end_line);
  },
});

function showLines(rel: string, text: string, startLine?: number, endLine?: number): ToolResult {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const total = lines.length;
  // A start_line of 0 is read as 1 (a 0-based slip); a negative one may mean "from the end", which is not offered.
  for (const [name, n] of [['start_line', startLine], ['end_line', endLine]] as const) {
    if (n !== undefined && n < 0) {
      return fail(`${name} ${n} is not a line number: ${rel} has lines 1 to ${total}; call read_file with line numbers in that range.`);
    }
  }
  const start = Math.max(1, startLine ?? 1);
  if (start > total) {
    return fail(`${rel} has ${total} lines; call read_file with start_line between 1 and ${total}.`);
  }
  const end = Math.min(total, endLine ?? total);
  if (end < start) {
    return fail(`end_line ${endLine} is before start_line ${start}; give end_line >= start_line, or leave it out.`);
  }

  const shown: string[] = [];
  let bytes = 0;
  for (let n = start; n <= end && shown.length < MAX_LINES; n++) {
    const line = cutLine((lines[n - 1] ?? '').replace(/\r$/, ''));
    bytes += Buffer.byteLength(line) + 8;
    if (bytes > MAX_BYTES && shown.length > 0) break;
    shown.push(line);
  }
  const last = start + shown.length - 1;
  const header = start === 1 && last === total ? `${rel} (${total} lines)` : `${rel} lines ${start}-${last} of ${total}`;
  const body = numberLines(shown, start, String(end).length);
  const rest =
    last < end ? `\n... lines ${last + 1}-${end} not shown; call read_file with start_line ${last + 1}` : '';
  return { content: `${header}\n${body}${rest}`, details: `read ${rel} lines ${start}-${last} of ${total}` };
}

function cutLine(line: string): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  return `${line.slice(0, MAX_LINE_CHARS)} [... ${line.length - MAX_LINE_CHARS} more characters]`;
}

async function missing(root: string, rel: string, signal: AbortSignal): Promise<ToolResult> {
  let similar: string[] = [];
  try {
    similar = similarPaths(rel, await listRepoFiles(root, '.', signal));
  } catch {
    // Not a git repository, or git failed: answer without suggestions.
  }
  const hint = similar.length > 0 ? ` Similar paths: ${similar.join(', ')}.` : '';
  return fail(`${rel} does not exist.${hint} Call list_files to see the files.`);
}
