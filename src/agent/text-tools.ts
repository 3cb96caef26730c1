import type { ToolCall, ToolDefinition } from '../model/types.js';
import { firstOpening, indexIn, matchBrace, parseLenient, type Region, readValues, skipWhitespace } from './json-scan.js';

/**
 * The text protocol for models without native tool calls, or that write their calls into the
 * answer anyway (SPEC section 6). The prompt teaches one form, `<tool_call>{json}</tool_call>`; the
 * parser also takes what small models write instead: a fenced JSON block, a bare JSON object, the
 * call shapes of other APIs. A malformed call becomes a problem message the model can act on.
 * Pure: no I/O, never throws, and about linear in the length of the answer.
 */

export interface TextToolCalls {
  /** In the order they appear in the answer. */
  calls: ToolCall[];
  /** One message per malformed call, for the model: what was wrong and the form to use. */
  problems: string[];
}

/** The text appended to the system prompt in text mode: the form of a call, then one line per tool. */
export function textProtocolPrompt(tools: ToolDefinition[]): string {
  const names = tools.map((tool) => tool.name);
  const example = exampleCall(names);
  const resultName = names.includes('read_file') ? 'read_file' : (names[0] ?? 'tool_name');
  return [
    'To call a tool, write a JSON object in tags, exactly like this:',
    example,
    'One call per tag; an answer may hold several. Strict JSON: double quotes, \\n and \\" inside strings.',
    `Then stop: results come in the next user message as <tool_result name="${resultName}">...</tool_result>.`,
    'Tools (? = optional; arguments are strings unless typed):',
    ...tools.map(toolLine),
  ].join('\n');
}

/** `read_file(path, start_line?: integer, end_line?: integer): Numbered lines of ...` */
function toolLine(tool: ToolDefinition): string {
  const { properties, required } = tool.parameters;
  const args = Object.entries(properties).map(([name, property]) => {
    const optional = required?.includes(name) ? '' : '?';
    return property.type === 'string' ? `${name}${optional}` : `${name}${optional}: ${property.type}`;
  });
  return `${tool.name}(${args.join(', ')}): ${tool.description}`;
}

/** The user-message text carrying one tool result back to a model in text mode. */
export function formatToolResult(name: string, content: string): string {
  return `<tool_result name="${name.replace(/["<>\s]/g, '')}">\n${content}\n</tool_result>`;
}

/**
 * The tool calls written into an answer, and a problem for each attempt that was not a valid call.
 * What counts: everything in `<tool_call>` tags; a fenced JSON block with the shape of a call; a
 * bare JSON object with the shape of a call and a known tool name (so a package.json snippet in
 * prose is never a call). Text after a `<tool_result` the model wrote itself is ignored: those
 * results are invented, and calls made after them rest on invented results; a problem says so.
 * Only the first MAX_CALLS calls are returned, with a problem counting the rest.
 */
export function parseTextToolCalls(text: string, toolNames: readonly string[]): TextToolCalls {
  const calls: ToolCall[] = [];
  const problems: string[] = [];
  if (INVENTED_RESULT.test(text)) problems.push(INVENTED_PROBLEM);
  for (const found of scan(text, toolNames)) {
    calls.push(...found.calls);
    problems.push(...found.problems);
  }
  if (calls.length > MAX_CALLS) problems.unshift(tooManyCalls(calls.length));
  const read = calls.slice(0, MAX_CALLS);
  if (problems.length <= MAX_PROBLEMS) return { calls: read, problems };
  const more = problems.length - MAX_PROBLEMS;
  return { calls: read, problems: [...problems.slice(0, MAX_PROBLEMS), `...and ${more} more malformed tool calls.`] };
}

/** More messages than this would only fill the model's context with the same advice. */
const MAX_PROBLEMS = 5;

/**
 * More calls than this in one answer is a generation running away (small models repeat until a
 * limit), not a plan: the rest are not run, each of them an action the user might be asked about.
 */
export const MAX_CALLS = 25;

export const tooManyCalls = (count: number): string =>
  `Your answer held ${count} tool calls; only the first ${MAX_CALLS} were read, the other ${count - MAX_CALLS} were not run. Make at most ${MAX_CALLS} calls in one answer, and the next ones after reading their results.`;

/** The model wrote a result itself: told so, since what it based on that result was dropped. */
const INVENTED_PROBLEM =
  'Your answer contains a <tool_result> you wrote yourself: it was ignored, and so was everything after it, tool calls included. Results come only from the tools, in the next message: end your answer after your tool calls.';

/**
 * The answer's prose for showing: without the call spans (and anything after an invented
 * `<tool_result`). Without `toolNames` only tags and call-shaped fenced blocks are recognised;
 * pass the names to remove bare call objects too.
 */
export function stripToolCallText(text: string, toolNames: readonly string[] = []): string {
  const kept = beforeResults(text);
  let out = '';
  let at = 0;
  for (const found of scan(text, toolNames)) {
    out += kept.slice(at, found.start);
    at = found.end;
  }
  out += kept.slice(at);
  return out
    .replace(/```[\w+.-]*\s*```/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// ---------------------------------------------------------------------------------------------
// Finding the spans: tags first, then fenced blocks that hold no tag, then bare objects between.

/** A span of the answer that held calls or problems. */
interface Found extends Region {
  calls: ToolCall[];
  problems: string[];
}

/** A region whose JSON content lies in [contentStart, contentEnd). */
interface Block extends Region {
  contentStart: number;
  contentEnd: number;
}

type Where = 'tag' | 'fence' | 'bare';

interface Context {
  names: readonly string[];
  /** Sorted offsets of every `"tool_name"` in the answer: a span without one holds no bare call. */
  nameHits: number[];
  /** Characters the bare-object scan may still read; bounds the work on adversarial input. */
  budget: number;
}

const OPEN_TAG = /<tool_call\s*>/gi;
const CLOSE_TAG = /<\/tool_call\s*>/gi;
const JSON_FENCES = new Set(['', 'json', 'jsonc', 'json5', 'tool_call']);

function scan(answer: string, toolNames: readonly string[]): Found[] {
  const text = beforeResults(answer);
  const ctx: Context = { names: toolNames, nameHits: nameHits(text, toolNames), budget: 4 * text.length + 100_000 };
  const tags = findTags(text);
  const found: Found[] = tags.map((tag) => readBlock(text, tag, 'tag', ctx));
  const fences = findFences(text);
  for (const fence of fences) {
    if (fence.lang === null || overlapsAny(tags, fence)) continue;
    const block = readBlock(text, fence, 'fence', ctx);
    if (block.calls.length + block.problems.length > 0) found.push(block);
  }
  for (const gap of gaps(merge([...tags, ...fences]), text.length)) found.push(...scanBare(text, gap, ctx));
  return found.sort((a, b) => a.start - b.start);
}

/**
 * A result the model wrote itself starts a line or follows a closing tag (Qwen-style templates
 * call it tool_response). Mid-line it may be inside a string, e.g. a write_file of this very file.
 */
const INVENTED_RESULT = /(?:^|\n|<\/tool_call>)[ \t]*<tool_(?:result|response)\b/i;

function beforeResults(text: string): string {
  const match = INVENTED_RESULT.exec(text);
  return match === null ? text : text.slice(0, match.index + match[0].toLowerCase().lastIndexOf('<tool_'));
}

/** Tag pairs in order. A tag left open runs to the next opening tag or to the end of the answer. */
function findTags(text: string): Block[] {
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

/** Fenced blocks (``` or longer runs, closed by a run at least as long); `lang` null if not JSON. */
function findFences(text: string): Array<Block & { lang: string | null }> {
  const fences: Array<Block & { lang: string | null }> = [];
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
    fences.push({ start: i, end, contentStart, contentEnd, lang: JSON_FENCES.has(lang.toLowerCase()) ? lang : null });
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
function readBlock(text: string, block: Block, where: 'tag' | 'fence', ctx: Context): Found {
  const found: Found = { start: block.start, end: block.end, calls: [], problems: [] };
  const first = firstOpening(text, block.contentStart, block.contentEnd, where === 'tag');
  if (first === -1) {
    if (where === 'tag') found.problems.push(`The <tool_call> tags hold no JSON object. ${correctForm(ctx.names)}`);
    return found;
  }
  const values = readValues(text, first, block.contentEnd);
  for (const [index, value] of values.entries()) {
    if (!value.ok) {
      const source = text.slice(value.start, value.end);
      if (index === 0 && (where === 'tag' || looksLikeCall(source, ctx.names))) {
        found.problems.push(invalidJson(where, value.error, source, ctx.names));
      }
      break;
    }
    if (index === 0 && where === 'tag') addValue(found, value.value, where, ctx);
    else if (isCallShaped(value.value)) addValue(found, value.value, where, ctx);
    else if (index === 0) findNestedCalls(value.value, found, where, ctx, 0);
    else break;
  }
  return found;
}

/**
 * Bare call objects between the tags and fences. Only an object that starts with a key and
 * contains a quoted tool name is worth parsing; a balanced object that parses but is no call is
 * skipped whole, one that does not parse is entered to look for calls inside it. The budget stops
 * the scan on adversarial input (a megabyte of unclosed braces) instead of going quadratic.
 */
function scanBare(text: string, gap: Region, ctx: Context): Found[] {
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
function findNestedCalls(value: unknown, found: Found, where: Where, ctx: Context, depth: number): void {
  if (depth > 16) return;
  if (Array.isArray(value)) {
    for (const item of value) findNestedCalls(item, found, where, ctx, depth + 1);
    return;
  }
  if (!isRecord(value)) return;
  const parts = callParts(value);
  if (parts?.exact && parts.hasArgs && ctx.names.includes(parts.name)) {
    addCall(found, value, where, ctx);
    return;
  }
  for (const item of Object.values(value)) findNestedCalls(item, found, where, ctx, depth + 1);
}

function addValue(found: Found, value: unknown, where: Where, ctx: Context): void {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) found.problems.push(`${subject(where)} is an empty array. ${correctForm(ctx.names)}`);
  for (const item of items) addCall(found, item, where, ctx);
}

function addCall(found: Found, item: unknown, where: Where, ctx: Context): void {
  const parts = callParts(item);
  if (parts === undefined) {
    const what = isRecord(item) ? 'has no "name" naming the tool' : `must be a JSON object, got ${describe(item)}`;
    found.problems.push(`${subject(where)} ${what}. ${correctForm(ctx.names)}`);
    return;
  }
  if (!ctx.names.includes(parts.name)) {
    found.problems.push(
      `Unknown tool "${parts.name.slice(0, 60)}" ${place(where)}; the tools are: ${ctx.names.join(', ')}. ${correctForm(ctx.names)}`,
    );
    return;
  }
  const args = toArguments(parts.args);
  if (args === undefined) {
    const got = describe(parts.args);
    found.problems.push(
      `The "arguments" of ${parts.name} ${place(where)} must be a JSON object, got ${got}. ${correctForm(ctx.names)}`,
    );
    return;
  }
  found.calls.push({ name: parts.name, arguments: args });
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

function exampleCall(names: readonly string[]): string {
  if (names.includes('read_file')) {
    return '<tool_call>{"name": "read_file", "arguments": {"path": "src/index.ts"}}</tool_call>';
  }
  return `<tool_call>{"name": "${names[0] ?? 'tool_name'}", "arguments": {}}</tool_call>`;
}

function correctForm(names: readonly string[]): string {
  return `Write each call as ${exampleCall(names)}: strict JSON (double quotes), "arguments" an object.`;
}

function place(where: Where): string {
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
    const quoted = `"${name}"`;
    for (let i = text.indexOf(quoted); i !== -1; i = text.indexOf(quoted, i + 1)) hits.push(i);
  }
  return hits.sort((a, b) => a - b);
}

/** Whether some hit lies in [from, to); `hits` sorted. */
function hasHit(hits: number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hits[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < hits.length && hits[lo]! < to;
}

/** Whether `region` overlaps one of `sorted` (sorted, disjoint). */
function overlapsAny(sorted: Region[], region: Region): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.start < region.end) lo = mid + 1;
    else hi = mid;
  }
  const before = sorted[lo - 1];
  return before !== undefined && before.end > region.start;
}

function merge(regions: Region[]): Region[] {
  const merged: Region[] = [];
  for (const region of [...regions].sort((a, b) => a.start - b.start)) {
    const last = merged[merged.length - 1];
    if (last !== undefined && region.start <= last.end) last.end = Math.max(last.end, region.end);
    else merged.push({ start: region.start, end: region.end });
  }
  return merged;
}

function gaps(covered: Region[], length: number): Region[] {
  const result: Region[] = [];
  let at = 0;
  for (const region of covered) {
    if (region.start > at) result.push({ start: at, end: region.start });
    at = Math.max(at, region.end);
  }
  if (at < length) result.push({ start: at, end: length });
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
