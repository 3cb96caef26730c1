import type { Diagnostic } from './types.js';

/** `src/a.ts:12:5 error TS2322: Type 'string' is not assignable to type 'number'.` */
export function formatDiagnostic(d: Diagnostic): string {
  const code = d.code ? ` ${/^\d+$/.test(d.code) && d.source === 'ts' ? `TS${d.code}` : d.code}` : '';
  return `${d.path}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.severity}${code}: ${d.message.split('\n')[0]}`;
}

const key = (d: Diagnostic): string => `${d.path}\0${d.severity}\0${d.code ?? ''}\0${d.message}`;

/**
 * What a change did to the diagnostics, compared by file, code and message (not by line: an
 * edit above an error moves it without changing it). Counts matter: two equal errors before and
 * three after is one added.
 */
export function compareDiagnostics(before: Diagnostic[], after: Diagnostic[]): { added: Diagnostic[]; removed: Diagnostic[] } {
  const remaining = new Map<string, number>();
  for (const d of before) remaining.set(key(d), (remaining.get(key(d)) ?? 0) + 1);
  const added: Diagnostic[] = [];
  for (const d of after) {
    const left = remaining.get(key(d)) ?? 0;
    if (left > 0) remaining.set(key(d), left - 1);
    else added.push(d);
  }
  const removed: Diagnostic[] = [];
  const present = new Map<string, number>();
  for (const d of after) present.set(key(d), (present.get(key(d)) ?? 0) + 1);
  for (const d of before) {
    const left = present.get(key(d)) ?? 0;
    if (left > 0) present.set(key(d), left - 1);
    else removed.push(d);
  }
  return { added, removed };
}
