import type { ChatMessage } from '../model/types.js';

/** Tool results longer than this are cut in the git note (the conversation file keeps them whole). */
const NOTE_RESULT_LIMIT = 8000;

const cut = (text: string, limit: number): string =>
  text.length > limit ? `${text.slice(0, limit)}\n[... ${text.length - limit} more characters not kept here]` : text;

/**
 * The messages that led to a step, as readable text for its git note (`git log --notes=hunkwise`).
 * Not masked here: proposeStep masks the whole note, this text and the step's outcome together.
 */
export function formatTranscript(messages: ChatMessage[]): string {
  return messages
    .filter((message) => message.role !== 'system')
    .map((message) => {
      switch (message.role) {
        case 'user':
          return `[user]\n${message.content}`;
        case 'assistant': {
          const calls = (message.toolCalls ?? []).map((call) => `→ ${call.name} ${JSON.stringify(call.arguments)}`);
          return `[assistant]\n${[message.content.trim(), ...calls].filter(Boolean).join('\n')}`;
        }
        default:
          return `[tool ${message.toolName}]\n${cut(message.content, NOTE_RESULT_LIMIT)}`;
      }
    })
    .join('\n\n');
}
