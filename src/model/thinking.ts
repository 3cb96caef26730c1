import type { ThinkSetting } from '../task-model.js';
import type { ModelEvent } from './types.js';

/**
 * Thinking written into the answer's text, for servers that leave it there (older Ollama, LM
 * Studio, llama.cpp without a reasoning parser): `<think>...</think>` and its variants at the start
 * of the answer become thinking events, so the view shows them as thinking and nobody scans them
 * for tool calls. A closing tag without its opening one (templates that end the prompt with
 * `<think>`) is found once the answer is whole: see splitThinking.
 */

const TAGS: ReadonlyArray<{ open: string; close: string }> = [
  { open: '<think>', close: '</think>' },
  { open: '<thinking>', close: '</thinking>' },
  { open: '<|START_THINKING|>', close: '<|END_THINKING|>' },
  { open: '<|channel|>analysis<|message|>', close: '<|end|>' },
  { open: '<|start|>assistant<|channel|>analysis<|message|>', close: '<|end|>' },
];

/** gpt-oss's analysis also ends where the next message starts, without an <|end|>. */
const HARMONY_NEXT = '<|start|>';

/** The header of gpt-oss's final message, left over once its analysis is taken out. */
const FINAL_HEADERS = ['<|start|>assistant<|channel|>final<|message|>', '<|channel|>final<|message|>'];

/** The events of a turn with thinking tags in its text turned into thinking events. */
export async function* separateThinking(events: AsyncIterable<ModelEvent>): AsyncGenerator<ModelEvent, void, undefined> {
  const splitter = new ThinkingSplitter();
  for await (const event of events) {
    if (event.type === 'text_delta') {
      yield* splitter.push(event.text);
      continue;
    }
    yield* splitter.flush();
    yield event;
  }
  yield* splitter.flush();
}

type Part = { type: 'text_delta' | 'thinking_delta'; text: string };

/** Splits streamed text at thinking tags, holding back only what may be the start of a tag. */
export class ThinkingSplitter {
  private state: 'start' | 'thinking' | 'after' | 'answer' = 'start';
  private pending = '';
  private closes: string[] = [];

  push(text: string): Part[] {
    this.pending += text;
    const parts: Part[] = [];
    for (;;) {
      if (this.state === 'start') {
        const head = this.pending.trimStart();
        const tag = TAGS.find((t) => head.startsWith(t.open));
        if (tag) {
          this.pending = head.slice(tag.open.length);
          this.closes = tag.open.includes('analysis') ? [tag.close, HARMONY_NEXT] : [tag.close];
          this.state = 'thinking';
          continue;
        }
        if (head === '' || TAGS.some((t) => t.open.startsWith(head))) return parts;
        this.state = 'answer';
      }
      if (this.state === 'thinking') {
        const found = this.closes
          .map((close) => ({ close, at: this.pending.indexOf(close) }))
          .filter((hit) => hit.at !== -1)
          .sort((a, b) => a.at - b.at)[0];
        if (found === undefined) {
          const keep = Math.max(...this.closes.map((close) => heldBack(this.pending, close)));
          add(parts, 'thinking_delta', this.pending.slice(0, this.pending.length - keep));
          this.pending = this.pending.slice(this.pending.length - keep);
          return parts;
        }
        add(parts, 'thinking_delta', this.pending.slice(0, found.at));
        this.pending = this.pending.slice(found.at + (found.close === HARMONY_NEXT ? 0 : found.close.length));
        this.state = 'after';
      }
      if (this.state === 'after') {
        // The blank lines between the thinking and the answer belong to neither, nor does the final message's header.
        this.pending = this.pending.trimStart();
        const header = FINAL_HEADERS.find((h) => this.pending.startsWith(h));
        if (header) this.pending = this.pending.slice(header.length);
        else if (FINAL_HEADERS.some((h) => h.startsWith(this.pending))) return parts;
        if (this.pending === '') return parts;
        this.state = 'answer';
      }
      add(parts, 'text_delta', this.pending);
      this.pending = '';
      return parts;
    }
  }

  /** What is held back, as what it would be if the answer ended here. */
  flush(): Part[] {
    const parts: Part[] = [];
    if (this.state === 'thinking') add(parts, 'thinking_delta', this.pending);
    else add(parts, 'text_delta', this.state === 'after' ? this.pending.trimStart() : this.pending);
    this.pending = '';
    if (this.state === 'start' && parts.length > 0) this.state = 'answer';
    return parts;
  }
}

function add(parts: Part[], type: Part['type'], text: string): void {
  if (text !== '') parts.push({ type, text });
}

/** How many characters at the end of `text` could begin `tag`. */
function heldBack(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) if (tag.startsWith(text.slice(text.length - n))) return n;
  return 0;
}

/**
 * A whole answer whose thinking ends with a closing tag that was never opened (the prompt opened
 * it): the thinking before the tag, the answer after it. Anything else is all answer.
 */
export function splitThinking(text: string): { thinking: string; answer: string } {
  // Harmony's <|end|> also ends other messages: only tags that close nothing but thinking.
  for (const { open, close } of TAGS.slice(0, 3)) {
    const at = text.indexOf(close);
    if (at === -1 || text.lastIndexOf(open, at) !== -1) continue;
    return { thinking: text.slice(0, at).trim(), answer: text.slice(at + close.length).trimStart() };
  }
  return { thinking: '', answer: text };
}

/**
 * The `think` of a task's requests: on by default for a model that says it thinks (Ollama's
 * `thinking` capability), as configured otherwise; never sent to a model that says it does not
 * (Ollama refuses the request), which the notice tells the user. A server that says nothing of
 * capabilities gets what the config says.
 */
export function taskThink(setting: ThinkSetting | undefined, capabilities: readonly string[], model: string): { think: ThinkSetting | undefined; notice?: string } {
  if (capabilities.includes('thinking')) return { think: setting ?? true };
  if (capabilities.length === 0) return { think: setting };
  if (setting === undefined || setting === false) return { think: undefined };
  return { think: undefined, notice: `${model} does not think (it lacks the thinking capability): "think" in your config is not sent.` };
}
