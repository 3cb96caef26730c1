import { posix } from 'node:path';
import type { ActionAnswer } from '../agent/events.js';
import { input } from '@inquirer/prompts';
import { createColors } from './color.js';
import type { Choice, PromptIO } from './key-prompt.js';
import { askChoice, promptContext, promptTheme } from './key-prompt.js';
import { visible } from './render-hunk.js';

/**
 * Asking the person about one read or run of the model: allow once, allow for the rest of the task
 * (an exact subject or a wider pattern, shown before it is chosen), refuse, refuse with a reason.
 */

export interface ActionRequestView {
  class: 'read' | 'run';
  tool: string;
  /** The path read or the command line run, as the model gave it. */
  subject: string;
  warning?: string;
}

/** The answer, as the agent's approval gate takes it (one definition, in agent/events.ts). */
export type { ActionAnswer } from '../agent/events.js';

export type ActionPromptOptions = PromptIO;

/** Tools whose second word names what they do (`npm test`, `git status`), kept in a prefix pattern. */
const WITH_SUBCOMMAND = new Set([
  'npm', 'npx', 'pnpm', 'yarn', 'bun', 'deno', 'git', 'cargo', 'go', 'dotnet', 'docker', 'kubectl',
  'pip', 'uv', 'poetry', 'make', 'just', 'gradle', 'mvn', 'bundle', 'rake', 'mix', 'swift', 'composer',
]);

/**
 * The prefix pattern offered for a command: its first word, and its second when the first is a tool
 * with subcommands and the second a plain word: `npm test -- --run` → `npm test *`, `ls -la` → `ls *`.
 * A pattern ending in ` *` covers the prefix alone and anything after it (see agent/approvals.ts).
 */
export function commandPrefixPattern(command: string): string {
  const words = command.trim().split(/\s+/);
  const [first = '', second] = words;
  const keep = second !== undefined && WITH_SUBCOMMAND.has(first) && /^[A-Za-z][\w:.-]*$/.test(second);
  return `${keep ? `${first} ${second}` : first} *`;
}

/** The folder pattern offered for a read (`src/config.ts` → `src/**`); undefined at the top level. */
export function folderPattern(path: string): string | undefined {
  const folder = posix.dirname(path.replace(/\/+$/, ''));
  return folder === '.' || folder === '/' || folder === '' ? undefined : `${folder}/**`;
}

type Pick = { kind: 'once' } | { kind: 'task'; pattern: string } | { kind: 'refuse' } | { kind: 'reason' };

/** The choices for a request, in order; pattern choices name the pattern they allow. */
export function actionChoices(request: ActionRequestView): Choice<Pick>[] {
  const exact = request.subject;
  const choices: Choice<Pick>[] = [{ key: 'y', label: 'Allow once', value: { kind: 'once' } }];
  if (request.class === 'run') {
    choices.push({ key: 't', label: `Allow this exact command for this task: ${visible(exact)}`, value: { kind: 'task', pattern: exact } });
    const prefix = commandPrefixPattern(exact);
    if (prefix !== exact) {
      choices.push({ key: 'p', label: `Allow for this task every command matching: ${visible(prefix)}`, value: { kind: 'task', pattern: prefix } });
    }
  } else {
    choices.push({ key: 't', label: `Allow this read for the rest of the task: ${visible(exact)}`, value: { kind: 'task', pattern: exact } });
    const folder = folderPattern(exact);
    if (folder) {
      choices.push({ key: 'f', label: `Allow reading this folder for this task: ${visible(folder)}`, value: { kind: 'task', pattern: folder } });
    }
  }
  choices.push(
    { key: 'n', label: 'Refuse', value: { kind: 'refuse' } },
    { key: 'r', label: 'Refuse with a reason', value: { kind: 'reason' } },
  );
  return choices;
}

/**
 * Shows the action (`run_command npm test -- --run`) and asks. Returns the answer, with the
 * pattern for "allow for this task" so the caller can remember it and show it. Rejects when the
 * prompt is cancelled (see `isPromptCancelled`).
 */
export async function askAction(request: ActionRequestView, options: ActionPromptOptions = {}): Promise<ActionAnswer> {
  const output = options.output ?? process.stderr;
  const io = { ...options, output };
  const colors = createColors(output);
  output.write(`${colors.bold(visible(request.tool))} ${visible(request.subject)}\n`);
  if (request.warning) output.write(`${colors.boldRed(`Careful: ${visible(request.warning)}.`)}\n`);
  const message = request.class === 'run' ? 'Run this command?' : 'Allow this read?';
  const pick = await askChoice({ message, choices: actionChoices(request), colors }, io);
  if (pick.kind !== 'reason') return pick;
  const reason = await input(
    { message: 'Reason for refusing (sent to the model):', theme: promptTheme(colors) },
    promptContext(io),
  );
  const trimmed = reason.trim();
  return trimmed ? { kind: 'refuse', reason: trimmed } : { kind: 'refuse' };
}
