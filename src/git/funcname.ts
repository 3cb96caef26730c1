import type { Hunk } from './hunk.js';

/**
 * git's function context for a hunk (its default funcname rule): the nearest line above the hunk
 * that starts with a letter, `_` or `$` (a declaration, in most languages), cut to 80 characters;
 * '' where there is none (a new file, a hunk above the first such line).
 */
export function gitFunctionContext(oldContent: string | null, hunk: Pick<Hunk, 'oldStart'>): string {
  if (!oldContent) return '';
  const lines = oldContent.split('\n');
  for (let i = Math.min(hunk.oldStart - 1, lines.length) - 1; i >= 0; i--) {
    const line = (lines[i] ?? '').replace(/\s+$/, '');
    if (/^[A-Za-z_$]/.test(line)) return line.slice(0, 80);
  }
  return '';
}
