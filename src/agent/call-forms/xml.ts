import { isRecord } from '../../model/error-code.js';
import { parseLenient } from '../json-scan.js';
import { type JsonContext, readBlock } from './json.js';
import { addNamedCall, type CallContext, correctForm, type Found, firstAtOrAfter, offsetsOf, typedValue } from './context.js';

/**
 * Calls written as XML: Qwen3-Coder's own form (`<function=name><parameter=path>...</parameter>
 * </function>`, in `<tool_call>` tags or not), an element named after a tool with its arguments as
 * attributes or child elements (`<run_command command="ls -l" />`, `<read_file><path>a</path>
 * </read_file>`, as Cline-style prompts teach), and `<tool><name>..</name><arguments>..</arguments>`.
 * An element only counts when it names a tool here: prose about `<div>` is never a call.
 */

export function findXmlCalls(text: string, ctx: JsonContext): Found[] {
  return [...qwenCalls(text, ctx.tools), ...namedElements(text, ctx.tools), ...toolElements(text, ctx)];
}

const PLACE = 'in the <function=...> block';

/** Qwen3-Coder: each `<function=name>` up to its `</function>`, the next one, a closing tag, or the end. */
function qwenCalls(text: string, ctx: CallContext): Found[] {
  const starts = [...text.matchAll(/<function=([^>\n]*)>/g)];
  if (starts.length === 0) return [];
  const closes = offsetsOf(text, '</function>');
  const tagCloses = offsetsOf(text, '</tool_call>');
  return starts.map((match, index) => {
    const bodyStart = match.index + match[0].length;
    const nextStart = starts[index + 1]?.index ?? text.length;
    const close = firstAtOrAfter(closes, bodyStart) ?? -1;
    const closed = close !== -1 && close < nextStart;
    const bodyEnd = closed ? close : Math.min(nextStart, firstAtOrAfter(tagCloses, bodyStart) ?? text.length);
    const found: Found = { ...widen(text, match.index, closed ? close + '</function>'.length : bodyEnd), calls: [], problems: [] };
    const written = match[1]!.trim();
    const name = ctx.resolve(written);
    if (name === undefined) {
      addNamedCall(found, written, {}, ctx, PLACE);
      return found;
    }
    const body = text.slice(bodyStart, bodyEnd);
    const read = qwenParameters(body, name, ctx);
    if (typeof read === 'string') found.problems.push(`The call of ${name} ${PLACE} ${read} ${correctForm(ctx.names)}`);
    else if (!closed && bodyEnd === text.length && body.trim() !== '' && !/<\/parameter>\s*$/.test(body)) {
      found.problems.push(`The call of ${name} ${PLACE} was cut off before its </function>: it was not run. Write the whole call again.`);
    } else found.calls.push({ name, arguments: read });
    return found;
  });
}

/** The arguments of a Qwen function body, or what is wrong with them. */
function qwenParameters(body: string, tool: string, ctx: CallContext): Record<string, unknown> | string {
  const params = [...body.matchAll(/<parameter=([^>\n]*)>/g)];
  if (params.length === 0) {
    if (body.trim() === '') return {};
    const parsed = parseLenient(body.trim());
    if (parsed.ok && isRecord(parsed.value)) return parsed.value;
    return 'holds no <parameter=name>value</parameter>.';
  }
  const args: Record<string, unknown> = {};
  for (const [index, param] of params.entries()) {
    const valueStart = param.index + param[0].length;
    const next = params[index + 1]?.index ?? body.length;
    const close = body.indexOf('</parameter>', valueStart);
    const valueEnd = close !== -1 && close < next ? close : next;
    const key = param[1]!.trim();
    args[key] = typedValue(trimOneNewline(body.slice(valueStart, valueEnd)), ctx.typeOf(tool, key));
  }
  return args;
}

/** Qwen's templates put a newline after the opening tag and before the closing one; the value is between. */
function trimOneNewline(value: string): string {
  return value.replace(/^\r?\n/, '').replace(/\r?\n$/, '');
}

/** The span grown over a `<tool_call>` right before it and a `</tool_call>` right after it. */
function widen(text: string, start: number, end: number): { start: number; end: number } {
  const before = /<tool_call>\s*$/.exec(text.slice(Math.max(0, start - 40), start));
  const after = /^\s*<\/tool_call>/.exec(text.slice(end, end + 40));
  return { start: before ? start - before[0].length : start, end: after ? end + after[0].length : end };
}

/**
 * `<read_file path="a" />`, `<read_file path="a"></read_file>`, `<read_file><path>a</path></read_file>`
 * and `<read_file>{"path": "a"}</read_file>`, for the tools here only.
 */
function namedElements(text: string, ctx: CallContext): Found[] {
  const found: Found[] = [];
  const closes = new Map<string, number[]>();
  for (const match of text.matchAll(/<([A-Za-z_][\w.-]*)((?:\s+[\w-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g)) {
    const written = match[1]!;
    const name = ctx.resolve(written);
    if (name === undefined || name === 'tool_call') continue;
    const args: Record<string, unknown> = {};
    for (const attr of match[2]!.matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      const key = attr[1]!;
      args[key] = typedValue(unescapeXml(attr[2] ?? attr[3] ?? ''), ctx.typeOf(name, key));
    }
    const openEnd = match.index + match[0].length;
    if (match[3] === '/') {
      found.push({ start: match.index, end: openEnd, calls: [{ name, arguments: args }], problems: [] });
      continue;
    }
    const closing = closes.get(written) ?? offsetsOf(text, `</${written}>`);
    closes.set(written, closing);
    const close = firstAtOrAfter(closing, openEnd) ?? -1;
    const span: Found = { start: match.index, end: close === -1 ? text.length : close + written.length + 3, calls: [], problems: [] };
    if (close === -1 && Object.keys(args).length === 0) continue; // `<grep>` in prose, never closed
    if (close === -1) {
      span.problems.push(`The <${written}> element of the call of ${name} never closes: it was not run. ${correctForm(ctx.names)}`);
    } else {
      const body = text.slice(openEnd, close);
      const inner = childArguments(body, name, ctx);
      if (inner === undefined) {
        if (body.trim() !== '' && Object.keys(args).length === 0) continue; // a tag name in prose around text
      } else Object.assign(args, inner);
      span.calls.push({ name, arguments: args });
    }
    found.push(span);
  }
  return found;
}

/** `<tool>`/`<tool_call>`/`<function_call>`/`<invoke>` elements naming the tool inside. */
function toolElements(text: string, ctx: JsonContext): Found[] {
  const found: Found[] = [];
  const closes = new Map<string, number[]>();
  const argumentEnds = [...text.matchAll(/<\/(?:arguments|parameters|args)>/g)].map((match) => match.index + match[0].length);
  const opens = [...text.matchAll(/<(tool|tool_call|function_call|invoke|json|xml)(\s+name\s*=\s*"([^"]*)")?\s*>/g)];
  for (const [index, open] of opens.entries()) {
    const element = open[1]!;
    const closing = closes.get(element) ?? offsetsOf(text, `</${element}>`);
    closes.set(element, closing);
    const bodyStart = open.index + open[0].length;
    const closeAt = firstAtOrAfter(closing, bodyStart);
    // A model that stops after its arguments leaves the element open.
    const bodyEnd = closeAt ?? firstAtOrAfter(argumentEnds, bodyStart);
    if (bodyEnd === undefined || (closeAt === undefined && bodyEnd > (opens[index + 1]?.index ?? text.length))) continue;
    const body = text.slice(bodyStart, bodyEnd);
    const span: Found = { start: open.index, end: closeAt === undefined ? bodyEnd : closeAt + element.length + 3, calls: [], problems: [] };
    const place = `in the <${element}> element`;
    const named = open[3] ?? /^\s*<(?:name|tool_name)>\s*([^<]*?)\s*<\/(?:name|tool_name)>/.exec(body)?.[1] ?? glmName(body);
    if (named === undefined) {
      if (element === 'tool_call' || !/^\s*[[{]/.test(body)) continue;
      const json = readBlock(text, { start: span.start, end: span.end, contentStart: bodyStart, contentEnd: bodyStart + body.length }, { tokens: `<${element}>` }, ctx);
      found.push({ ...json, start: span.start, end: span.end });
      continue;
    }
    const tool = ctx.tools.resolve(named) ?? named;
    const argsBody = /<(arguments|parameters|args|input)>([\s\S]*)<\/\1>/.exec(body)?.[2];
    const args = argsBody !== undefined ? childArguments(argsBody, tool, ctx.tools) : /<arg_key>/.test(body) ? glmArguments(body, tool, ctx.tools) : invokeParameters(body, tool, ctx.tools);
    if (args === undefined) span.problems.push(`The arguments of ${named.slice(0, 60)} ${place} are neither a JSON object nor <name>value</name> elements. ${correctForm(ctx.tools.names)}`);
    else addNamedCall(span, named, args, ctx.tools, place);
    found.push(span);
  }
  return found;
}

/** GLM-4.5 writes `<tool_call>name` and then `<arg_key>`/`<arg_value>` pairs. */
function glmName(body: string): string | undefined {
  return /^\s*([A-Za-z_][\w.-]*)\s*(?:<arg_key>|$)/.exec(body)?.[1];
}

function glmArguments(body: string, tool: string, ctx: CallContext): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const pair of body.matchAll(/<arg_key>\s*([\s\S]*?)\s*<\/arg_key>\s*<arg_value>([\s\S]*?)<\/arg_value>/g)) {
    args[pair[1]!] = typedValue(pair[2]!, ctx.typeOf(tool, pair[1]!));
  }
  return args;
}

/** `<parameter name="k">v</parameter>` children of an `<invoke>`. */
function invokeParameters(body: string, tool: string, ctx: CallContext): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const param of body.matchAll(/<parameter\s+name\s*=\s*"([^"]*)"\s*>([\s\S]*?)<\/parameter>/g)) {
    args[param[1]!] = typedValue(trimOneNewline(param[2]!), ctx.typeOf(tool, param[1]!));
  }
  return args;
}

/** A JSON object, or `<key>value</key>` children; undefined when the body is neither. */
function childArguments(body: string, tool: string, ctx: CallContext): Record<string, unknown> | undefined {
  const trimmed = body.trim();
  if (trimmed === '') return {};
  if (trimmed.startsWith('{')) {
    const parsed = parseLenient(trimmed);
    return parsed.ok && isRecord(parsed.value) ? parsed.value : undefined;
  }
  const children = [...trimmed.matchAll(/<([A-Za-z_][\w-]*)>([\s\S]*?)<\/\1>/g)];
  if (children.length === 0) return undefined;
  const rest = children.reduce((left, child) => left.replace(child[0], ''), trimmed);
  if (rest.trim() !== '') return undefined;
  const args: Record<string, unknown> = {};
  for (const child of children) {
    const key = child[1]!;
    args[key] = typedValue(trimOneNewline(child[2]!), ctx.typeOf(tool, key));
  }
  return args;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, entity: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[entity] ?? '');
}

