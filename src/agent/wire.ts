import type { ChatMessage, ToolDefinition } from '../model/types.js';
import { formatToolResult, textProtocolPrompt } from './text-tools.js';

/**
 * How the conversation is sent to a model that does not call tools natively: the tools are
 * described after the system prompt, results come back as user messages, and answers carry their
 * calls as text. The conversation itself is stored the same way in both modes; this rewrite is a
 * pure function of each message, so every request still extends the previous one.
 */
export function textProtocolRender(tools: ToolDefinition[]): (message: ChatMessage) => ChatMessage {
  const protocol = textProtocolPrompt(tools);
  return (message) => {
    switch (message.role) {
      case 'system':
        return { role: 'system', content: `${message.content}\n\n${protocol}` };
      case 'tool':
        return { role: 'user', content: formatToolResult(message.toolName, message.content) };
      case 'assistant': {
        const thinking = message.thinking ? { thinking: message.thinking } : {};
        if (message.textCalls || !message.toolCalls?.length) return { role: 'assistant', content: message.content, ...thinking };
        const calls = message.toolCalls.map((call) => `<tool_call>${JSON.stringify({ name: call.name, arguments: call.arguments })}</tool_call>`);
        return { role: 'assistant', content: [message.content, ...calls].filter(Boolean).join('\n'), ...thinking };
      }
      default:
        return message;
    }
  };
}
