import { describe, expect, it } from 'vitest';
import { readAnswer } from '../../src/agent/turn.js';
import { splitThinking, ThinkingSplitter } from '../../src/model/thinking.js';
import { type CorpusEntry, checkMessages, corpus, expectedCalls, NOT_RUN, toolsOf } from '../helpers/model-corpus.js';

/**
 * What real local models wrote (test/fixtures/model-outputs, each quoted with its source), read
 * the way a turn reads a finished answer: thinking tags taken out, then the calls in the text.
 * The same corpus goes through real HTTP in test/e2e/model-outputs.test.ts.
 */

/** The answer as the provider's splitter hands it to the turn, read as the turn reads it. */
function read(entry: CorpusEntry) {
  const splitter = new ThinkingSplitter();
  const parts = [...splitter.push(entry.output), ...splitter.flush()];
  const of = (type: string): string => parts.filter((part) => part.type === type).map((part) => part.text).join('');
  return readAnswer({ text: of('text_delta'), thinking: of('thinking_delta'), calls: [], doneReason: 'stop' }, toolsOf(entry));
}

describe('the corpus of real model outputs', () => {
  it('holds at least 40 outputs of at least 8 families, each with its source', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.map((entry) => entry.family)).size).toBeGreaterThanOrEqual(8);
    expect(new Set(corpus.map((entry) => entry.id)).size).toBe(corpus.length);
    for (const entry of corpus) {
      expect(entry.source, entry.id).toMatch(/^https:\/\/(github\.com|raw\.githubusercontent\.com|[\w.-]+)\//);
      expect(entry.output.length, entry.id).toBeGreaterThan(0);
    }
  });

  it.each(corpus.map((entry) => [entry.id, entry] as const))('%s: reads exactly the calls the model meant', (_, entry) => {
    const result = read(entry);
    expect(result.calls).toEqual(expectedCalls(entry));
    expect(checkMessages(entry, result.problems)).toBeUndefined();
  });

  it('reads every intended call but those it must not run', () => {
    const intended = corpus.reduce((sum, entry) => sum + entry.intended.length, 0);
    const readCalls = corpus.reduce((sum, entry) => sum + read(entry).calls.length, 0);
    const notRun = corpus.filter((entry) => entry.id in NOT_RUN).reduce((sum, entry) => sum + entry.intended.length, 0);
    console.log(`corpus: ${corpus.length} outputs, ${readCalls} of ${intended} intended calls read, ${notRun} refused with a message`);
    expect(readCalls).toBe(intended - notRun);
  });
});

describe('thinking in the text', () => {
  it('takes <think> out of the answer however the stream cuts the tags', () => {
    const output = '<think>The user wants the weather. {"name": "get_weather", "arguments": {}}</think>\n\nIt is sunny.';
    for (let size = 1; size <= output.length; size++) {
      const splitter = new ThinkingSplitter();
      const parts: Array<{ type: string; text: string }> = [];
      for (let i = 0; i < output.length; i += size) parts.push(...splitter.push(output.slice(i, i + size)));
      parts.push(...splitter.flush());
      const of = (type: string) => parts.filter((part) => part.type === type).map((part) => part.text).join('');
      expect(of('thinking_delta'), `pieces of ${size}`).toBe('The user wants the weather. {"name": "get_weather", "arguments": {}}');
      expect(of('text_delta'), `pieces of ${size}`).toBe('It is sunny.');
    }
  });

  it('leaves a <think> that is not at the start, and text without tags, as the answer', () => {
    const splitter = new ThinkingSplitter();
    const parts = [...splitter.push('Use a <think> tag to show reasoning.'), ...splitter.flush()];
    expect(parts).toEqual([{ type: 'text_delta', text: 'Use a <think> tag to show reasoning.' }]);
  });

  it('finds thinking whose opening tag was in the prompt by its closing tag', () => {
    expect(splitThinking('The user asks for X.\n</think>\n\nDone.')).toEqual({ thinking: 'The user asks for X.', answer: 'Done.' });
    expect(splitThinking('No thinking here.')).toEqual({ thinking: '', answer: 'No thinking here.' });
  });
});
