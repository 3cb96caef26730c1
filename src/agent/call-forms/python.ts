import { type CallContext, type Found, typedValue, unknownTool } from './context.js';

/**
 * Python-style calls, as Llama 3.2/4, LFM and Gemma write them (and vLLM's `pythonic` parser
 * reads them): `[get_weather(location="Dublin"), get_date()]`, bare or inside special tokens.
 * Values are Python literals (strings in either quotes, numbers, True/False/None, dicts, lists),
 * or a bare word the model left unquoted. Positional arguments take the tool's arguments in order.
 */

export type PythonCall = { ok: true; name: string; args: Record<string, unknown>; end: number } | { ok: false; error: string; end: number };

const IDENTIFIER = /[A-Za-z_][\w.-]*/y;

/** The tool name of a call starting at `at` (`name(`), or undefined if none starts there. */
export function callNameAt(text: string, at: number): string | undefined {
  IDENTIFIER.lastIndex = at;
  const match = IDENTIFIER.exec(text);
  if (!match) return undefined;
  const paren = skipSpaces(text, at + match[0].length);
  return text[paren] === '(' ? match[0] : undefined;
}

/** Reads one `name(args)` at `at`, up to `limit`; `unquoted`: a value may be a bare word (`path=src/a.ts`). */
export function readPythonCall(text: string, at: number, limit: number, ctx: CallContext, place: string, unquoted = true): PythonCall {
  const written = callNameAt(text, at) ?? '';
  const open = text.indexOf('(', at + written.length);
  const name = ctx.resolve(written);
  const reader = new Reader(text, open + 1, limit);
  const close = reader.findClose();
  if (name === undefined) return { ok: false, error: unknownTool(written, ctx, place), end: close === -1 ? limit : close };
  const args: Record<string, unknown> = {};
  const declared = ctx.argumentNames(name);
  let position = 0;
  try {
    reader.skip();
    while (reader.peek() !== ')') {
      if (reader.atEnd()) throw new SyntaxError('the call never closes: a ) is missing');
      const keyword = reader.keyword();
      let key = keyword;
      if (key === undefined) {
        key = declared[position++];
        if (key === undefined) throw new SyntaxError(`${name} takes ${declared.length} arguments; name each one (${name}(path="..."))`);
      }
      const value = reader.value(true);
      if (value instanceof Unquoted && !unquoted) throw new SyntaxError(`the value of "${key}" is not quoted`);
      args[key] = value instanceof Unquoted ? typedValue(value.text, ctx.typeOf(name, key)) : value;
      reader.skip();
      if (reader.peek() === ',') reader.next();
      else if (reader.peek() !== ')') throw new SyntaxError(`expected , or ) after the argument "${key}"`);
      reader.skip();
    }
    return { ok: true, name, args, end: reader.at + 1 };
  } catch (error) {
    const why = error instanceof SyntaxError ? error.message : String(error);
    return { ok: false, error: `The call of ${name} ${place} could not be read: ${why}.`, end: close === -1 ? limit : close };
  }
}

/**
 * The calls of a Python list at `at` (its `[`): calls separated by commas. A list left open ends
 * with its last call (small models forget the `]`). Undefined when the list does not start with
 * a call of a known tool (`[1, 2]`, `[see the docs](url)`), unless `strict` (inside tokens meant
 * for calls, where any name is an attempt the model is told about).
 */
export function readPythonList(text: string, at: number, limit: number, ctx: CallContext, place: string, strict: boolean): Found | undefined {
  let i = skipSpaces(text, at + 1, limit);
  const first = callNameAt(text, i);
  if (first === undefined || (!strict && !ctx.knows(first))) return undefined;
  const found: Found = { start: at, end: limit, calls: [], problems: [] };
  while (i < limit) {
    const call = readPythonCall(text, i, limit, ctx, place);
    if (call.ok) found.calls.push({ name: call.name, arguments: call.args });
    else found.problems.push(call.error);
    i = skipSpaces(text, call.end, limit);
    if (text[i] === ',') i = skipSpaces(text, i + 1, limit);
    if (text[i] === ']') {
      found.end = i + 1;
      return found;
    }
    if (!call.ok || callNameAt(text, i) === undefined) {
      found.end = call.end;
      return found;
    }
  }
  return found;
}

function skipSpaces(text: string, from: number, limit = text.length): number {
  let i = from;
  while (i < limit && /\s/.test(text[i]!)) i++;
  return i;
}

/** A value the model left unquoted: typed by the tool's schema, else text. */
class Unquoted {
  constructor(readonly text: string) {}
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"', '\n': '' };

/** A recursive-descent reader of Python literals; throws SyntaxError with a message for the model. */
class Reader {
  constructor(
    private readonly text: string,
    public at: number,
    private readonly limit: number,
  ) {}

  atEnd(): boolean {
    return this.at >= this.limit;
  }

  peek(): string | undefined {
    return this.at < this.limit ? this.text[this.at] : undefined;
  }

  next(): string | undefined {
    return this.text[this.at++];
  }

  skip(): void {
    this.at = skipSpaces(this.text, this.at, this.limit);
  }

  /** The `)` closing the call whose arguments start here, outside strings; -1 if none. */
  findClose(): number {
    let depth = 0;
    for (let i = this.at; i < this.limit; i++) {
      const ch = this.text[i];
      if (ch === '"' || ch === "'") {
        const end = this.text.indexOf(ch, i + 1);
        if (end === -1) return -1;
        i = end;
      } else if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if (ch === ')' || ch === ']' || ch === '}') {
        if (depth === 0) return ch === ')' ? i + 1 : -1;
        depth--;
      }
    }
    return -1;
  }

  /** `name=` (or `name:`) at the reader, consumed; undefined (nothing consumed) for a positional value. */
  keyword(): string | undefined {
    const match = /([A-Za-z_]\w*)\s*=(?!=)\s*/y;
    match.lastIndex = this.at;
    const found = match.exec(this.text);
    if (!found || found.index + found[0].length > this.limit) return undefined;
    this.at += found[0].length;
    return found[1];
  }

  value(topLevel = false): unknown {
    this.skip();
    const ch = this.peek();
    if (ch === undefined) throw new SyntaxError('the call never closes: a value is missing');
    const prefixed = /[rRuUbBfF]/.test(ch) && (this.text[this.at + 1] === '"' || this.text[this.at + 1] === "'");
    if (ch === '"' || ch === "'" || prefixed) return this.string();
    if (ch === '[' || ch === '(') return this.sequence(ch === '[' ? ']' : ')');
    if (ch === '{') return this.dict();
    const literal = /(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|True|False|None|true|false|null)(?=\s*[,)\]}:]|\s*$)/y;
    literal.lastIndex = this.at;
    const found = literal.exec(this.text);
    if (found?.[1] !== undefined) {
      this.at += found[1].length;
      const word = found[1];
      if (word === 'True' || word === 'true') return true;
      if (word === 'False' || word === 'false') return false;
      if (word === 'None' || word === 'null') return null;
      return Number(word);
    }
    if (!topLevel) throw new SyntaxError(`a value is not a Python literal at "${this.text.slice(this.at, this.at + 20)}"`);
    return this.unquoted();
  }

  /** A bare value up to the next `,` or `)` outside brackets: small models leave paths unquoted. */
  private unquoted(): Unquoted {
    const start = this.at;
    let depth = 0;
    while (this.at < this.limit) {
      const ch = this.text[this.at]!;
      if (depth === 0 && (ch === ',' || ch === ')')) break;
      if (ch === '(' || ch === '[') depth++;
      if (ch === ')' || ch === ']') depth--;
      this.at++;
    }
    return new Unquoted(this.text.slice(start, this.at).trim());
  }

  private string(): string {
    let raw = false;
    if (/[rRuUbBfF]/.test(this.peek()!)) raw = /[rR]/.test(this.next()!);
    const quote = this.next()!;
    const triple = this.text.startsWith(quote.repeat(2), this.at);
    if (triple) this.at += 2;
    const close = triple ? quote.repeat(3) : quote;
    let out = '';
    while (this.at < this.limit) {
      if (this.text.startsWith(close, this.at)) {
        this.at += close.length;
        return out;
      }
      const ch = this.next()!;
      if (ch === '\\' && !raw) {
        const escaped = this.next() ?? '';
        if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.at, this.at + 4))) {
          out += String.fromCharCode(Number.parseInt(this.text.slice(this.at, this.at + 4), 16));
          this.at += 4;
        } else out += ESCAPES[escaped] ?? `\\${escaped}`;
      } else if (ch === '\n' && !triple) {
        throw new SyntaxError('a string is left open at the end of a line');
      } else out += ch;
    }
    throw new SyntaxError('a string never closes');
  }

  private sequence(close: string): unknown[] {
    this.next();
    const items: unknown[] = [];
    for (this.skip(); this.peek() !== close; this.skip()) {
      if (this.atEnd()) throw new SyntaxError(`a list never closes: a ${close} is missing`);
      items.push(this.value());
      this.skip();
      if (this.peek() === ',') this.next();
      else if (this.peek() !== close) throw new SyntaxError(`expected , or ${close} in a list`);
    }
    this.next();
    return items;
  }

  private dict(): Record<string, unknown> {
    this.next();
    const out: Record<string, unknown> = {};
    for (this.skip(); this.peek() !== '}'; this.skip()) {
      if (this.atEnd()) throw new SyntaxError('a dict never closes: a } is missing');
      const key = this.value();
      this.skip();
      if (this.next() !== ':') throw new SyntaxError('expected : after a key in a dict');
      out[String(key)] = this.value();
      this.skip();
      if (this.peek() === ',') this.next();
      else if (this.peek() !== '}') throw new SyntaxError('expected , or } in a dict');
    }
    this.next();
    return out;
  }
}
