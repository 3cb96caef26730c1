import { isRecord } from '../../model/error-code.js';
import { parseLenient, type Region, readValues, skipWhitespace } from '../json-scan.js';
import { addNamedCall, type CallContext, correctForm, type Found, firstAtOrAfter, indexAtOrAfter, offsetsOf } from './context.js';
import { type JsonContext, readBlock } from './json.js';
import { findGemmaCalls } from './gemma.js';
import { callNameAt, readPythonCall, readPythonList } from './python.js';

/**
 * Calls marked by a model's own special tokens, which leak into the text when a server has no
 * parser for them: Mistral's `[TOOL_CALLS]`, gpt-oss's harmony headers, Llama's `<|python_tag|>`,
 * LFM's `<|tool_call_start|>`, Granite's `<|tool_call|>`, Phi's `functools[...]` and DeepSeek's
 * `<｜tool▁call▁begin｜>`. What the tokens hold is an attempt at a call whatever its shape.
 */

export function findTokenCalls(text: string, ctx: JsonContext): Found[] {
  return [
    ...mistralCalls(text, ctx),
    ...harmonyCalls(text, ctx),
    ...wrappedCalls(text, ctx),
    ...deepseekCalls(text, ctx),
    ...kimiCalls(text, ctx),
    ...findGemmaCalls(text, ctx.tools),
  ];
}

/**
 * What a region meant for calls holds: a Python list or calls, or JSON. `tokens` names the
 * markers around it for the messages.
 */
export function readCallBody(text: string, region: Region, ctx: JsonContext, where: 'tag' | { tokens: string }): Found {
  const at = skipWhitespace(text, region.start, region.end);
  const place = where === 'tag' ? 'in <tool_call> tags' : `after ${where.tokens}`;
  if (text[at] === '[' && callNameAt(text, skipWhitespace(text, at + 1, region.end)) !== undefined) {
    const list = readPythonList(text, at, region.end, ctx.tools, place, true);
    if (list) return { ...list, start: region.start, end: region.end };
  }
  if (callNameAt(text, at) !== undefined) return pythonCalls(text, { start: at, end: region.end }, ctx.tools, place);
  return readBlock(text, { start: region.start, end: region.end, contentStart: at, contentEnd: region.end }, where, ctx);
}

/** `name(...)` calls one after another, separated by `;`, `,` or new lines; `print(...)` around one is dropped (Gemma). */
function pythonCalls(text: string, region: Region, tools: CallContext, place: string): Found {
  const found: Found = { start: region.start, end: region.end, calls: [], problems: [] };
  let i = region.start;
  while (i < region.end) {
    i = skipWhitespace(text, i, region.end);
    const name = callNameAt(text, i);
    if (name === undefined) break;
    const printed = name === 'print' && callNameAt(text, skipWhitespace(text, text.indexOf('(', i) + 1, region.end)) !== undefined;
    const at = printed ? skipWhitespace(text, text.indexOf('(', i) + 1, region.end) : i;
    const call = readPythonCall(text, at, region.end, tools, place);
    if (call.ok) found.calls.push({ name: call.name, arguments: call.args });
    else found.problems.push(call.error);
    i = call.end;
    if (printed && text[skipWhitespace(text, i, region.end)] === ')') i = skipWhitespace(text, i, region.end) + 1;
    while (i < region.end && /[\s;,]/.test(text[i]!)) i++;
  }
  found.end = i; // where the calls stopped: what follows is not a call
  return found;
}

// ---------------------------------------------------------------------------------------------
// Mistral and Devstral: [TOOL_CALLS]name[ARGS]{...}, [TOOL_CALLS]name{...}, [TOOL_CALLS][{...}].

const MISTRAL = '[TOOL_CALLS]';

function mistralCalls(text: string, ctx: JsonContext): Found[] {
  const found: Found[] = [];
  for (let i = text.indexOf(MISTRAL); i !== -1; i = text.indexOf(MISTRAL, i + 1)) {
    const next = text.indexOf(MISTRAL, i + MISTRAL.length);
    const limit = next === -1 ? text.length : next;
    const at = skipWhitespace(text, i + MISTRAL.length, limit);
    if (text[at] === '[' || text[at] === '{') {
      const block = readBlock(text, { start: i, end: limit, contentStart: at, contentEnd: limit }, { tokens: MISTRAL }, ctx);
      found.push({ ...block, end: valuesEnd(text, at, limit) });
      continue;
    }
    const head = /([A-Za-z_][\w.-]*)\s*(?:\[CALL_ID\]\s*\w*\s*)?(?:\[ARGS\])?\s*/y;
    head.lastIndex = at;
    const match = head.exec(text);
    const span: Found = { start: i, end: limit, calls: [], problems: [] };
    const argsAt = match ? at + match[0].length : at;
    if (!match || text[argsAt] !== '{') {
      span.problems.push(`The call after ${MISTRAL} is neither name[ARGS]{...} nor a JSON list of calls. ${correctForm(ctx.tools.names)}`);
    } else {
      const [value] = readValues(text, argsAt, limit);
      span.end = value?.end ?? limit;
      if (value?.ok && isRecord(value.value)) addNamedCall(span, match[1]!, value.value, ctx.tools, `after ${MISTRAL}`);
      else span.problems.push(`The arguments of ${match[1]} after ${MISTRAL} are not a JSON object: ${value && !value.ok ? value.error : 'none'}. ${correctForm(ctx.tools.names)}`);
    }
    found.push(span);
  }
  return found;
}

/** Where the JSON values starting at `at` end: past the last balanced one. */
function valuesEnd(text: string, at: number, limit: number): number {
  const values = readValues(text, at, limit);
  return values.length === 0 ? limit : values[values.length - 1]!.end;
}

// ---------------------------------------------------------------------------------------------
// gpt-oss harmony: `<|channel|>commentary to=functions.name <|constrain|>json<|message|>{...}<|call|>`.

const HARMONY_TOKENS = /<\|(start|end|call|return|channel|message)\|>/g;

/**
 * One pass over the harmony tokens: a message's header runs from the last token that ends a
 * header (start, end, call, return, or the previous message) to its `<|message|>`, and names the
 * recipient (`to=functions.name`); its body runs to the next token.
 */
function harmonyCalls(text: string, ctx: JsonContext): Found[] {
  if (!text.includes('<|message|>')) return [];
  const found: Found[] = [];
  const tokens = [...text.matchAll(HARMONY_TOKENS)];
  let headerStart = 0;
  for (const [index, token] of tokens.entries()) {
    const kind = token[1];
    if (kind !== 'message') {
      if (kind !== 'channel') headerStart = token.index + (kind === 'start' ? 0 : token[0].length);
      continue;
    }
    const header = text.slice(headerStart, token.index);
    const bodyStart = token.index + token[0].length;
    const end = tokens[index + 1];
    headerStart = bodyStart;
    const recipient = /\bto=([^\s<]+)/.exec(header)?.[1];
    if (recipient === undefined) continue;
    const bodyEnd = end ? end.index : text.length;
    const start = token.index - header.length + Math.max(0, header.search(/<\|start\|>|<\|channel\|>|\S*\s*\bto=/));
    const span: Found = { start, end: end?.[1] === 'call' ? end.index + end[0].length : bodyEnd, calls: [], problems: [] };
    addJsonArguments(span, recipient, text.slice(bodyStart, bodyEnd), ctx, 'after <|message|>');
    found.push(span);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Tokens around a body of calls.

/** `orphan`: a closing token whose opening one the server swallowed still marks the calls before it on its line. */
const WRAPPERS: Array<{ open: string; close: RegExp; orphan?: boolean }> = [
  { open: '<|python_tag|>', close: /<\|(?:eom_id|eot_id|python_tag)\|>/g },
  { open: '<|python_start|>', close: /<\|python_end\|>/g, orphan: true },
  { open: '<|tool_call_start|>', close: /<\|tool_call_end\|>/g, orphan: true },
  { open: '<|tool_call|>', close: /<\|(?:tool_call|end_of_text|eot_id)\|>/g },
  { open: '<|START_ACTION|>', close: /<\|END_ACTION\|>/g, orphan: true },
  { open: 'functools', close: /(?!)/g },
];

function wrappedCalls(text: string, ctx: JsonContext): Found[] {
  const found: Found[] = [];
  for (const wrapper of WRAPPERS) {
    const opens = offsetsOf(text, wrapper.open);
    const closes = [...text.matchAll(wrapper.close)].map((match) => ({ at: match.index, length: match[0].length }));
    const closeAts = closes.map((close) => close.at);
    const used = new Set<number>();
    for (const [index, i] of opens.entries()) {
      const bodyStart = i + wrapper.open.length;
      if (wrapper.open === 'functools' && text[bodyStart] !== '[') continue;
      const limit = opens[index + 1] ?? text.length;
      const next = closes[indexAtOrAfter(closeAts, bodyStart)];
      const close = next !== undefined && next.at <= limit ? next : undefined;
      if (close) used.add(close.at);
      const bodyEnd = close ? close.at : limit;
      const body = readCallBody(text, { start: bodyStart, end: bodyEnd }, ctx, { tokens: wrapper.open });
      const end = close ? close.at + close.length : wrapper.open === 'functools' ? valuesEnd(text, bodyStart, bodyEnd) : bodyEnd;
      found.push({ ...body, start: i, end });
    }
    if (!wrapper.orphan) continue;
    for (const close of closes) {
      if (used.has(close.at)) continue;
      const lineStart = text.lastIndexOf('\n', close.at - 1) + 1;
      const body = readCallBody(text, { start: lineStart, end: close.at }, ctx, { tokens: wrapper.open });
      if (body.calls.length > 0) found.push({ ...body, start: lineStart, end: close.at + close.length });
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// DeepSeek: <｜tool▁call▁begin｜>function<｜tool▁sep｜>name\n```json\n{...}\n```<｜tool▁call▁end｜>,
// and V3.1's <｜tool▁call▁begin｜>name<｜tool▁sep｜>{...}<｜tool▁call▁end｜>.

/** DeepSeek's tokens use the full-width bar; some servers and fixtures write them with `|`. */
const DEEPSEEK_BARS = ['｜', '|'];

function deepseekCalls(text: string, ctx: JsonContext): Found[] {
  return DEEPSEEK_BARS.flatMap((bar) => deepseekCallsWith(text, ctx, bar));
}

function deepseekCallsWith(text: string, ctx: JsonContext, bar: string): Found[] {
  const SEP = `<${bar}tool▁sep${bar}>`;
  return delimited(text, `<${bar}tool▁call▁begin${bar}>`, SEP, `<${bar}tool▁call▁end${bar}>`).map(({ span, head, body }) => {
    const newline = body.indexOf('\n');
    const typeFirst = head === 'function';
    const name = typeFirst ? body.slice(0, newline === -1 ? body.length : newline).trim() : head;
    const argsText = (typeFirst ? body.slice(newline + 1) : body).replace(/^\s*```(?:json)?|```\s*$/g, '');
    addJsonArguments(span, name, argsText, ctx, `after ${SEP}`);
    return span;
  });
}

// ---------------------------------------------------------------------------------------------
// Kimi K2: <|tool_call_begin|>functions.name:0<|tool_call_argument_begin|>{...}<|tool_call_end|>.

const KIMI_ARGS = '<|tool_call_argument_begin|>';

function kimiCalls(text: string, ctx: JsonContext): Found[] {
  return delimited(text, '<|tool_call_begin|>', KIMI_ARGS, '<|tool_call_end|>').map(({ span, head, body }) => {
    addJsonArguments(span, head.replace(/:\d+$/, ''), body, ctx, `after ${KIMI_ARGS}`);
    return span;
  });
}

/**
 * Each `begin head separator body end` in the text: its span (to the next `begin` when `end` is
 * missing), its head (trimmed) and its body. A `begin` without a separator before the next is skipped.
 */
function delimited(text: string, begin: string, separator: string, end: string): Array<{ span: Found; head: string; body: string }> {
  const begins = offsetsOf(text, begin);
  if (begins.length === 0) return [];
  const separators = offsetsOf(text, separator);
  const ends = offsetsOf(text, end);
  return begins.flatMap((at, index) => {
    const limit = begins[index + 1] ?? text.length;
    const sep = firstAtOrAfter(separators, at);
    if (sep === undefined || sep >= limit) return [];
    const close = Math.min(firstAtOrAfter(ends, sep) ?? limit, limit);
    const span: Found = { start: at, end: close < limit ? close + end.length : limit, calls: [], problems: [] };
    return [{ span, head: text.slice(at + begin.length, sep).trim(), body: text.slice(sep + separator.length, close) }];
  });
}

/** A call of `name` whose arguments are the JSON object `argsText` (empty for none), or a problem. */
function addJsonArguments(span: Found, name: string, argsText: string, ctx: JsonContext, place: string): void {
  const trimmed = argsText.trim();
  const parsed = trimmed === '' ? { ok: true as const, value: {} } : parseLenient(trimmed);
  if (parsed.ok && isRecord(parsed.value)) addNamedCall(span, name, parsed.value, ctx.tools, place);
  else span.problems.push(`The arguments of ${name.slice(0, 60)} ${place} are not a JSON object${parsed.ok ? '' : `: ${parsed.error}`}. ${correctForm(ctx.tools.names)}`);
}

