import type { TaskIO } from '../agent/events.js';
import type { CommandLog } from './command-log.js';
import type { CommandOutputKey } from './key-prompt.js';

export { isPromptCancelled } from './key-prompt-cancel.js';

/**
 * The person at the terminal as the loop sees them. The prompt modules (and @inquirer) are loaded
 * at the first question, not at start-up: a task reaches the model first. `actionShown`: the task
 * view on the same terminal names each action before it is asked about. `log`: the last command's
 * whole output, which the action and hunk questions show with `o`.
 */
export function createTerminalIO(output: NodeJS.WriteStream, actionShown = false, log?: CommandLog): TaskIO {
  const commandOutput = (): CommandOutputKey | undefined => {
    const last = log?.last();
    if (!last) return undefined;
    const show = async (): Promise<void> => (await import('./pager.js')).page(`${last.action}\n${last.content}`, process.cwd(), output);
    return { action: last.action, lines: last.lines, show };
  };
  return {
    approveAction: async (request) => (await import('./action-prompt.js')).askAction(request, { output, actionShown, commandOutput: commandOutput() }),
    reviewHunks: async (changes, notes, context) =>
      (await import('./hunk-prompt.js')).reviewHunks(changes, { output, notes, context, commandOutput: commandOutput() }),
    askInstruction: async (question) => (await import('./follow-up.js')).askInstruction(question, { output }),
    trustRepoConfig: async (untrusted) => (await import('./trust-prompt.js')).askTrust(untrusted, { output }),
  };
}
