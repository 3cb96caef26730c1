import { isRecord } from '../../model/error-code.js';
import { firstOpening, indexIn, matchBrace, parseLenient, type Region, readValues, skipWhitespace } from '../json-scan.js';
import { type CallContext, correctForm, type Found, firstAtOrAfter, unknownTool } from './context.js';

/**
 * Calls written as JSON: in `<tool_call>` tags, in a fenced block, or bare in the prose; as
 * `{"name", "arguments"}` or the call shapes of other APIs and fine-tunes. A malformed call
 * becomes a problem message the model can act on.
 */
/** A region whose JSON content lies in [contentStart, contentEnd). */
export interface Block extends Region {
  contentStart: number;
  contentEnd: number;
}

/** Where a call was written: tags and the tokens of a call form make any JSON in them an attempt. */
export type Where = 'tag' | 'fence' | 'bare' | { tokens: string };

export interface JsonContext {
  tools: CallContext;
  /** Sorted offsets of every `tool_name"` in the answer: a span without one holds no bare call. */
  nameHits: number[];
  /** Characters the bare-object scan may still read; bounds the work on adversarial input. */
  budget: number;
}

export function jsonContext(text: string, tools: CallContext): JsonContext {
  return { tools, nameHits: nameHits(text, tools.names), budget: 4 * text.length + 100_000 };
}

const OPEN_TAG = /<tool_call\s*>/gi;
const CLOSE_TAG = /<\/tool_call\s*>/gi;

/** Tag pairs in order. A tag left open runs to the next opening tag or to the end of the answer. */
export function findTags(text: string): Block[] {
  const opens = [...text.matchAll(OPEN_TAG)];
  const closes = [...text.matchAll(CLOSE_TAG)];
  const tags: Block[] = [];
  let c = 0;
  for (let o = 0; o < opens.length; o++) {
    const open = opens[o]!;
    const contentStart = open.index + open[0].length;
    while (c < closes.length && closes[c]!.index < contentStart) c++;
    const close = closes[c];
    const nextOpen = opens[o + 1]?.index ?? text.length;
    if (close !== undefined && close.index < nextOpen) {
      tags.push({ start: open.index, end: close.index + close[0].length, contentStart, contentEnd: close.index });
    } else {
      tags.push({ start: open.index, end: nextOpen, contentStart, contentEnd: nextOpen });
    }
  }
  return tags;
}

/** Fenced blocks (``` or longer runs, closed by a run at least as long), with their language in lower case. */
export function findFences(text: string): Array<Block & { lang: string }> {
  const fences: Array<Block & { lang: string }> = [];
  const langPattern = /[\w+.-]*/y;
  let i = text.indexOf('```');
  while (i !== -1) {
    let runEnd = i;
    while (text[runEnd] === '`') runEnd++;
    langPattern.lastIndex = runEnd;
    const lang = langPattern.exec(text)?.[0] ?? '';
    const contentStart = runEnd + lang.length;
    const close = text.indexOf('`'.repeat(runEnd - i), contentStart);
    const contentEnd = close === -1 ? text.length : close;
    let end = contentEnd;
    while (text[end] === '`') end++;
    fences.push({ start: i, end, contentStart, contentEnd, lang: lang.toLowerCase() });
    i = text.indexOf('```', end);
  }
  return fences;
}

// ---------------------------------------------------------------------------------------------
// Reading calls out of a span.

/**
 * The calls of a tag or fenced block. The first JSON value is the attempt: in tags it must be a
 * call; in a fence only a call shape (or a text that mentions a tool like one) makes it an attempt.
 * Further values count when they are calls; anything else after them is tolerated garbage.
 */
export function readBlock(text: string, block: Block, where: Exclude<Where, 'bare'>, ctx: JsonContext): Found {
  const found: Found = { start: block.start, end: block.end, calls: [], problems: [] };
  const first = firstOpening(text, block.contentStart, block.contentEnd, where !== 'fence');
  if (first === -1) {
    if (where !== 'fence') found.problems.push(`${where === 'tag' ? 'The <tool_call> tags hold' : `What follows ${where.tokens} holds`} no call. ${correctForm(ctx.tools.names)}`);
    return found;
  }
  const values = readValues(text, first, block.contentEnd);
  for (const [index, value] of values.entries()) {
    if (!value.ok) {
      const source = text.slice(value.start, value.end);
      if (index === 0 && (where !== 'fence' || looksLikeCall(source, ctx.tools.names))) {
        if (!(text[value.start] === '[' && readItems(text, value, where, ctx, found))) {
          found.problems.push(invalidJson(where, value.error, source, ctx.tools.names));
        }
      }
      break;
    }
    if (index === 0 && where !== 'fence') addValue(found, value.value, where, ctx);
    else if (isCallShaped(value.value)) addValue(found, value.value, where, ctx);
    else if (index === 0) findNestedCalls(value.value, found, where, ctx, 0);
    else break;
  }
  return found;
}

/**
 * A list of calls that does not parse as a whole, read call by call: the whole ones run, each
 * broken one is a problem (a call cut off in its name, a value left unquoted, a missing comma
 * between calls). False when no item is a call.
 */
function readItems(text: string, list: Region, where: Where, ctx: JsonContext, found: Found): boolean {
  const items = readValues(text, skipWhitespace(text, list.start + 1, list.end), list.end);
  if (!items.some((item) => item.ok && callParts(item.value) !== undefined)) return false;
  for (const item of items) {
    if (item.ok) addCall(found, item.value, where, ctx);
    else found.problems.push(invalidJson(where, item.error, text.slice(item.start, item.end), ctx.tools.names));
  }
  return true;
}

/**
 * Bare call objects between the tags and fences. Only an object that starts with a key and
 * contains a quoted tool name is worth parsing; a balanced object that parses but is no call is
 * skipped whole, one that does not parse is entered to look for calls inside it. The budget stops
 * the scan on adversarial input (a megabyte of unclosed braces) instead of going quadratic.
 */
export function scanBare(text: string, gap: Region, ctx: JsonContext): Found[] {
  const found: Found[] = [];
  let i = gap.start;
  while (i < gap.end && ctx.budget > 0) {
    const open = indexIn(text, '{', i, gap.end);
    if (open === -1 || !hasHit(ctx.nameHits, open, gap.end)) break;
    i = open + 1;
    if (text[skipWhitespace(text, open + 1, gap.end)] !== '"') continue;
    const end = matchBrace(text, open, gap.end);
    ctx.budget -= (end === -1 ? gap.end : end) - open;
    if (end === -1) continue;
    if (!hasHit(ctx.nameHits, open, end)) {
      i = end;
      continue;
    }
    const parsed = parseLenient(text.slice(open, end));
    ctx.budget -= end - open;
    if (!parsed.ok) continue;
    const span: Found = { start: open, end, calls: [], problems: [] };
    findNestedCalls(parsed.value, span, 'bare', ctx, 0);
    if (span.calls.length + span.problems.length > 0) found.push(span);
    i = end;
  }
  return found;
}

/** Calls anywhere inside a parsed value that is not itself a call (e.g. `{"tool_calls": [...]}`). */
function findNestedCalls(value: unknown, found: Found, where: Where, ctx: JsonContext, depth: number): void {
  if (depth > 16) return;
  if (Array.isArray(value)) {
    for (const item of value) findNestedCalls(item, found, where, ctx, depth + 1);
    return;
  }
  if (!isRecord(value)) return;
  const parts = callParts(value);
  if (parts?.exact && parts.hasArgs && ctx.tools.knows(parts.name)) {
    addCall(found, value, where, ctx);
    return;
  }
  for (const item of Object.values(value)) findNestedCalls(item, found, where, ctx, depth + 1);
}

function addValue(found: Found, value: unknown, where: Where, ctx: JsonContext): void {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) found.problems.push(`${subject(where)} is an empty array. ${correctForm(ctx.tools.names)}`);
  for (const item of items) addCall(found, item, where, ctx);
}

function addCall(found: Found, item: unknown, where: Where, ctx: JsonContext): void {
  const parts = callParts(item);
  if (parts === undefined) {
    const what = isRecord(item) ? 'has no "name" naming the tool' : `must be a JSON object, got ${describe(item)}`;
    found.problems.push(`${subject(where)} ${what}. ${correctForm(ctx.tools.names)}`);
    return;
  }
  const name = ctx.tools.resolve(parts.name);
  if (name === undefined) {
    found.problems.push(unknownTool(parts.name, ctx.tools, place(where)));
    return;
  }
  const args = toArguments(parts.args);
  if (args === undefined) {
    const got = describe(parts.args);
    found.problems.push(
      `The "arguments" of ${name} ${place(where)} must be a JSON object, got ${got}. ${correctForm(ctx.tools.names)}`,
    );
    return;
  }
  found.calls.push({ name, arguments: args });
}

// ---------------------------------------------------------------------------------------------
// Call shapes: {"name", "arguments"} and the variants other APIs and fine-tunes use.

interface CallParts {
  name: string;
  args: unknown;
  hasArgs: boolean;
  /** No keys beyond the call's own: what a bare object needs to count as a call. */
  exact: boolean;
}

const NAME_KEYS = ['name', 'tool', 'tool_name', 'function'];
const ARGS_KEYS = ['arguments', 'parameters', 'args', 'input'];
const ENVELOPE_KEYS = ['type', 'id'];

/** `{"function": {...}}` and `{"type": "function", "function": {...}}` unwrap one level only. */
function callParts(value: unknown): CallParts | undefined {
  if (!isRecord(value)) return undefined;
  if (!isRecord(value.function)) return plainParts(value);
  const inner = plainParts(value.function);
  const envelopeOnly = Object.keys(value).every((key) => key === 'function' || ENVELOPE_KEYS.includes(key));
  return inner && { ...inner, exact: inner.exact && envelopeOnly };
}

function plainParts(value: Record<string, unknown>): CallParts | undefined {
  const nameKey = NAME_KEYS.find((key) => typeof value[key] === 'string');
  if (nameKey === undefined) return undefined;
  const argsKey = ARGS_KEYS.find((key) => value[key] !== undefined);
  const exact = Object.keys(value).every((key) => key === nameKey || key === argsKey || ENVELOPE_KEYS.includes(key));
  const args = argsKey === undefined ? undefined : value[argsKey];
  return { name: value[nameKey] as string, args, hasArgs: argsKey !== undefined, exact };
}

/** A call object, or an array holding one: what makes a fenced JSON block an attempted call. */
function isCallShaped(value: unknown): boolean {
  if (Array.isArray(value)) return value.some((item) => callParts(item)?.hasArgs === true);
  return callParts(value)?.hasArgs === true;
}

/** Arguments as an object; absent means none, a JSON string is parsed. Undefined if unusable. */
function toArguments(args: unknown): Record<string, unknown> | undefined {
  if (args === undefined || args === null) return {};
  if (isRecord(args)) return args;
  if (typeof args !== 'string') return undefined;
  if (args.trim() === '') return {};
  const parsed = parseLenient(args);
  return parsed.ok && isRecord(parsed.value) ? parsed.value : undefined;
}

/** Unparseable text in a fence is an attempted call only if it names a tool like a call would. */
function looksLikeCall(source: string, names: readonly string[]): boolean {
  if (!/["']?(?:name|tool|function)["']?\s*:/.test(source)) return false;
  return names.some((name) => source.includes(`"${name}"`) || source.includes(`'${name}'`));
}

// ---------------------------------------------------------------------------------------------
// Messages for the model.

function place(where: Where): string {
  if (typeof where === 'object') return `after ${where.tokens}`;
  if (where === 'tag') return 'in <tool_call> tags';
  return where === 'fence' ? 'in the fenced JSON block' : 'in the JSON object';
}


function subject(where: Where): string {
  return `The tool call ${place(where)}`;
}

function invalidJson(where: Where, error: string, source: string, names: readonly string[]): string {
  const quotes = /[{,[]\s*'/.test(source) ? ' JSON needs double quotes, not single quotes.' : '';
  const start = source.replace(/\s+/g, ' ').slice(0, 60);
  return `${subject(where)} is not valid JSON: ${error} (it begins: ${start}).${quotes} ${correctForm(names)}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}

// ---------------------------------------------------------------------------------------------
// Regions.

function nameHits(text: string, names: readonly string[]): number[] {
  const hits: number[] = [];
  for (const name of names) {
    const quoted = `${name}"`;
    for (let i = text.indexOf(quoted); i !== -1; i = text.indexOf(quoted, i + 1)) hits.push(i);
  }
  return hits.sort((a, b) => a - b);
}

/** Whether some hit lies in [from, to); `hits` sorted. */
function hasHit(hits: number[], from: number, to: number): boolean {
  const first = firstAtOrAfter(hits, from);
  return first !== undefined && first < to;
}

