import type { ToolCall, ToolDefinition } from '../model/types.js';
import { CallContext, exampleCall, type Found, firstAtOrAfter, offsetsOf, overlapsAny, type ToolSpec } from './call-forms/context.js';
import { type Block, findFences, findTags, type JsonContext, jsonContext, readBlock, scanBare } from './call-forms/json.js';
import { callNameAt, readPythonCall, readPythonList } from './call-forms/python.js';
import { findTokenCalls, readCallBody } from './call-forms/tokens.js';
import { findXmlCalls } from './call-forms/xml.js';
import type { Region } from './json-scan.js';

/**
 * The text protocol for models without native tool calls, or that write their calls into the
 * answer anyway (SPEC section 6). The prompt teaches one form, `<tool_call>{json}</tool_call>`; the
 * parser also takes what local models write instead (src/agent/call-forms/: JSON fenced or bare,
 * XML, Python-style calls, the special tokens of other families), the most certain forms first. A
 * malformed call becomes a problem message the model can act on. Pure: no I/O, never throws, and
 * about linear in the length of the answer.
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
 * What counts: everything in `<tool_call>` tags or another family's call tokens; a fenced JSON
 * block with the shape of a call; a bare JSON object with the shape of a call and a known tool
 * name (so a package.json snippet in prose is never a call); XML elements and Python-style calls
 * naming a tool here. The same call twice runs once. Text after a `<tool_result` the model wrote itself is ignored: those
 * results are invented, and calls made after them rest on invented results; a problem says so.
 * Only the first MAX_CALLS calls are returned, with a problem counting the rest.
 */
export function parseTextToolCalls(text: string, tools: readonly ToolSpec[]): TextToolCalls {
  const calls: ToolCall[] = [];
  const problems: string[] = [];
  if (INVENTED_RESULT.test(text)) problems.push(INVENTED_PROBLEM);
  const seen = new Set<string>();
  for (const found of scan(text, tools)) {
    for (const call of found.calls) {
      const key = JSON.stringify(call);
      if (seen.has(key)) problems.push(repeatedCall(call));
      else calls.push(call);
      seen.add(key);
    }
    problems.push(...found.problems);
  }
  if (calls.length > MAX_CALLS) problems.unshift(tooManyCalls(calls.length));
  const read = calls.slice(0, MAX_CALLS);
  if (problems.length <= MAX_PROBLEMS) return { calls: read, problems };
  const more = problems.length - MAX_PROBLEMS;
  return { calls: read, problems: [...problems.slice(0, MAX_PROBLEMS), `...and ${more} more malformed tool calls.`] };
}

/** A model that writes the same call twice in one answer is repeating itself: one is run. */
const repeatedCall = (call: ToolCall): string =>
  `Your answer held the same ${call.name} call more than once; it was run once. Write each call once, and the next after reading its result.`;

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
 * `<tool_result`). Without `tools` only tags and call-shaped fenced blocks are recognised;
 * pass the names to remove bare call objects too.
 */
export function stripToolCallText(text: string, tools: readonly ToolSpec[] = []): string {
  const kept = beforeResults(text);
  let out = '';
  let at = 0;
  for (const found of scan(text, tools)) {
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
// Finding the spans, the most certain forms first: a span overlapping one already found is not read.

/** Fences whose content is meant as calls, whatever their form. */
const CALL_FENCES = new Set(['tool_code', 'tool_call', 'tool_calls', 'tool', 'function_call']);
const JSON_FENCES = new Set(['', 'json', 'jsonc', 'json5']);
/** Fences that hold calls only when they hold nothing else: a code block about a tool stays code. */
const CODE_FENCES = new Set(['python', 'py', 'xml']);

function scan(answer: string, tools: readonly ToolSpec[]): Found[] {
  const text = beforeResults(answer);
  const ctx = jsonContext(text, new CallContext(tools));
  let taken: Found[] = [];
  const take = (spans: Found[]): void => {
    const kept: Found[] = [];
    for (const span of spans.sort(byStart)) {
      const last = kept[kept.length - 1];
      if ((last === undefined || last.end <= span.start) && !overlapsAny(taken, span.start, span.end)) kept.push(span);
    }
    taken = mergeSorted(taken, kept);
  };
  take(findTokenCalls(text, ctx));
  const tags = findTags(text);
  const fences = findFences(text);
  take(tags.filter((tag) => /^\s*(?:```\w*\s*)?[[{]/.test(text.slice(tag.contentStart, tag.contentEnd))).map((tag) => readBlock(text, tag, 'tag', ctx)));
  take(fences.flatMap((fence) => fenceCalls(text, fence, ctx)));
  // Code blocks of other languages hold code, even code about tools.
  const code = fences.filter((fence) => !JSON_FENCES.has(fence.lang) && !CALL_FENCES.has(fence.lang));
  take(findXmlCalls(text, ctx).filter((span) => !overlapsAny(code, span.start, span.end)));
  take(tags.map((tag) => ({ ...readCallBody(text, { start: tag.contentStart, end: tag.contentEnd }, ctx, 'tag'), start: tag.start, end: tag.end })));
  const outside = (): Region[] => gaps(merge([...taken, ...fences]), text.length);
  const lineEnds = offsetsOf(text, '\n');
  take(outside().flatMap((gap) => barePythonCalls(text, gap, ctx.tools, lineEnds)));
  take(outside().flatMap((gap) => scanBare(text, gap, ctx)));
  return taken;
}

function fenceCalls(text: string, fence: Block & { lang: string }, ctx: JsonContext): Found[] {
  const content = { start: fence.contentStart, end: fence.contentEnd };
  const whole = (found: Found): Found[] => (found.calls.length + found.problems.length > 0 ? [{ ...found, start: fence.start, end: fence.end }] : []);
  if (JSON_FENCES.has(fence.lang)) return whole(readBlock(text, fence, 'fence', ctx));
  if (CALL_FENCES.has(fence.lang)) return whole(readCallBody(text, content, ctx, { tokens: `\`\`\`${fence.lang}` }));
  if (!CODE_FENCES.has(fence.lang)) return [];
  const source = text.slice(content.start, content.end);
  if (fence.lang === 'xml') {
    const spans = findXmlCalls(text, ctx).filter((span) => span.start >= content.start && span.end <= content.end);
    const rest = spans.reduceRight((left, span) => left.slice(0, span.start - content.start) + left.slice(span.end - content.start), source);
    return spans.length > 0 && rest.trim() === '' ? spans : [];
  }
  const first = /^\s*(?:print\(\s*)?([A-Za-z_][\w.-]*)\s*\(/.exec(source)?.[1];
  if (first === undefined || !ctx.tools.knows(first)) return [];
  const found = readCallBody(text, content, ctx, { tokens: `\`\`\`${fence.lang}` });
  const rest = text.slice(found.end, content.end).trim();
  return found.problems.length === 0 && rest === '' ? whole(found) : [];
}

/**
 * Python-style calls outside tags and fences: a list of calls at the start of a line
 * (`[get_weather(location="Dublin")]`, its `]` maybe forgotten, prose maybe after it), or a line
 * that is nothing but calls of tools here with quoted values (`get_weather(location="Dublin")`).
 */
function barePythonCalls(text: string, gap: Region, tools: CallContext, lineEnds: readonly number[]): Found[] {
  const found: Found[] = [];
  for (let line = gap.start; line < gap.end; ) {
    const lineEnd = Math.min(firstAtOrAfter(lineEnds, line) ?? gap.end, gap.end);
    const at = line + (/^[ \t]*/.exec(text.slice(line, lineEnd))?.[0].length ?? 0);
    let next = lineEnd + 1;
    if (text[at] === '[') {
      const list = readPythonList(text, at, gap.end, tools, 'in the Python-style list', false);
      if (list) {
        found.push(list);
        next = Math.max(next, list.end);
      }
    } else {
      const calls = callsLine(text, at, lineEnd, tools);
      if (calls) found.push(calls);
    }
    line = next;
  }
  return found;
}

/** A line of nothing but `name(key="value", ...)` calls of known tools, or undefined. */
function callsLine(text: string, at: number, lineEnd: number, tools: CallContext): Found | undefined {
  const span: Found = { start: at, end: lineEnd, calls: [], problems: [] };
  let i = at;
  while (i < lineEnd) {
    const name = callNameAt(text, i);
    if (name === undefined || !tools.knows(name)) return undefined;
    const call = readPythonCall(text, i, lineEnd, tools, 'in the Python-style call', false);
    if (!call.ok) return undefined;
    span.calls.push({ name: call.name, arguments: call.args });
    i = call.end;
    while (i < lineEnd && /[\s;,]/.test(text[i]!)) i++;
  }
  return span.calls.length > 0 ? span : undefined;
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

// ---------------------------------------------------------------------------------------------
// Regions.

const byStart = (a: Region, b: Region): number => a.start - b.start;

/** Two lists sorted by start as one, in linear time. */
function mergeSorted<T extends Region>(a: T[], b: T[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.start <= b[j]!.start)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

function merge(regions: Region[]): Region[] {
  const merged: Region[] = [];
  for (const region of [...regions].sort(byStart)) {
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
