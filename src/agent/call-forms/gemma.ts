import { type CallContext, correctForm, type Found, firstAtOrAfter, offsetsOf, unknownTool } from './context.js';

/**
 * Gemma 4's own call syntax, as its chat template teaches it and Ollama's gemma4 parser reads it:
 * `<|tool_call>call:name{key:<|"|>text<|"|>,count:3}<tool_call|>`: keys unquoted, strings between
 * `<|"|>` tokens (models also write plain double or single quotes). Also read without the outer
 * tokens when `call:name{` of a tool here starts a line (servers strip special tokens).
 */

const OPEN = '<|tool_call>';
const CLOSE = '<tool_call|>';
const QUOTE = '<|"|>';
const HEAD = /call:([A-Za-z_][\w.-]*)\s*\{/y;

export function findGemmaCalls(text: string, ctx: CallContext): Found[] {
  const found: Found[] = [];
  const opens = offsetsOf(text, OPEN);
  const closes = offsetsOf(text, CLOSE);
  for (const [index, open] of opens.entries()) {
    const limit = Math.min(opens[index + 1] ?? text.length, firstAtOrAfter(closes, open) ?? text.length);
    const span = readCall(text, open + OPEN.length, limit, ctx, true);
    if (span) found.push({ ...span, start: open, end: text.startsWith(CLOSE, span.end) ? span.end + CLOSE.length : span.end });
  }
  for (const line of text.matchAll(/^[ \t]*(?=call:)/gm)) {
    const at = line.index + line[0].length;
    if (opens.some((open) => open + OPEN.length === at)) continue;
    HEAD.lastIndex = at;
    const head = HEAD.exec(text);
    if (!head || !ctx.knows(head[1]!)) continue;
    const limit = Math.min(firstAtOrAfter(closes, at) ?? text.length, text.indexOf('\n\n', at) === -1 ? text.length : text.indexOf('\n\n', at));
    const span = readCall(text, at, limit, ctx, false);
    if (span) found.push({ ...span, end: text.startsWith(CLOSE, span.end) ? span.end + CLOSE.length : span.end });
  }
  return found;
}

/** The call at `at`, read no further than `limit` (the closing token, or the next call). */
function readCall(text: string, at: number, limit: number, ctx: CallContext, strict: boolean): Found | undefined {
  HEAD.lastIndex = at;
  const head = HEAD.exec(text);
  if (!head || at + head[0].length > limit) {
    if (!strict) return undefined;
    return { start: at, end: limit, calls: [], problems: [`What follows ${OPEN} is not call:name{...}. ${correctForm(ctx.names)}`] };
  }
  const reader = new GemmaReader(text.slice(0, limit), at + head[0].length - 1);
  const written = head[1]!;
  const span: Found = { start: at, end: text.length, calls: [], problems: [] };
  try {
    const args = reader.object();
    span.end = reader.at;
    const name = ctx.resolve(written);
    if (name === undefined) span.problems.push(unknownTool(written, ctx, `after ${OPEN}`));
    else span.calls.push({ name, arguments: args });
  } catch (error) {
    span.end = limit;
    span.problems.push(`The call of ${written.slice(0, 60)} after call: could not be read: ${(error as Error).message}. ${correctForm(ctx.names)}`);
  }
  return span;
}

class GemmaReader {
  constructor(
    private readonly text: string,
    public at: number,
  ) {}

  private skip(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
  }

  object(): Record<string, unknown> {
    this.at++; // {
    const out: Record<string, unknown> = {};
    for (this.skip(); this.text[this.at] !== '}'; this.skip()) {
      if (this.at >= this.text.length) throw new Error('a } is missing');
      const key = this.key();
      this.skip();
      if (this.text[this.at] !== ':') throw new Error(`a : is missing after "${key}"`);
      this.at++;
      out[key] = this.value();
      this.skip();
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] !== '}') throw new Error(`a , or } is missing after "${key}"`);
    }
    this.at++;
    return out;
  }

  private key(): string {
    if (this.text.startsWith(QUOTE, this.at) || this.text[this.at] === '"' || this.text[this.at] === "'") return this.string();
    const match = /[A-Za-z_][\w.-]*/y;
    match.lastIndex = this.at;
    const found = match.exec(this.text);
    if (!found) throw new Error(`a key is expected at "${this.text.slice(this.at, this.at + 20)}"`);
    this.at += found[0].length;
    return found[0];
  }

  private value(): unknown {
    this.skip();
    const ch = this.text[this.at];
    if (this.text.startsWith(QUOTE, this.at) || ch === '"' || ch === "'") return this.string();
    if (ch === '{') return this.object();
    if (ch === '[') return this.list();
    const match = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null/y;
    match.lastIndex = this.at;
    const found = match.exec(this.text);
    if (!found) throw new Error(`a value is expected at "${this.text.slice(this.at, this.at + 20)}"`);
    this.at += found[0].length;
    return JSON.parse(found[0]);
  }

  private list(): unknown[] {
    this.at++;
    const out: unknown[] = [];
    for (this.skip(); this.text[this.at] !== ']'; this.skip()) {
      if (this.at >= this.text.length) throw new Error('a ] is missing');
      out.push(this.value());
      this.skip();
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] !== ']') throw new Error('a , or ] is missing in a list');
    }
    this.at++;
    return out;
  }

  /** A string between `<|"|>` tokens (raw), or between plain quotes (JSON escapes read). */
  private string(): string {
    if (this.text.startsWith(QUOTE, this.at)) {
      const end = this.text.indexOf(QUOTE, this.at + QUOTE.length);
      if (end === -1) throw new Error(`a string never closes: a ${QUOTE} is missing`);
      const value = this.text.slice(this.at + QUOTE.length, end);
      this.at = end + QUOTE.length;
      return value;
    }
    const quote = this.text[this.at]!;
    let out = '';
    for (this.at++; this.at < this.text.length; this.at++) {
      const ch = this.text[this.at]!;
      if (ch === quote) {
        this.at++;
        // A string opened with a plain quote and closed with the token as well: the token is stray.
        if (this.text.startsWith(QUOTE, this.at)) this.at += QUOTE.length;
        return out;
      }
      if (ch === '\\' && quote === '"') {
        const next = this.text[++this.at] ?? '';
        out += { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' }[next] ?? `\\${next}`;
      } else out += ch;
    }
    throw new Error('a string never closes');
  }
}
