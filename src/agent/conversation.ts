import { join } from 'node:path';
import { appendJsonLine, readJsonLines, repairJsonLines, taskDir } from '../git/task-store.js';
import type { ChatMessage, ToolCall } from '../model/types.js';

/**
 * The conversation of a task, kept as JSON lines in the task's state so that a task killed at any
 * moment resumes with it. Messages are only ever appended, so every request extends the last.
 */
export class Conversation {
  readonly messages: ChatMessage[];
  private readonly file: string | undefined;

  private constructor(messages: ChatMessage[], file: string | undefined) {
    this.messages = messages;
    this.file = file;
  }

  /** A conversation kept in memory only (tests, benchmarks). */
  static inMemory(messages: ChatMessage[] = []): Conversation {
    return new Conversation([...messages], undefined);
  }

  static open(commonDir: string, taskId: string): Conversation {
    const file = join(taskDir(commonDir, taskId), 'conversation.jsonl');
    repairJsonLines(file);
    return new Conversation(readJsonLines<ChatMessage>(file), file);
  }

  append(message: ChatMessage): void {
    if (this.file) appendJsonLine(this.file, message);
    this.messages.push(message);
  }

  /**
   * The tool calls of the last assistant message that have no result yet: what a killed task was
   * doing. Results are appended in the order of the calls.
   */
  pendingCalls(): { calls: ToolCall[]; explanation: string } {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const message = this.messages[i];
      if (message?.role !== 'assistant') continue;
      const answered = this.messages.length - 1 - i;
      return { calls: (message.toolCalls ?? []).slice(answered), explanation: message.content };
    }
    return { calls: [], explanation: '' };
  }
}
