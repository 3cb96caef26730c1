import type { AgentEvent } from '../agent/events.js';
import type { Colors } from './color.js';

/**
 * The terminal view of a running task: a subscriber to the loop's events. The model's text
 * streams as it comes; tool calls, approvals and commits get one line each.
 */

export interface Writer {
  write(text: string): unknown;
}

const firstLine = (text: string, max = 160): string => {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

export function createTaskView(out: Writer, c: Colors): (event: AgentEvent) => void {
  let midLine = false;
  const line = (text: string): void => {
    out.write(`${midLine ? '\n' : ''}${text}\n`);
    midLine = false;
  };
  return (event) => {
    switch (event.type) {
      case 'task_start':
        line(
          `${c.bold(`hunkwise ${event.resumed ? 'resumes' : 'task'} ${event.task}`)} · ${event.model} ${c.dim(`(${event.locality}, num_ctx ${event.numCtx})`)}\n` +
            `${c.dim('branch')}   ${event.branch}\n${c.dim('worktree')} ${event.worktree}`,
        );
        return;
      case 'turn_start':
        line(c.dim(`… turn ${event.turn}: waiting for the model`));
        return;
      case 'text_delta':
        out.write(event.text);
        midLine = !event.text.endsWith('\n');
        return;
      case 'turn_end': {
        const { evalTokens, evalMs, promptTokens } = event.stats;
        const rate = evalMs > 0 ? ` · ${((evalTokens / evalMs) * 1000).toFixed(1)} tok/s` : '';
        line(c.dim(`  ${promptTokens} prompt tokens · ${evalTokens} tokens${rate}`));
        return;
      }
      case 'tool_call':
        line(`${c.cyan('→')} ${c.bold(event.action)}`);
        return;
      case 'tool_result':
        if (event.isError) line(`  ${c.red('✗')} ${firstLine(event.content)}`);
        else if (event.tool === 'finish') line(`${c.green('✓ finished:')} ${event.details ?? ''}`);
        else line(c.dim(`  ${firstLine(event.content)}`));
        return;
      case 'approval':
        if (event.how === 'rule') return;
        if (!event.allowed) {
          const why = event.reason ? `: ${event.reason}` : '';
          line(`  ${c.yellow('refused')} ${event.request.tool} ${event.request.subject}${why}`);
        } else if (event.pattern) {
          line(c.dim(`  allowed for this task: ${event.request.class} ${event.pattern}`));
        }
        return;
      case 'step_committed':
        line(
          `${c.green(`✓ step ${event.step}`)} ${event.commit.slice(0, 8)} ${event.action} ${c.dim(`(${event.approved} approved, ${event.refused} refused)`)}`,
        );
        return;
      case 'notice':
        line(c.yellow(event.message));
        return;
      case 'error':
        line(`${c.red('error:')} ${event.message}${event.hint ? `\n${event.hint}` : ''}`);
        return;
      case 'done':
        return;
    }
  };
}

/** `--json`: one JSON object per event and line. Text deltas are passed through as they come. */
export function createJsonView(out: Writer): (event: AgentEvent) => void {
  return (event) => {
    out.write(`${JSON.stringify(event)}\n`);
  };
}
