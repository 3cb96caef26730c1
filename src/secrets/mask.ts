import { SECRET_RULES, type SecretRule } from './rules.js';

/**
 * Masking: secrets in a text replaced by `[masked: <what>]`. A masker is a pure, deterministic
 * function of its text (the same text always gives the same result), so a conversation masked
 * request after request still extends its previous request byte for byte.
 */

export type Masker = (text: string) => string;

/** A value to hide wherever it appears, and the name the marker shows (an environment variable). */
export interface MaskedValue {
  name: string;
  value: string;
}

export interface MaskerOptions {
  /** Literal secrets (secretEnvValues of env.ts: what cleanEnv removes). Shorter than 8 characters: skipped. */
  values?: Iterable<MaskedValue>;
  /** The credential formats; SECRET_RULES unless a test says otherwise. */
  rules?: readonly SecretRule[];
}

/**
 * Below this a value is too likely to be an ordinary word or number (`true`, `8080`, `main`) to
 * be masked wherever it appears.
 */
export const MIN_VALUE_LENGTH = 8;

type Span = [start: number, end: number, label: string];

/**
 * A masker for the given values and rules. Values are found as written and as written inside a
 * JSON string (a value with a quote or backslash in a tool call's arguments). Never throws; a
 * text with nothing to mask is returned as it is (the same string).
 *
 * One pass of one regex finds both the literal values and the keywords of the case-sensitive
 * rules; a rule's own regex then runs only if its keyword was seen. Caseless rules test their
 * keywords with a regex of their own (it stops at the first hit).
 */
export function createMasker(options: MaskerOptions = {}): Masker {
  const literals = literalsOf(options.values ?? []);
  const rules = options.rules ?? SECRET_RULES;
  const byKeyword = new Map<string, SecretRule[]>();
  const caseless: { rule: SecretRule; test: RegExp }[] = [];
  for (const rule of rules) {
    if (rule.caseless) caseless.push({ rule, test: new RegExp(rule.keywords.map(escapeRegExp).join('|'), 'i') });
    else for (const keyword of rule.keywords) byKeyword.set(keyword, [...(byKeyword.get(keyword) ?? []), rule]);
  }
  // Literals first and longest first: at one position the alternation takes the first that matches.
  const alternatives = [...literals.keys(), ...byKeyword.keys()].map(escapeRegExp);
  const trigger = alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'g') : undefined;

  return (text) => {
    if (text.length === 0) return text;
    const spans: Span[] = [];
    const active = new Set<SecretRule>();
    if (trigger) {
      trigger.lastIndex = 0;
      for (let hit = trigger.exec(text); hit !== null; hit = trigger.exec(text)) {
        const label = literals.get(hit[0]);
        if (label !== undefined) spans.push([hit.index, hit.index + hit[0].length, label]);
        else if (!/\w/.test(hit[0][0] ?? '') || !/\w/.test(text[hit.index - 1] ?? '')) {
          for (const rule of byKeyword.get(hit[0]) ?? []) active.add(rule);
        }
        trigger.lastIndex = hit.index + 1;
      }
    }
    for (const { rule, test } of caseless) if (test.test(text)) active.add(rule);
    for (const rule of rules) if (active.has(rule)) collect(rule, text, spans);
    return spans.length === 0 ? text : replaceSpans(text, spans);
  };
}

/** The spans a rule masks in `text`. */
function collect(rule: SecretRule, text: string, spans: Span[]): void {
  const pattern = rule.pattern;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0].length === 0) {
      pattern.lastIndex += 1;
      continue;
    }
    const span = rule.span ? rule.span(match) : ([match.index, match.index + match[0].length] as const);
    if (span && span[1] > span[0]) spans.push([span[0], span[1], rule.id]);
  }
}

/** The text with every span replaced by its marker; overlapping spans become one, named by the first. */
function replaceSpans(text: string, spans: Span[]): string {
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const parts: string[] = [];
  let written = 0;
  let current: Span | undefined;
  for (const span of spans) {
    if (current && span[0] < current[1]) {
      current[1] = Math.max(current[1], span[1]);
      continue;
    }
    if (current) {
      parts.push(text.slice(written, current[0]), `[masked: ${current[2]}]`);
      written = current[1];
    }
    current = [...span];
  }
  if (current) parts.push(text.slice(written, current[0]), `[masked: ${current[2]}]`);
  parts.push(text.slice(current ? current[1] : written));
  return parts.join('');
}

/** The values to find, each with its marker's label, longest first; the JSON-escaped form too. */
function literalsOf(values: Iterable<MaskedValue>): Map<string, string> {
  const found: [string, string][] = [];
  for (const { name, value } of values) {
    if (value.length < MIN_VALUE_LENGTH) continue;
    found.push([value, `$${name}`], [JSON.stringify(value).slice(1, -1), `$${name}`]);
  }
  found.sort((a, b) => b[0].length - a[0].length);
  const literals = new Map<string, string>();
  for (const [value, label] of found) if (!literals.has(value)) literals.set(value, label);
  return literals;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
