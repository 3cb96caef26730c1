import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ToolSpec } from '../../src/agent/call-forms/context.js';
import type { ToolCall, ToolDefinition } from '../../src/model/types.js';

/**
 * The corpus of real model outputs (test/fixtures/model-outputs/corpus-*.json): answers that local
 * models wrote, quoted verbatim from public issues, pull requests and parser test fixtures, each
 * with its source and the calls the model meant. Collected, not written here.
 */
export interface CorpusEntry {
  id: string;
  family: string;
  model: string | null;
  /** Where it was quoted from: an issue, a pull request, or a fixture file at a commit. */
  source: string;
  where: string;
  /** What the model wrote, byte for byte. */
  output: string;
  /** The tools it was offered, by name. */
  tools: string[];
  /** The calls the model meant, in order: [] when it meant none. */
  intended: ToolCall[];
  /** The answer is cut so a call in it cannot be read whole: the model must be told. */
  truncated: boolean;
  notes?: string;
}

const DIR = join(import.meta.dirname, '..', 'fixtures', 'model-outputs');

export const corpus: CorpusEntry[] = ['corpus-a.json', 'corpus-b.json'].flatMap(
  (file) => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as CorpusEntry[],
);

/**
 * Entries whose intended call hunkwise must not run, each with the reason: it answers with a
 * message instead.
 */
export const NOT_RUN: Record<string, string> = {
  // The model called a tool it was not offered; it is told the tools there are.
  'qwen3-ollama-11381-tagged-call-unoffered-tool': 'a tool it was not offered',
  // The call is inside <think>...</think>: thinking is never run; the model is told to make the call in its answer.
  'qwen35-mlx-openai-server-284-call-inside-think': 'written inside the thinking',
};

/**
 * The message each of these entries must bring the model (a part of it), besides the calls it
 * reads: a broken call beside whole ones, a repeated call, a call form with no call in it. Every
 * other entry that is not cut off gets no message at all.
 */
export const MESSAGES: Record<string, string> = {
  'qwen3-ollama-11381-tagged-call-unoffered-tool': 'Unknown tool "create"',
  'vllm-phi4mini-functools-not-json': 'after functools is not valid JSON',
  'ollama-toolstest-mistral-malformed-second-call': 'after [TOOL_CALLS] is not valid JSON',
  'ollama-toolstest-mistral-no-prefix-text-between': 'the same get_current_weather call more than once',
  'ollama-cohere-action-unquoted-value': 'after <|START_ACTION|> is not valid JSON',
  'vllm-kimi-k2-bad-call-id': 'Unknown tool "functions.invalid_get_weather.0"',
  'qwen35-mlx-openai-server-284-call-inside-think': 'Your read call was written inside your thinking',
  // Everything is thinking (its <think> never closes): the answer is empty, and the model is told so.
  'qwen3-llamacpp-test-tool-call-inside-unclosed-think-negative': 'Your answer was empty',
};

/** The tools of an entry as hunkwise would offer them: each argument typed as the model meant it. */
export function toolsOf(entry: CorpusEntry): Array<ToolSpec & ToolDefinition> {
  return entry.tools.map((name) => {
    const properties: Record<string, { type: string }> = {};
    for (const call of entry.intended.filter((c) => c.name === name)) {
      for (const [key, value] of Object.entries(call.arguments)) properties[key] = { type: jsonType(value) };
    }
    return { name, description: name, parameters: { type: 'object', properties } } as ToolSpec & ToolDefinition;
  });
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The calls of an entry hunkwise must read: the intended ones, but for those it must not run. */
export function expectedCalls(entry: CorpusEntry): ToolCall[] {
  return entry.id in NOT_RUN ? [] : entry.intended;
}

/** Checks the model's messages for an entry: what MESSAGES says, one at least for a cut-off answer, else none. */
export function checkMessages(entry: CorpusEntry, problems: readonly string[]): string | undefined {
  const wanted = MESSAGES[entry.id];
  if (wanted !== undefined) return problems.some((p) => p.includes(wanted)) ? undefined : `no message says "${wanted}": ${JSON.stringify(problems)}`;
  if (entry.truncated) return problems.length > 0 ? undefined : 'a cut-off call brought no message';
  return problems.length === 0 ? undefined : `unexpected messages: ${JSON.stringify(problems)}`;
}
