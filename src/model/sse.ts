/**
 * Server-sent events as OpenAI-compatible servers really send them. Read here rather than by the
 * `openai` package because servers send more than the standard: llama.cpp's server wrote errors
 * in a field of its own (`error: {...}`, which a standard reader drops, leaving a stream that just
 * ends), others an `event: error`, or a `data:` object holding `error`.
 */

export interface ServerEvent {
  /** `event:`'s value; `error` also for llama.cpp's `error:` field. */
  event: string | undefined;
  /** The `data:` lines joined with newlines (or the `error:` field's value). */
  data: string;
}

/** The events of a response body; a last event not followed by a blank line still counts. */
export async function* serverEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServerEvent, void, undefined> {
  const decoder = new TextDecoder();
  let pending = '';
  let event: string | undefined;
  let data: string[] = [];
  const take = (): ServerEvent[] => {
    const out = data.length > 0 ? [{ event, data: data.join('\n') }] : [];
    event = undefined;
    data = [];
    return out;
  };
  const line = (text: string): ServerEvent[] => {
    if (text === '') return take();
    if (text.startsWith(':')) return [];
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    const value = colon === -1 ? '' : text.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'error') return [...take(), { event: 'error', data: value }]; // llama.cpp's own field: an event by itself
    return [];
  };
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    for (let end = pending.search(/\r\n|\r|\n/); end !== -1; end = pending.search(/\r\n|\r|\n/)) {
      if (end === pending.length - 1 && pending[end] === '\r') break; // its \n may come in the next chunk
      const text = pending.slice(0, end);
      pending = pending.slice(end + (pending.startsWith('\r\n', end) ? 2 : 1));
      yield* line(text);
    }
  }
  pending += decoder.decode();
  if (pending !== '') yield* line(pending);
  yield* take();
}
