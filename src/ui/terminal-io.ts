import type { TaskIO } from '../agent/events.js';

export { isPromptCancelled } from './key-prompt-cancel.js';

/**
 * The person at the terminal as the loop sees them. The prompt modules (and @inquirer) are loaded
 * at the first question, not at start-up: a task reaches the model first. `actionShown`: the task
 * view on the same terminal names each action before it is asked about.
 */
export function createTerminalIO(output: NodeJS.WritableStream, actionShown = false): TaskIO {
  return {
    approveAction: async (request) => (await import('./action-prompt.js')).askAction(request, { output, actionShown }),
    reviewHunks: async (changes, notes) => (await import('./hunk-prompt.js')).reviewHunks(changes, { output, notes }),
    askInstruction: async (question) => (await import('./follow-up.js')).askInstruction(question, { output }),
    trustRepoConfig: async (untrusted) => (await import('./trust-prompt.js')).askTrust(untrusted, { output }),
  };
}
