import { input } from '@inquirer/prompts';
import { createColors } from './color.js';
import type { PromptIO } from './key-prompt.js';
import { promptContext, promptTheme } from './key-prompt.js';

/**
 * The question after the model has finished: one more instruction for the same task, or nothing.
 */

export type FollowUpOptions = PromptIO;

export const FOLLOW_UP_MESSAGE = 'Follow-up instruction (empty = done):';

/**
 * One line from the person, trimmed; '' means they are done. Enter ends the line (no multi-line
 * input). Rejects when the prompt is cancelled (see `isPromptCancelled` in key-prompt.ts): Ctrl-C
 * is not the same as "done".
 */
export async function askFollowUp(options: FollowUpOptions = {}): Promise<string> {
  const context = promptContext(options);
  const colors = createColors(context.output);
  const answer = await input({ message: FOLLOW_UP_MESSAGE, theme: promptTheme(colors) }, context);
  return answer.trim();
}
