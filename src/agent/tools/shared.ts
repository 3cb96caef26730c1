import { basename, join } from 'node:path';
import { git } from '../../git/exec.js';
import { realRelative, resolveInside } from '../paths.js';
import type { ActionRequest } from '../approval-policy.js';
import type { ActionDecision, ToolContext, ToolResult } from '../tool.js';
import { similarity } from './match-text.js';

/** Helpers the tools share: error results, asking approval, confined paths, the repo's file list. */

export function fail(content: string): ToolResult {
  return { content, isError: true };
}

/**
 * Asks the user (through ctx.approve) for a read or a run. Resolves to undefined when allowed, or
 * to the refusal the tool returns as is: it names what was refused, the reason when one was
 * given, and tells the model to continue without it or ask differently.
 */
export async function askApproval(ctx: ToolContext, request: ActionRequest): Promise<ToolResult | undefined> {
  const decision = await ctx.approve(request);
  return decision.allowed ? undefined : refusal(request, decision);
}

/** The result a tool returns for a refused request. */
export function refusal(request: ActionRequest, decision: Extract<ActionDecision, { allowed: false }>): ToolResult {
  const what = `${request.tool} ${request.subject}`;
  const why = decision.reason
    ? ` by the user, who said: "${decision.reason}"`
    : decision.automatic
      ? ` automatically (${decision.automatic})`
      : ' by the user';
  return fail(`${what} was refused${why}. Continue without it, or ask for something different.`);
}

/**
 * A path confined to the worktree (see resolveInside), or the error result to return. Refused
 * first: a path longer than any file system takes (its error would echo it whole to the model),
 * and one holding a control or bidirectional-formatting character, which shows the user a name
 * other than the one written (`a\u202Etxt.js` reads as `asj.txt`) when they approve it. A path
 * through a symbolic link inside the worktree is the path of what the link leads to: that is what
 * is read, asked about, checked against the rules and edited (a link stays a link), so that a
 * link named `notes.md` to `.env` reads as `.env`, which the rules withhold.
 */
export function confine(ctx: ToolContext, path: string): { abs: string; rel: string } | ToolResult {
  const unfit = unfitPath(path);
  if (unfit) return fail(unfit);
  const resolved = resolveInside(ctx.root, path);
  if ('error' in resolved) return fail(resolved.error);
  const real = realRelative(ctx.root, resolved.rel);
  return real === resolved.rel ? resolved : { abs: join(ctx.root, real), rel: real };
}

/** PATH_MAX on Linux: no file system here takes a longer path. */
const MAX_PATH_CHARS = 4096;
/** C0 and C1 controls and DEL (NUL is named by resolveInside); bidi marks, embeddings, overrides, isolates. */
const CONTROL = /[\u0001-\u001f\u007f-\u009f]/;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function unfitPath(path: string): string | undefined {
  if (path.length > MAX_PATH_CHARS) {
    return `path is ${path.length} characters long, more than a file system takes (${MAX_PATH_CHARS}); use a path relative to the repository root, e.g. src/index.ts.`;
  }
  const control = CONTROL.exec(path);
  const found = control ?? BIDI.exec(path);
  if (!found) return undefined;
  const code = `U+${found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  const kind = control ? 'a control character' : 'a bidirectional-formatting character';
  return `path contains ${code}, ${kind}, at position ${found.index + 1}; write the path with visible characters only, e.g. src/index.ts.`;
}

/**
 * A confined path the config lets the model edit, or the error result. A file it may not read is
 * not edited either: edit_file answers a miss with the file's closest lines.
 */
export function confineEdit(ctx: ToolContext, path: string): { abs: string; rel: string } | ToolResult {
  const target = confine(ctx, path);
  if (isResult(target)) return target;
  const forbidden = ctx.permissions.forbids('edit', target.rel) ?? ctx.permissions.forbids('read', target.rel);
  return forbidden ? fail(`Editing ${target.rel} is not allowed: ${forbidden}. Leave that file alone.`) : target;
}

export function isResult(value: object): value is ToolResult {
  return 'content' in value;
}

/** A git pathspec that matches `rel` literally (no glob, no `:(magic)`). */
export function literalPathspec(rel: string): string {
  return `:(literal)${rel}`;
}

/**
 * Tracked and untracked-but-not-ignored files under `rel` ('.' for all), sorted, without
 * duplicates (a file with merge stages is listed once), paths relative to the root.
 */
export async function listRepoFiles(root: string, rel: string, signal?: AbortSignal): Promise<string[]> {
  const args = ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', literalPathspec(rel)];
  const { stdout } = await git(args, { cwd: root, signal });
  const files = new Set(stdout.split('\0').filter((f) => f !== ''));
  return [...files].sort();
}

/** Lines numbered from `first`, numbers right-aligned to `width` digits: `  12│ text`. */
export function numberLines(lines: string[], first: number, width: number): string {
  return lines.map((line, i) => `${String(first + i).padStart(width)}│ ${line}`).join('\n');
}

/** Up to `limit` existing files whose paths look most like `rel` (same name first). */
export function similarPaths(rel: string, files: string[], limit = 5): string[] {
  const name = basename(rel).toLowerCase();
  const scored = files.map((file) => {
    const fileName = basename(file).toLowerCase();
    const score =
      (fileName === name ? 1 : 0) + similarity(fileName, name) + 0.5 * similarity(file.toLowerCase(), rel.toLowerCase());
    return { file, score };
  });
  return scored
    .filter((s) => s.score > 0.4)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((s) => s.file);
}
