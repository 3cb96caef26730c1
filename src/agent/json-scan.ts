import { messageOf } from '../errors.js';

/**
 * Reading JSON out of a model's free text: linear, string-aware scans that never throw, and a
 * parse that forgives the slips small models make. Used by the text tool protocol (text-tools.ts).
 */

/** A span of text: [start, end). */
export interface Region {
  start: number;
  end: number;
}

/** What repairJson could fix: a comma before a closing bracket, a raw newline or tab. */
const SLIPS = /,\s*[}\]]|[\n\r\t]/;

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** JSON.parse, then once more with small-model slips repaired; the first error is the one reported. */
export function parseLenient(source: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(source) };
  } catch (error) {
    const repaired = SLIPS.test(source) ? repairJson(source) : source;
    if (repaired !== source) {
      try {
        return { ok: true, value: JSON.parse(repaired) };
      } catch {
        // fall through to the original error, which points into what the model wrote
      }
    }
    return { ok: false, error: messageOf(error) };
  }
}

/**
 * Drops a comma before `}` or `]` and escapes raw newlines and tabs inside strings. Never adds a
 * missing closing brace: an answer cut off mid-call must not become a call with cut-off content.
 */
function repairJson(source: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (inString) {
      if (ch === '\\') {
        out += ch + (source[i + 1] ?? '');
        i++;
        continue;
      }
      if (ch === '"') inString = false;
      out += ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch === '\t' ? '\\t' : ch;
      continue;
    }
    if (ch === '"') inString = true;
    if (ch === ',') {
      const next = source[skipWhitespace(source, i + 1, source.length)];
      if (next === '}' || next === ']') continue;
    }
    out += ch;
  }
  return out;
}

/** Said without parsing: cheaper than a thrown SyntaxError, and plainer than "Unexpected end". */
const UNCLOSED: Parsed = { ok: false, error: 'it never closes: a } or ] is missing, or a string is left open' };

/** The JSON values from `from` on, separated by whitespace or commas, each up to its balanced end. */
export function readValues(text: string, from: number, limit: number): Array<Parsed & Region> {
  const values: Array<Parsed & Region> = [];
  let i = from;
  while (i < limit && (text[i] === '{' || text[i] === '[')) {
    const close = matchBrace(text, i, limit);
    const end = close === -1 ? limit : close;
    values.push({ start: i, end, ...(close === -1 ? UNCLOSED : parseLenient(text.slice(i, end))) });
    if (close === -1) break;
    i = end;
    while (i < limit && (text[i] === ',' || /\s/.test(text[i]!))) i++;
  }
  return values;
}

/** Index just past the bracket that closes the one at `open`, or -1 if it does not close before `limit`. */
export function matchBrace(text: string, open: number, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < limit; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Where the JSON of a block starts: right at its start, or with `search` (tags, whose content may
 * open with a fence or a word) at the first `{` or `[`.
 */
export function firstOpening(text: string, from: number, to: number, search: boolean): number {
  const i = skipWhitespace(text, from, to);
  if (text[i] === '{' || text[i] === '[') return i;
  if (!search) return -1;
  const brace = indexIn(text, '{', i, to);
  const bracket = indexIn(text, '[', i, to);
  if (brace === -1 || bracket === -1) return Math.max(brace, bracket);
  return Math.min(brace, bracket);
}

export function skipWhitespace(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && /\s/.test(text[i]!)) i++;
  return i;
}

export function indexIn(text: string, ch: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (text[i] === ch) return i;
  return -1;
}
