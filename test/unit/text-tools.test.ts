import { encode } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT } from '../../src/agent/prompt.js';
import {
  formatToolResult,
  parseTextToolCalls,
  stripToolCallText,
  textProtocolPrompt,
} from '../../src/agent/text-tools.js';
import { toolDefinitions, tools } from '../../src/agent/tools/index.js';

const names = toolDefinitions();
const parse = (text: string) => parseTextToolCalls(text, names);
const read = (path: string) => ({ name: 'read_file', arguments: { path } });

describe('textProtocolPrompt', () => {
  const prompt = textProtocolPrompt(toolDefinitions());

  it('teaches the tag form and how results come back', () => {
    expect(prompt).toContain('<tool_call>{"name": "read_file", "arguments": {"path": "src/index.ts"}}</tool_call>');
    expect(prompt).toContain('<tool_result name="read_file">...</tool_result>');
    expect(prompt).toContain('several');
  });

  it('lists every tool on one line, optional arguments marked, types only where not string', () => {
    const lines = prompt.split('\n');
    for (const tool of tools) expect(lines.filter((line) => line.startsWith(`${tool.name}(`))).toHaveLength(1);
    expect(prompt).toContain(
      'read_file(path, start_line?: integer, end_line?: integer): Numbered lines of a text file, at most 500 per call.',
    );
    expect(prompt).toContain('grep(pattern, path?): ');
    expect(prompt).toContain('edit_file(path, old_text, new_text): ');
  });

  it('stays small: the system prompt and the text protocol together within 1,000 tokens', () => {
    const count = encode(`${SYSTEM_PROMPT}\n\n${prompt}`).length;
    console.log(`SYSTEM_PROMPT + textProtocolPrompt: ${count} tokens`);
    expect(count).toBeLessThanOrEqual(1000);
  });

  it('teaches a call its parser accepts', () => {
    const example = prompt.split('\n').find((line) => line.startsWith('<tool_call>')) ?? '';
    expect(parse(example)).toEqual({ calls: [read('src/index.ts')], problems: [] });
  });
});

describe('formatToolResult', () => {
  it('wraps the content in a tool_result element named after the tool', () => {
    expect(formatToolResult('grep', 'a.ts:1: x')).toBe('<tool_result name="grep">\na.ts:1: x\n</tool_result>');
  });
});

describe('parseTextToolCalls', () => {
  describe('in <tool_call> tags', () => {
    it('reads one call', () => {
      expect(parse('Let me look.\n<tool_call>{"name": "read_file", "arguments": {"path": "a.ts"}}</tool_call>')).toEqual({
        calls: [read('a.ts')],
        problems: [],
      });
    });

    it('reads several calls in text order, with whitespace and newlines inside the tags', () => {
      const text = [
        '<tool_call>\n{"name": "grep", "arguments": {"pattern": "parseConfig"}}\n</tool_call>',
        'and then',
        '<TOOL_CALL>{"name": "read_file", "arguments": {"path": "b.ts", "start_line": 3}}</TOOL_CALL>',
      ].join('\n');
      expect(parse(text).calls).toEqual([
        { name: 'grep', arguments: { pattern: 'parseConfig' } },
        { name: 'read_file', arguments: { path: 'b.ts', start_line: 3 } },
      ]);
    });

    it('takes a call without arguments as one with none', () => {
      expect(parse('<tool_call>{"name": "diagnostics"}</tool_call>').calls).toEqual([
        { name: 'diagnostics', arguments: {} },
      ]);
    });

    it('reads a fenced block inside the tags, and an array of calls', () => {
      const text =
        '<tool_call>\n```json\n[{"name": "read_file", "arguments": {"path": "a"}}, {"name": "read_file", "arguments": {"path": "b"}}]\n```\n</tool_call>';
      expect(parse(text)).toEqual({ calls: [read('a'), read('b')], problems: [] });
    });

    it('tolerates trailing garbage after the call', () => {
      expect(parse('<tool_call>{"name": "read_file", "arguments": {"path": "a"}}}</tool_call>').calls).toEqual([
        read('a'),
      ]);
      expect(parse('<tool_call>{"name": "read_file", "arguments": {"path": "a"}} I will now read it.</tool_call>')).toEqual({
        calls: [read('a')],
        problems: [],
      });
    });

    it('reads an unclosed last tag', () => {
      expect(parse('Reading.\n<tool_call>{"name": "read_file", "arguments": {"path": "a"}}\n')).toEqual({
        calls: [read('a')],
        problems: [],
      });
    });

    it('ends an unclosed tag at the next opening tag', () => {
      const text =
        '<tool_call>{"name": "read_file", "arguments": {"path": "a"}}\n<tool_call>{"name": "read_file", "arguments": {"path": "b"}}</tool_call>';
      expect(parse(text).calls).toEqual([read('a'), read('b')]);
    });

    it('never completes a call cut off in the middle', () => {
      const result = parse('<tool_call>{"name": "write_file", "arguments": {"path": "a", "content": "half');
      expect(result.calls).toEqual([]);
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toContain('is not valid JSON');
    });
  });

  describe('in fenced blocks', () => {
    it('reads a ```json block', () => {
      expect(parse('I will read it.\n```json\n{"name": "read_file", "arguments": {"path": "a"}}\n```\nDone.')).toEqual({
        calls: [read('a')],
        problems: [],
      });
    });

    it('reads a block without a language, and one on a single line', () => {
      expect(parse('```\n{"name": "read_file", "arguments": {"path": "a"}}\n```').calls).toEqual([read('a')]);
      expect(parse('```json {"name": "read_file", "arguments": {"path": "a"}}```').calls).toEqual([read('a')]);
    });

    it('reads an array of calls and several objects one per line', () => {
      const array = '```json\n[\n {"name": "read_file", "arguments": {"path": "a"}},\n {"name": "grep", "arguments": {"pattern": "x"}}\n]\n```';
      expect(parse(array).calls).toEqual([read('a'), { name: 'grep', arguments: { pattern: 'x' } }]);
      const lines = '```json\n{"name": "read_file", "arguments": {"path": "a"}}\n{"name": "read_file", "arguments": {"path": "b"}}\n```';
      expect(parse(lines).calls).toEqual([read('a'), read('b')]);
    });

    it('counts a fenced block that holds tags once', () => {
      const text = '```\n<tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call>\n```';
      expect(parse(text)).toEqual({ calls: [read('a')], problems: [] });
    });

    it('finds calls wrapped in an envelope such as {"tool_calls": [...]}', () => {
      const text = '```json\n{"tool_calls": [{"type": "function", "function": {"name": "read_file", "arguments": "{\\"path\\": \\"a\\"}"}}]}\n```';
      expect(parse(text)).toEqual({ calls: [read('a')], problems: [] });
    });

    it('ignores code blocks of other languages', () => {
      const text = '```ts\nconst call = {"name": "read_file", "arguments": {"path": "a"}};\n```';
      expect(parse(text)).toEqual({ calls: [], problems: [] });
    });
  });

  describe('as a bare JSON object', () => {
    it('reads a call object written into prose', () => {
      expect(parse('First I read the file: {"name": "read_file", "arguments": {"path": "a"}} and then decide.')).toEqual({
        calls: [read('a')],
        problems: [],
      });
    });

    it('reads a bare array of calls, and tolerates a stray closing brace', () => {
      const text = '[{"name": "read_file", "arguments": {"path": "a"}}, {"name": "read_file", "arguments": {"path": "b"}}]}';
      expect(parse(text)).toEqual({ calls: [read('a'), read('b')], problems: [] });
    });

    it('is not a call when it merely appears in prose', () => {
      const packageJson = 'Your package.json should read:\n```json\n{"name": "grep", "version": "1.0.0", "scripts": {"test": "vitest"}}\n```';
      expect(parse(packageJson)).toEqual({ calls: [], problems: [] });
      expect(parse('Set it to {"name": "grep", "version": "1.0.0"} in the manifest.')).toEqual({ calls: [], problems: [] });
      expect(parse('An object like {"name": "Ada", "arguments": {"x": 1}} is fine.')).toEqual({ calls: [], problems: [] });
      expect(parse('Use {"read_file": true, "path": "a"} as the option bag.')).toEqual({ calls: [], problems: [] });
    });
  });

  describe('call shapes', () => {
    it.each([
      ['name + parameters', '{"name": "read_file", "parameters": {"path": "a"}}'],
      ['tool + arguments', '{"tool": "read_file", "arguments": {"path": "a"}}'],
      ['tool + args', '{"tool": "read_file", "args": {"path": "a"}}'],
      ['function wrapper', '{"function": {"name": "read_file", "arguments": {"path": "a"}}}'],
      ['OpenAI type function', '{"type": "function", "function": {"name": "read_file", "arguments": {"path": "a"}}}'],
      ['arguments as a JSON string', '{"name": "read_file", "arguments": "{\\"path\\": \\"a\\"}"}'],
      ['with an id', '{"id": "call_1", "name": "read_file", "arguments": {"path": "a"}}'],
    ])('reads %s in tags, in a fence and bare', (_, call) => {
      for (const text of [`<tool_call>${call}</tool_call>`, `\`\`\`json\n${call}\n\`\`\``, `Calling ${call} now.`]) {
        expect(parse(text)).toEqual({ calls: [read('a')], problems: [] });
      }
    });
  });

  describe('small-model slips', () => {
    it('tolerates trailing commas', () => {
      expect(parse('<tool_call>{"name": "read_file", "arguments": {"path": "a",},}</tool_call>').calls).toEqual([read('a')]);
      expect(parse('```json\n[{"name": "read_file", "arguments": {"path": "a"}},]\n```').calls).toEqual([read('a')]);
    });

    it('keeps a comma inside a string that looks trailing', () => {
      const call = '<tool_call>{"name": "edit_file", "arguments": {"path": "a", "old_text": "f(x,}", "new_text": "[1,]",}}</tool_call>';
      expect(parse(call).calls).toEqual([{ name: 'edit_file', arguments: { path: 'a', old_text: 'f(x,}', new_text: '[1,]' } }]);
    });

    it('tolerates raw newlines inside strings', () => {
      const call = '<tool_call>{"name": "write_file", "arguments": {"path": "a.ts", "content": "line 1\nline 2\n"}}</tool_call>';
      expect(parse(call).calls).toEqual([{ name: 'write_file', arguments: { path: 'a.ts', content: 'line 1\nline 2\n' } }]);
    });

    it('keeps braces and quotes inside string values', () => {
      const args = { path: 'a.ts', old_text: 'if (x) {', new_text: 'if (x) { return "}"; }\n}' };
      const call = JSON.stringify({ name: 'edit_file', arguments: args });
      for (const text of [`<tool_call>${call}</tool_call>`, `Now: ${call} and {`, `\`\`\`json\n${call}\n\`\`\``]) {
        expect(parse(text)).toEqual({ calls: [{ name: 'edit_file', arguments: args }], problems: [] });
      }
    });
  });

  describe('problems', () => {
    it('reports malformed JSON in tags with the error and the correct form', () => {
      const result = parse('<tool_call>{"name": "read_file", "arguments": {"path" "a"}}</tool_call>');
      expect(result.calls).toEqual([]);
      expect(result.problems).toHaveLength(1);
      const [problem] = result.problems;
      expect(problem).toMatch(/^The tool call in <tool_call> tags is not valid JSON: .*position \d+/);
      expect(problem).toContain('(it begins: {"name": "read_file"');
      expect(problem).toContain('Write each call as <tool_call>{"name": "read_file", "arguments": {"path": "src/index.ts"}}</tool_call>');
    });

    it('says that single quotes are not JSON', () => {
      const result = parse("<tool_call>{'name': 'read_file', 'arguments': {'path': 'a'}}</tool_call>");
      expect(result.calls).toEqual([]);
      expect(result.problems[0]).toContain('not valid JSON');
      expect(result.problems[0]).toContain('double quotes, not single quotes');
    });

    it('reports malformed JSON in a fenced block that tries a call', () => {
      const result = parse("```json\n{'name': 'read_file', 'arguments': {'path': 'a'}}\n```");
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toContain('The tool call in the fenced JSON block is not valid JSON');
    });

    it('ignores malformed JSON in prose and in fences that do not try a call', () => {
      expect(parse('```json\n{"compilerOptions": {"strict": true,, }}\n```\nand {oops "x": }')).toEqual({
        calls: [],
        problems: [],
      });
    });

    it('names the known tools for an unknown tool', () => {
      for (const text of [
        '<tool_call>{"name": "read_files", "arguments": {"path": "a"}}</tool_call>',
        '```json\n{"name": "read_files", "arguments": {"path": "a"}}\n```',
      ]) {
        const result = parse(text);
        expect(result.calls).toEqual([]);
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]).toContain('Unknown tool "read_files"');
        expect(result.problems[0]).toContain(`the tools are: ${names.map((tool) => tool.name).join(', ')}`);
      }
    });

    it('reports arguments that are not an object', () => {
      for (const args of ['["a"]', '"a.ts"', '42']) {
        const result = parse(`<tool_call>{"name": "read_file", "arguments": ${args}}</tool_call>`);
        expect(result.calls).toEqual([]);
        expect(result.problems[0]).toContain('The "arguments" of read_file in <tool_call> tags must be a JSON object, got');
      }
    });

    it('reports a tag without a call object', () => {
      expect(parse('<tool_call></tool_call>').problems[0]).toContain('The <tool_call> tags hold no call.');
      expect(parse('<tool_call>{"path": "a"}</tool_call>').problems[0]).toContain('has no "name"');
      expect(parse('<tool_call>[1]</tool_call>').problems[0]).toContain('must be a JSON object, got number 1');
    });

    it('reports at most five problems and counts the rest', () => {
      const result = parse('<tool_call>oops</tool_call>'.repeat(8));
      expect(result.problems).toHaveLength(6);
      expect(result.problems[5]).toBe('...and 3 more malformed tool calls.');
    });

    it('keeps the good calls beside a bad one', () => {
      const text =
        '<tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call><tool_call>{"name": "nope", "arguments": {}}</tool_call><tool_call>{"name": "read_file", "arguments": {"path": "b"}}</tool_call>';
      const result = parse(text);
      expect(result.calls).toEqual([read('a'), read('b')]);
      expect(result.problems).toHaveLength(1);
    });
  });

  it('returns calls of every form in text order', () => {
    const text = [
      'Bare: {"name": "read_file", "arguments": {"path": "1"}}',
      '```json\n{"name": "read_file", "arguments": {"path": "2"}}\n```',
      '<tool_call>{"name": "read_file", "arguments": {"path": "3"}}</tool_call>',
      '{"name": "read_file", "arguments": {"path": "4"}}',
    ].join('\n');
    expect(parse(text).calls).toEqual([read('1'), read('2'), read('3'), read('4')]);
  });

  it('ignores everything after a <tool_result the model wrote itself, and tells it so', () => {
    const text =
      '<tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call>\n<tool_result name="read_file">1│ x</tool_result>\n<tool_call>{"name": "write_file", "arguments": {"path": "a", "content": ""}}</tool_call>';
    const result = parse(text);
    expect(result.calls).toEqual([read('a')]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toContain('a <tool_result> you wrote yourself: it was ignored');
    expect(result.problems[0]).toContain('end your answer after your tool calls');
  });

  it('reads at most 25 calls of one answer and says how many were not run', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `<tool_call>${JSON.stringify(read(`f${i}`))}</tool_call>`).join('\n');
    const result = parse(text);
    expect(result.calls).toEqual(Array.from({ length: 25 }, (_, i) => read(`f${i}`)));
    expect(result.problems).toEqual([
      'Your answer held 1000 tool calls; only the first 25 were read, the other 975 were not run. Make at most 25 calls in one answer, and the next ones after reading their results.',
    ]);
  });

  it('also cuts at an invented <tool_response>, and after a closing tag on the same line', () => {
    const call = '<tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call>';
    const later = '<tool_call>{"name": "read_file", "arguments": {"path": "b"}}</tool_call>';
    expect(parse(`${call}\n<tool_response>x</tool_response>\n${later}`).calls).toEqual([read('a')]);
    expect(parse(`${call}<tool_result name="read_file">x</tool_result>${later}`).calls).toEqual([read('a')]);
  });

  it('does not cut at <tool_result inside a string value', () => {
    const args = { path: 'notes.md', content: 'Results come as <tool_result name="x">...</tool_result>.\n' };
    const text = `<tool_call>${JSON.stringify({ name: 'write_file', arguments: args })}</tool_call>`;
    expect(parse(text)).toEqual({ calls: [{ name: 'write_file', arguments: args }], problems: [] });
  });

  it('finds nothing in plain prose', () => {
    expect(parse('All done. The function returns {} when the map is empty.')).toEqual({ calls: [], problems: [] });
    expect(parse('')).toEqual({ calls: [], problems: [] });
  });

  it('returns on a megabyte of garbage braces', { timeout: 30_000 }, () => {
    const garbage = [
      '{'.repeat(1_000_000),
      '{"'.repeat(500_000),
      `${'{"a": '.repeat(150_000)}"read_file"`,
      `${'{"name": "read_file", "x": '.repeat(40_000)}`,
      `${'[{"read_file": '.repeat(60_000)}${']}'.repeat(60_000)}`,
      '<tool_call>{'.repeat(80_000),
      '```{"name": "read_file"'.repeat(40_000),
      '"\\{}'.repeat(250_000),
      '[read_file('.repeat(100_000),
      '<read_file>'.repeat(100_000),
      '<function=read_file>'.repeat(60_000),
      '<|message|>to=read_file'.repeat(50_000),
      '[TOOL_CALLS]'.repeat(80_000),
      '<|tool_call_start|>'.repeat(80_000),
      '<tool><name>read_file</name>'.repeat(50_000),
      '<｜tool▁call▁begin｜>function<｜tool▁sep｜>'.repeat(50_000),
      'read_file(path="'.repeat(50_000),
      '<|tool_call>call:read_file{path:'.repeat(50_000),
    ];
    for (const text of garbage) {
      const result = parse(text);
      expect(Array.isArray(result.calls)).toBe(true);
    }
  });

  it('never throws on random input', () => {
    const pieces = ['{', '}', '[', ']', '"', '\\', ',', ':', ' ', '\n', '```', 'json', '<tool_call>', '</tool_call>', '"name"', '"read_file"', '"arguments"', "'", 'x', '1', 'null'];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 500; round++) {
      const text = Array.from({ length: 1 + (next() % 60) }, () => pieces[next() % pieces.length]).join('');
      expect(() => parse(text)).not.toThrow();
      expect(() => stripToolCallText(text, names)).not.toThrow();
    }
  });
});

describe('the forms other models write', () => {
  // The model outputs themselves, with their sources, are in test/fixtures/model-outputs; these
  // pin the behaviour around them with hunkwise's own tools.
  it('matches a tool name leniently only where that is unambiguous', () => {
    expect(parse('<tool_call>{"name": "functions.read_file", "arguments": {"path": "a"}}</tool_call>').calls).toEqual([read('a')]);
    expect(parse('<tool_call>{"name": "Read_File", "arguments": {"path": "a"}}</tool_call>').calls).toEqual([read('a')]);
    expect(parse('<tool_call>{"name": "read-file", "arguments": {"path": "a"}}</tool_call>').calls).toEqual([read('a')]);
    // Another agent's tool is not guessed to be one of ours.
    const other = parse('<tool_call>{"name": "execute_command", "arguments": {"command": "ls"}}</tool_call>');
    expect(other.calls).toEqual([]);
    expect(other.problems[0]).toContain('Unknown tool "execute_command"');
    expect(parse('<execute_command><command>ls</command></execute_command>')).toEqual({ calls: [], problems: [] });
  });

  it('types the values of the XML and Python forms by the tool\'s schema', () => {
    const xml = '<tool_call>\n<function=read_file>\n<parameter=path>\nsrc/a.ts\n</parameter>\n<parameter=start_line>\n3\n</parameter>\n</function>\n</tool_call>';
    expect(parse(xml).calls).toEqual([{ name: 'read_file', arguments: { path: 'src/a.ts', start_line: 3 } }]);
    expect(parse('[read_file(path=src/a.ts, start_line=3)]').calls).toEqual([{ name: 'read_file', arguments: { path: 'src/a.ts', start_line: 3 } }]);
    expect(parse('<|python_tag|>read_file("src/a.ts", 3)').calls).toEqual([{ name: 'read_file', arguments: { path: 'src/a.ts', start_line: 3 } }]);
  });

  it('answers a Qwen call cut off before </function> with a message, not a call', () => {
    const cut = parse('<tool_call>\n<function=write_file>\n<parameter=path>\na.ts\n</parameter>\n<parameter=content>\nexport const');
    expect(cut.calls).toEqual([]);
    expect(cut.problems[0]).toContain('was cut off before its </function>');
  });

  it('takes no prose for a call', () => {
    const prose = [
      'The API answers {"name": "read_file", "ok": true} when it works.',
      'Here is how a tool is defined:\n```python\ndef read_file(path="a"):\n    return open(path).read()\n```',
      'In Python you would write:\n```python\nprint(read_file(path="a"))\nx = 1\n```',
      'Call `read_file(path="a")` when you need it.',
      'See [read_file](https://example.com/docs) for details.',
      'An element like <div class="x">text</div> renders a box.',
      '[1, 2, 3] is a list.',
    ];
    for (const text of prose) expect(parse(text), text).toEqual({ calls: [], problems: [] });
  });

  it('drops what follows a <tool_response> the model wrote itself', () => {
    const text = '<tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call>\n<tool_response>\n1: x\n</tool_response>\n<tool_call>{"name": "read_file", "arguments": {"path": "b"}}</tool_call>';
    const result = parse(text);
    expect(result.calls).toEqual([read('a')]);
    expect(result.problems[0]).toContain('a <tool_result> you wrote yourself');
  });
});

describe('stripToolCallText', () => {
  it('keeps the prose and drops the calls', () => {
    const text = [
      'I will read the config.',
      '<tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call>',
      '```json\n{"name": "read_file", "arguments": {"path": "b"}}\n```',
      'Then {"name": "read_file", "arguments": {"path": "c"}} decide.',
      '<tool_result name="read_file">invented</tool_result>',
    ].join('\n\n');
    expect(stripToolCallText(text, names)).toBe('I will read the config.\n\nThen  decide.');
  });

  it('keeps code blocks that are not calls, and without names keeps bare objects', () => {
    const text = 'Like this:\n```ts\nconst a = {};\n```\n{"name": "read_file", "arguments": {"path": "a"}}';
    expect(stripToolCallText(text)).toBe(text);
  });

  it('drops an emptied fence around tags', () => {
    expect(stripToolCallText('Now:\n```\n<tool_call>{"name": "read_file", "arguments": {}}</tool_call>\n```\n')).toBe('Now:');
  });
});
