import { readFile } from 'node:fs/promises';
import type { LanguageServers } from '../../lsp/registry.js';
import type { SymbolInfo } from '../../lsp/types.js';
import type { ToolContext, ToolResult } from '../tool.js';
import { askApproval, confine, fail, isResult } from './shared.js';

/**
 * What every symbol tool does first: there must be language servers, the path (if any) must be
 * inside the worktree, and a read tool's question must be approved (its subject: the path, or the
 * name). An edit tool asks nothing here: its hunks are what the user approves.
 */
export async function symbolTool(
  ctx: ToolContext,
  tool: string,
  name: string,
  path: string | undefined,
  asks = true,
): Promise<{ servers: LanguageServers; path: string | undefined } | ToolResult> {
  if (!ctx.servers) {
    return fail(`${tool} needs a language server, and none runs in this task. Use grep and read_file instead.`);
  }
  let rel: string | undefined;
  if (path !== undefined) {
    const target = confine(ctx, path);
    if (isResult(target)) return target;
    rel = target.rel;
  }
  if (asks) {
    const refused = await askApproval(ctx, { class: 'read', tool, subject: rel ?? name, path: rel });
    if (refused) return refused;
  }
  return { servers: ctx.servers, path: rel };
}

/** The first line of a declaration, trimmed: its signature for most languages. */
export async function declarationLine(root: string, symbol: SymbolInfo): Promise<string> {
  const text = await readFile(`${root}/${symbol.path}`, 'utf8');
  const line = text.split('\n')[symbol.range.start.line] ?? '';
  return line.trim().slice(0, 200);
}

/** Lines of files, read once each: `path:line: text` for locations. */
export async function lineReader(root: string): Promise<(path: string, line: number) => Promise<string>> {
  const cache = new Map<string, string[]>();
  return async (path, line) => {
    let lines = cache.get(path);
    if (!lines) {
      lines = (await readFile(`${root}/${path}`, 'utf8').catch(() => '')).split('\n');
      cache.set(path, lines);
    }
    return (lines[line] ?? '').replace(/\r$/, '').trim();
  };
}
