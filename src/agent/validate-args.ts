import type { ParameterSchema } from '../model/types.js';

/**
 * Checks a model's tool arguments against a tool's schema and returns every problem at once, in
 * one message for the model that ends with the expected call shape. Lenient where small models
 * are predictably sloppy: an integer given as a numeric string, a boolean given as "true"/"false",
 * `null` for an optional argument (treated as absent), and the whole object given as a JSON string.
 * It never coerces anything else.
 */

export type ValidatedArgs = { ok: true; args: Record<string, unknown> } | { ok: false; error: string };

type PropertyType = ParameterSchema['properties'][string]['type'];

export function validateArgs(schema: ParameterSchema, raw: unknown, toolName?: string): ValidatedArgs {
  const value = typeof raw === 'string' ? parseJson(raw) : raw;
  const shape = callShape(schema, toolName);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: `Arguments must be an object. Expected: ${shape}` };
  }
  const problems: string[] = [];
  const args: Record<string, unknown> = {};
  const given = value as Record<string, unknown>;
  for (const [name, property] of Object.entries(schema.properties)) {
    const v = given[name];
    if (v === undefined || v === null) {
      if (schema.required?.includes(name)) problems.push(`missing required "${name}" (${property.type})`);
      continue;
    }
    const coerced = coerce(property.type, v);
    if (coerced === undefined) problems.push(`"${name}" must be ${article(property.type)}, got ${describe(v)}`);
    else args[name] = coerced;
  }
  const unknown = Object.keys(given).filter((name) => !(name in schema.properties));
  for (const name of unknown.slice(0, MAX_UNKNOWN)) {
    const near = closestName(name, Object.keys(schema.properties));
    problems.push(`unknown argument "${name.slice(0, 60)}"${near ? ` (did you mean "${near}"?)` : ''}`);
  }
  if (unknown.length > MAX_UNKNOWN) problems.push(`${unknown.length - MAX_UNKNOWN} more unknown arguments`);
  if (problems.length > 0) {
    // Providers turn arguments that do not parse into {}: "missing" alone would send the model
    // looking for an argument it did write.
    const none = Object.keys(given).length === 0 ? ` ${NO_ARGUMENTS}` : '';
    return { ok: false, error: `Invalid arguments: ${problems.join('; ')}.${none} Expected: ${shape}` };
  }
  return { ok: true, args };
}

/** Listing more would fill the model's context with names it made up, not help it. */
const MAX_UNKNOWN = 5;

const NO_ARGUMENTS =
  'The call came with no arguments at all: if you wrote some, they were not a valid JSON object (double quotes, no trailing commas).';

/** `read_file({"path": string, "start_line"?: integer})`: the shape quoted in every error. */
export function callShape(schema: ParameterSchema, toolName = ''): string {
  const fields = Object.entries(schema.properties).map(([name, property]) => {
    const optional = schema.required?.includes(name) ? '' : '?';
    return `"${name}"${optional}: ${property.type}`;
  });
  return `${toolName}({${fields.join(', ')}})`;
}

function coerce(type: PropertyType, v: unknown): unknown {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'integer':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
      if (typeof v === 'string' && /^\s*[-+]?\d{1,15}\s*$/.test(v)) return Number.parseInt(v, 10);
      return undefined;
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function article(type: PropertyType): string {
  return type === 'integer' ? 'an integer' : `a ${type}`;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const text = JSON.stringify(v);
  return `${typeof v} ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}

/** A known name that the unknown one contains, is contained in, or is one or two edits from. */
function closestName(name: string, known: string[]): string | undefined {
  const n = name.toLowerCase();
  if (n.length < 3) return undefined;
  return known.find((k) => n.includes(k) || k.includes(n) || editDistance(n, k) <= 2);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
