import { encode } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT } from '../../../src/agent/prompt.js';
import { tools, toolDefinitions } from '../../../src/agent/tools/index.js';
import { callShape, validateArgs } from '../../../src/agent/validate-args.js';
import type { ParameterSchema } from '../../../src/model/types.js';

const schema: ParameterSchema = {
  type: 'object',
  properties: {
    path: { type: 'string', description: 'file' },
    start_line: { type: 'integer', description: 'first line' },
    all: { type: 'boolean', description: 'everything' },
  },
  required: ['path'],
};

function errorOf(raw: unknown): string {
  const result = validateArgs(schema, raw, 'read_file');
  if (result.ok) throw new Error('expected an error');
  return result.error;
}

describe('validateArgs', () => {
  it('accepts valid arguments as they are', () => {
    expect(validateArgs(schema, { path: 'a.ts', start_line: 3, all: true })).toEqual({
      ok: true,
      args: { path: 'a.ts', start_line: 3, all: true },
    });
    expect(validateArgs(schema, { path: 'a.ts' })).toEqual({ ok: true, args: { path: 'a.ts' } });
  });

  it('accepts an integer given as a numeric string, and "true"/"false"', () => {
    expect(validateArgs(schema, { path: 'a', start_line: '12', all: 'false' })).toEqual({
      ok: true,
      args: { path: 'a', start_line: 12, all: false },
    });
  });

  it('treats null for an optional argument as absent', () => {
    expect(validateArgs(schema, { path: 'a', start_line: null })).toEqual({ ok: true, args: { path: 'a' } });
  });

  it('accepts the arguments object given as a JSON string', () => {
    expect(validateArgs(schema, '{"path":"a.ts"}')).toEqual({ ok: true, args: { path: 'a.ts' } });
  });

  it('requires an object', () => {
    for (const raw of [null, 42, [], 'not json']) {
      const error = errorOf(raw);
      expect(error).toContain('must be an object');
      expect(error).toContain('read_file({"path": string, "start_line"?: integer, "all"?: boolean})');
    }
  });

  it('reports every problem at once, with the expected call shape', () => {
    const error = errorOf({ start_line: '1.5', all: 3, file_path: 'x' });
    expect(error).toContain('missing required "path" (string)');
    expect(error).toContain('"start_line" must be an integer, got string "1.5"');
    expect(error).toContain('"all" must be a boolean, got number 3');
    expect(error).toContain('unknown argument "file_path" (did you mean "path"?)');
    expect(error).toContain('Expected: read_file({"path": string, "start_line"?: integer, "all"?: boolean})');
  });

  it('says when a call came with no arguments at all: arguments that did not parse arrive so', () => {
    expect(errorOf({})).toContain('missing required "path" (string). The call came with no arguments at all');
    expect(errorOf({ start_line: 1 })).not.toContain('no arguments');
  });

  it('names at most five unknown arguments, and counts the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const error = errorOf({ path: 'a', ...many });
    expect(error).toContain('unknown argument "k4"; 4995 more unknown arguments. Expected:');
    expect(error).not.toContain('"k5"');
  });

  it('refuses wrong types without coercing them', () => {
    expect(errorOf({ path: 42 })).toContain('"path" must be a string, got number 42');
    expect(errorOf({ path: ['a'] })).toContain('got an array');
    expect(errorOf({ path: 'a', start_line: 2.5 })).toContain('"start_line" must be an integer');
  });

  it('writes the call shape of a schema', () => {
    expect(callShape(schema, 'x')).toBe('x({"path": string, "start_line"?: integer, "all"?: boolean})');
  });
});

describe('tool definitions', () => {
  it('lists the tools in order', () => {
    expect(tools.map((t) => t.name)).toEqual([
      'read_file',
      'list_files',
      'grep',
      'find_symbol',
      'references',
      'rename_symbol',
      'replace_symbol',
      'edit_file',
      'write_file',
      'diagnostics',
      'run_command',
      'finish',
    ]);
    expect(toolDefinitions().map((d) => Object.keys(d))).toEqual(tools.map(() => ['name', 'description', 'parameters']));
  });

  it('stay small: the system prompt and all definitions as sent (each wrapped as a function) within 1,000 tokens (SPEC section 11)', () => {
    const wire = toolDefinitions().map((definition) => ({ type: 'function', function: definition }));
    expect(encode(SYSTEM_PROMPT).length + encode(JSON.stringify(wire)).length).toBeLessThanOrEqual(1000);
  });

  it('have schemas whose required arguments are properties', () => {
    for (const tool of tools) {
      for (const name of tool.parameters.required ?? []) expect(Object.keys(tool.parameters.properties)).toContain(name);
    }
  });
});
