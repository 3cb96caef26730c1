import { expect } from 'vitest';
import type { ModelError, ModelEvent } from '../../src/model/types.js';
import { closedPort } from './tasks.js';

/** What a provider's stream gave, every event in order. */
export async function collect(events: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const all: ModelEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

export const texts = (events: ModelEvent[]): string[] => events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : []));

/** The error a stream ended with: the last event, and the only error or done. */
export function lastError(events: ModelEvent[]): ModelError {
  const last = events.at(-1);
  if (last?.type !== 'error') throw new Error(`expected an error event last, got ${JSON.stringify(last)}`);
  expect(events.filter((e) => e.type === 'error' || e.type === 'done')).toHaveLength(1);
  return last.error;
}

/** A URL where nothing listens (on a port the system just gave back), with `path` after it. */
export const deadUrl = async (path = ''): Promise<string> => `http://127.0.0.1:${await closedPort()}${path}`;
