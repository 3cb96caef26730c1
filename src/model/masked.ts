import {
  type ChatMessage,
  type ChatRequest,
  ModelError,
  type ModelEvent,
  type ModelProvider,
  type ParameterSchema,
  type ToolCall,
  type ToolDefinition,
} from './types.js';
import { messageOf } from '../errors.js';

/**
 * A remote provider seen through a mask: every string of every request — the system prompt, the
 * messages, the arguments of the model's earlier tool calls, the tool definitions — passes
 * through `mask` before the provider sees it. createProvider wraps every remote provider this way,
 * so no caller can forget it. What the model answers is not touched.
 *
 * The mask is loaded once, at the first chat, and kept: a deterministic mask makes each request a
 * pure extension of the previous one, as the prompt cache wants. Masked messages are remembered
 * per message object (while its content and calls stay the same), so a long conversation is not
 * masked again on every turn.
 */

export type TextMask = (text: string) => string;

export function maskedProvider(provider: ModelProvider, load: () => Promise<TextMask>): ModelProvider {
  let loading: Promise<TextMask> | undefined;
  const seen = new WeakMap<ChatMessage, { content: string; calls: ToolCall[] | undefined; masked: ChatMessage }>();

  const maskMessage = (mask: TextMask, message: ChatMessage): ChatMessage => {
    const calls = message.role === 'assistant' ? message.toolCalls : undefined;
    const known = seen.get(message);
    if (known && known.content === message.content && known.calls === calls) return known.masked;
    let masked: ChatMessage = { ...message, content: mask(message.content) };
    if (masked.role === 'assistant') {
      // The model's earlier thinking goes back to it too (Ollama's `thinking` field): masked like the rest.
      if (masked.thinking) masked = { ...masked, thinking: mask(masked.thinking) };
      if (calls) masked = { ...masked, toolCalls: calls.map((call) => ({ ...call, arguments: maskRecord(mask, call.arguments) })) };
    }
    seen.set(message, { content: message.content, calls, masked });
    return masked;
  };

  return {
    ...provider,
    async *chat(request: ChatRequest): AsyncGenerator<ModelEvent> {
      let mask: TextMask;
      try {
        loading ??= load();
        mask = await loading;
      } catch (error) {
        // Nothing unmasked is ever sent: without its mask the request is not made.
        loading = undefined;
        const reason = messageOf(error);
        yield { type: 'error', error: new ModelError('server', `hunkwise could not load its secret masking (${reason}); nothing was sent`, undefined, error) };
        return;
      }
      yield* provider.chat({
        ...request,
        messages: request.messages.map((message) => maskMessage(mask, message)),
        tools: request.tools.map((tool) => maskTool(mask, tool)),
      });
    },
  };
}

function maskTool(mask: TextMask, tool: ToolDefinition): ToolDefinition {
  const properties: ParameterSchema['properties'] = {};
  for (const [name, property] of Object.entries(tool.parameters.properties)) {
    properties[name] = property.description === undefined ? property : { ...property, description: mask(property.description) };
  }
  return { ...tool, description: mask(tool.description), parameters: { ...tool.parameters, properties } };
}

/** Every string of a tool call's arguments masked, at any depth; keys and other values kept. */
function maskRecord(mask: TextMask, record: Record<string, unknown>): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) masked[key] = maskValue(mask, value);
  return masked;
}

function maskValue(mask: TextMask, value: unknown): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((item) => maskValue(mask, item));
  if (value !== null && typeof value === 'object') return maskRecord(mask, value as Record<string, unknown>);
  return value;
}
