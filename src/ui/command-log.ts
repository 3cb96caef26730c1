import type { AgentEvent } from '../agent/events.js';

/**
 * The last command that ran in the task and its whole result as the model read it (the exit code,
 * then the output up to run.outputLimit), for the `o` key of the questions that follow: the view
 * keeps only a command's last lines on screen.
 */
export interface CommandOutput {
  /** `run_command npm test`, as the task view named it. */
  action: string;
  content: string;
  lines: number;
}

export interface CommandLog {
  /** Fed every event of the task. */
  see(event: AgentEvent): void;
  last(): CommandOutput | undefined;
}

export function createCommandLog(): CommandLog {
  let called: string | undefined;
  let running: string | undefined;
  let last: CommandOutput | undefined;
  return {
    see(event) {
      if (event.type === 'tool_call') called = event.tool === 'run_command' ? event.action : undefined;
      else if (event.type === 'command_start') running = called;
      // A refused command has a result but never started: nothing to show.
      else if (event.type === 'tool_result' && event.tool === 'run_command' && running !== undefined) {
        const content = event.content.endsWith('\n') ? event.content : `${event.content}\n`;
        last = { action: running, content, lines: content.split('\n').length - 1 };
        running = undefined;
      }
    },
    last: () => last,
  };
}
