import type { Offer } from '../agent/approval-policy.js';
import type { ActionAnswer, ActionQuestion } from '../agent/events.js';
import { input } from '@inquirer/prompts';
import { createColors } from './color.js';
import type { Choice, CommandOutputKey, PromptIO } from './key-prompt.js';
import { askChoice, commandOutputLabel, promptContext, promptTheme } from './key-prompt.js';
import { visible } from './render-hunk.js';

/**
 * Asking the person about one read or run of the model: allow once, allow for the rest of the task
 * (the patterns the approval policy offers, shown before one is chosen), refuse, refuse with a
 * reason; for a sandboxed run the policy leaves open, also running with network.
 */

/** The question, as the agent's approval gate asks it (one definition, in agent/events.ts). */
export type { ActionAnswer, ActionQuestion } from '../agent/events.js';

export interface ActionPromptOptions extends PromptIO {
  /** The task view printed the action just before (`→ run_command npm test`): not said again. */
  actionShown?: boolean;
  /** A command ran before this question: `o` shows its whole output, then asks again. */
  commandOutput?: CommandOutputKey;
}

type Pick =
  | { kind: 'once'; network: boolean }
  | { kind: 'task'; pattern: string; network: boolean }
  | { kind: 'refuse' }
  | { kind: 'reason' }
  | { kind: 'output' };

const OFFER_LABELS: Record<Offer['scope'], (pattern: string) => string> = {
  exact: (pattern) => `Allow this exact command for this task: ${pattern}`,
  prefix: (pattern) => `Allow for this task every command matching: ${pattern}`,
  folder: (pattern) => `Allow reading this folder for this task: ${pattern}`,
};

/**
 * The choices for a question, in order; pattern choices name the pattern they allow; with a
 * command's output to show, `o` last.
 */
export function actionChoices(question: ActionQuestion, commandOutput?: CommandOutputKey): Choice<Pick>[] {
  const run = question.class === 'run';
  const choices: Choice<Pick>[] = [{ key: 'y', label: question.network ? 'Run once, without network' : 'Allow once', value: { kind: 'once', network: false } }];
  for (const offer of question.offers) {
    const label = !run && offer.scope === 'exact' ? `Allow this read for the rest of the task: ${visible(offer.pattern)}` : OFFER_LABELS[offer.scope](visible(offer.pattern));
    choices.push({ key: offer.scope === 'exact' ? 't' : offer.scope === 'prefix' ? 'p' : 'f', label, value: { kind: 'task', pattern: offer.pattern, network: false } });
  }
  if (question.network) {
    choices.push(
      { key: 'w', label: 'Run once, with network', value: { kind: 'once', network: true } },
      { key: 'W', label: `Allow this exact command with network for this task: ${visible(question.subject)}`, value: { kind: 'task', pattern: question.subject, network: true } },
    );
  }
  choices.push(
    { key: 'n', label: 'Refuse', value: { kind: 'refuse' } },
    { key: 'r', label: 'Refuse with a reason', value: { kind: 'reason' } },
  );
  if (commandOutput) choices.push({ key: 'o', label: commandOutputLabel(commandOutput), value: { kind: 'output' } });
  return choices;
}

/**
 * Shows the action (`run_command npm test -- --run`) and asks. Returns the answer, with the
 * pattern for "allow for this task" so the caller can remember it and show it. Rejects when the
 * prompt is cancelled (see `isPromptCancelled`).
 */
export async function askAction(request: ActionQuestion, options: ActionPromptOptions = {}): Promise<ActionAnswer> {
  const output = options.output ?? process.stderr;
  const io = { ...options, output };
  const colors = createColors(output);
  if (!options.actionShown) output.write(`${colors.bold(visible(request.tool))} ${visible(request.subject)}\n`);
  if (request.warning) output.write(`${colors.boldRed(`Careful: ${visible(request.warning)}.`)}\n`);
  const message = request.class === 'run' ? 'Run this command?' : 'Allow this read?';
  const choices = actionChoices(request, options.commandOutput);
  let pick = await askChoice({ message, choices, colors }, io);
  while (pick.kind === 'output') {
    await options.commandOutput?.show();
    pick = await askChoice({ message, choices, colors }, io);
  }
  if (pick.kind === 'once') return pick.network ? { kind: 'once', network: true } : { kind: 'once' };
  if (pick.kind === 'task') return pick.network ? { kind: 'task', pattern: pick.pattern, network: true } : { kind: 'task', pattern: pick.pattern };
  if (pick.kind !== 'reason') return pick;
  const reason = await input(
    { message: 'Reason for refusing (sent to the model):', theme: promptTheme(colors) },
    promptContext(io),
  );
  const trimmed = reason.trim();
  return trimmed ? { kind: 'refuse', reason: trimmed } : { kind: 'refuse' };
}
