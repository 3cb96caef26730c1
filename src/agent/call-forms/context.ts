import type { ToolCall } from '../../model/types.js';
import type { Region } from '../json-scan.js';

/**
 * What every form of a written tool call shares: the tools it may name (matched leniently where
 * that is unambiguous), the types of their arguments, and the span a form found in the answer.
 */

/** A tool as the parser needs it: its name, and the types of its arguments when known. */
export interface ToolSpec {
  name: string;
  parameters?: { properties: Record<string, { type: string }> };
}

/** A span of the answer that held calls, or attempts at calls the model is told about. */
export interface Found extends Region {
  calls: ToolCall[];
  problems: string[];
}

export class CallContext {
  readonly names: readonly string[];
  private readonly specs: ReadonlyMap<string, ToolSpec>;

  constructor(tools: readonly ToolSpec[]) {
    this.names = tools.map((tool) => tool.name);
    this.specs = new Map(tools.map((tool) => [tool.name, tool]));
  }

  /**
   * The tool a written name means: itself; without a namespace another API puts before it
   * (`functions.read_file`, `default_api.read_file`) or a suffix (`read_file.call`, `read_file:0`); or the one tool equal to it but for case and
   * `-` for `_`. A name of another agent's tools (`execute_command`) is never guessed.
   */
  resolve(written: string): string | undefined {
    const name = written.trim();
    if (this.specs.has(name)) return name;
    // Namespaces before the name; Llama's built-in tools' `.call`; Kimi's `:0` call index after it.
    const bare = name.replace(/^(?:functions|function|default_api|tools|tool)\./i, '').replace(/(?:\.call|:\d+)$/, '');
    if (this.specs.has(bare)) return bare;
    const key = (text: string): string => text.toLowerCase().replace(/-/g, '_');
    const same = this.names.filter((known) => key(known) === key(bare));
    return same.length === 1 ? same[0] : undefined;
  }

  /** The JSON Schema type of an argument, when the tool declares it. */
  typeOf(tool: string, argument: string): string | undefined {
    return this.specs.get(tool)?.parameters?.properties[argument]?.type;
  }

  /** The declared arguments of a tool, in order: where positional arguments go. */
  argumentNames(tool: string): string[] {
    return Object.keys(this.specs.get(tool)?.parameters?.properties ?? {});
  }

  /** Whether `written` names a tool here, leniently. */
  knows(written: string): boolean {
    return this.resolve(written) !== undefined;
  }
}

/**
 * A text written for an argument the tool types otherwise, read as the tool's type: what Qwen's
 * and vLLM's own parsers of the XML and Python forms do. Anything that does not read stays text
 * (the arguments check then tells the model).
 */
export function typedValue(text: string, type: string | undefined): unknown {
  const trimmed = text.trim();
  switch (type) {
    case 'integer':
      return /^[-+]?\d+$/.test(trimmed) ? Number(trimmed) : text;
    case 'number':
      return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
    case 'boolean':
      return /^(?:true|false)$/i.test(trimmed) ? trimmed.toLowerCase() === 'true' : text;
    case 'object':
    case 'array':
      try {
        const value: unknown = JSON.parse(trimmed);
        return (type === 'array') === Array.isArray(value) && typeof value === 'object' && value !== null ? value : text;
      } catch {
        return text;
      }
    default:
      return text;
  }
}

/** Adds a call to `found` if it names a known tool, else a problem naming the tools there are. */
export function addNamedCall(found: Found, written: string, args: Record<string, unknown>, ctx: CallContext, place: string): void {
  const name = ctx.resolve(written);
  if (name === undefined) {
    found.problems.push(unknownTool(written, ctx, place));
    return;
  }
  found.calls.push({ name, arguments: args });
}

export const unknownTool = (written: string, ctx: CallContext, place: string): string =>
  `Unknown tool "${written.slice(0, 60)}" ${place}; the tools are: ${ctx.names.join(', ')}. ${correctForm(ctx.names)}`;

export function exampleCall(names: readonly string[]): string {
  if (names.includes('read_file')) {
    return '<tool_call>{"name": "read_file", "arguments": {"path": "src/index.ts"}}</tool_call>';
  }
  return `<tool_call>{"name": "${names[0] ?? 'tool_name'}", "arguments": {}}</tool_call>`;
}

/** The one form the prompt teaches, quoted in every problem. */
export function correctForm(names: readonly string[]): string {
  return `Write each call as ${exampleCall(names)}: strict JSON (double quotes), "arguments" an object.`;
}


/** Whether [start, end) overlaps one of `sorted` (sorted by start, disjoint): a binary search. */
export function overlapsAny(sorted: readonly Region[], start: number, end: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.start < end) lo = mid + 1;
    else hi = mid;
  }
  const before = sorted[lo - 1];
  return before !== undefined && before.end > start;
}

/** The first of `sorted` offsets at or after `from`, or undefined. */
export function firstAtOrAfter(sorted: readonly number[], from: number): number | undefined {
  return sorted[indexAtOrAfter(sorted, from)];
}

/** The index of the first of `sorted` offsets at or after `from` (the length if none): a binary search. */
export function indexAtOrAfter(sorted: readonly number[], from: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where `needle` occurs in `text`, in order. */
export function offsetsOf(text: string, needle: string): number[] {
  const offsets: number[] = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) offsets.push(i);
  return offsets;
}
