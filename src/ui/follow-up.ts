import { input } from '@inquirer/prompts';
import type { InstructionQuestion } from '../agent/events.js';
import { createColors } from './color.js';
import type { PromptIO } from './key-prompt.js';
import { promptContext, promptTheme } from './key-prompt.js';

/**
 * The questions that take one line of instruction: after the model finished, after Ctrl-C
 * stopped it, and when it repeats the same call.
 */

export type FollowUpOptions = PromptIO;

export const FOLLOW_UP_MESSAGE = 'Follow-up instruction (empty = done):';
export const STEER_MESSAGE = 'What should the model do instead? (empty = leave, the task is kept):';

const messageOf = (question: InstructionQuestion): string => {
  switch (question.kind) {
    case 'follow_up':
      return FOLLOW_UP_MESSAGE;
    case 'steer':
      return STEER_MESSAGE;
    case 'repeat':
      return `The model called ${question.action} three times in a row. What should it do instead? (empty = stop):`;
  }
};

/**
 * One line from the person, trimmed; '' means stop here. Enter ends the line (no multi-line
 * input). Rejects when the prompt is cancelled (see `isPromptCancelled` in key-prompt.ts): Ctrl-C
 * is not the same as an empty answer.
 */
export async function askInstruction(question: InstructionQuestion, options: FollowUpOptions = {}): Promise<string> {
  const context = promptContext(options);
  const colors = createColors(context.output);
  const answer = await input({ message: messageOf(question), theme: promptTheme(colors) }, context);
  return answer.trim();
}
