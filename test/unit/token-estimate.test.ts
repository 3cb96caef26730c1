import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { ContextWindow } from '../../src/agent/context-window.js';
import { estimateTokens } from '../../src/agent/token-estimate.js';
import type { ChatMessage } from '../../src/model/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Texts of every kind a prompt holds: this project's sources, its lock file (hashes), docs, JSON. */
function corpus(): string[] {
  const files = execFileSync('git', ['ls-files', '*.ts', '*.js', '*.mjs', '*.json', '*.md', '*.py'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  const pieces: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8').slice(0, 120_000);
    for (let at = 0; at < text.length; at += 3000) pieces.push(text.slice(at, at + 3000));
  }
  return pieces;
}

const actual = (text: string): number =>
  Math.max(o200k.countTokens(text, { disallowedSpecial: new Set() }), cl100k.countTokens(text, { disallowedSpecial: new Set() }));

describe('estimateTokens', () => {
  it('is never more than 8 % under gpt-tokenizer on any 3,000-character piece, and not wildly over on the whole', () => {
    let estimated = 0;
    let counted = 0;
    const pieces = corpus();
    expect(pieces.length).toBeGreaterThan(200);
    for (const piece of pieces) {
      const estimate = estimateTokens(piece);
      const real = actual(piece);
      expect(estimate, piece.slice(0, 200)).toBeGreaterThanOrEqual(Math.floor(real * 0.92));
      estimated += estimate;
      counted += real;
    }
    expect(estimated / counted).toBeLessThan(1.5);
  });

  it('counts words, numbers, punctuation and line breaks', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('hello world')).toBe(2);
    expect(estimateTokens('internationalisation')).toBe(5);
    expect(estimateTokens('1234567')).toBe(3);
    expect(estimateTokens('a\n\nb')).toBe(4);
    expect(estimateTokens('{}')).toBe(2);
  });
});

describe('ContextWindow', () => {
  const result = (i: number): ChatMessage => ({ role: 'tool', toolName: 'read_file', content: `line ${i}\n`.repeat(200) });
  const conversation = (results: number): ChatMessage[] => [
    { role: 'system', content: 'system prompt' },
    { role: 'user', content: 'the instruction' },
    ...Array.from({ length: results }, (_, i): ChatMessage[] => [
      { role: 'assistant', content: '', toolCalls: [{ name: 'read_file', arguments: { path: `f${i}` } }] },
      result(i),
    ]).flat(),
  ];

  it('sends everything unchanged while it fits', () => {
    const window = new ContextWindow({ numCtx: 32768, tools: [] });
    const messages = conversation(3);
    const fit = window.fit(messages);
    expect(fit.ok && fit.messages).toEqual(messages);
  });

  it('shortens the oldest results first, never the system prompt, the instruction or the last turn, and keeps them shortened', () => {
    const window = new ContextWindow({ numCtx: 4096, tools: [] });
    const messages = conversation(6);
    const fit = window.fit(messages);
    if (!fit.ok) throw new Error('did not fit');
    expect(fit.newlyShortened).toBeGreaterThan(0);
    expect(fit.tokens).toBeLessThanOrEqual(window.budget);
    expect(fit.messages.slice(0, 2)).toEqual(messages.slice(0, 2));
    expect(fit.messages.at(-1)).toEqual(messages.at(-1));
    expect(fit.messages[3]?.content).toMatch(/^\[read_file result of 201 lines left out to fit the context window/);
    // The next request extends this one: what was shortened stays so, nothing else changes.
    const next = window.fit([...messages, { role: 'user', content: 'go on' }]);
    expect(next.ok && next.newlyShortened).toBe(0);
    expect(next.ok && next.messages.slice(0, fit.messages.length)).toEqual(fit.messages);
  });

  it('says when even the shortened conversation does not fit', () => {
    const window = new ContextWindow({ numCtx: 4096, tools: [] });
    const fit = window.fit([{ role: 'system', content: 'x' }, { role: 'user', content: 'word '.repeat(5000) }]);
    expect(fit.ok).toBe(false);
  });

  it('cuts a single result to a quarter of the room, whole lines, saying how much is left out', () => {
    const window = new ContextWindow({ numCtx: 4096, tools: [] });
    const cut = window.capResult(`${'const x = 1;\n'.repeat(2000)}`);
    expect(estimateTokens(cut)).toBeLessThanOrEqual(window.resultLimit);
    expect(cut).toMatch(/^const x = 1;\n/);
    expect(cut).toMatch(/\[cut to fit the context window: \d+ more lines not shown;/);
    expect(window.capResult('short')).toBe('short');
  });
});
