import type { AgentEvent } from '../agent/events.js';
import type { Colors } from './color.js';
import { estimateTokens } from '../agent/token-estimate.js';
import { thousands } from './numbers.js';

/**
 * The terminal view of a running task: a subscriber to the loop's events. The model's text
 * streams as it comes; tool calls, approvals and commits get one line each.
 */

export interface Writer {
  write(text: string): unknown;
}

/**
 * What the model wrote, safe for the terminal: control characters other than newline and tab
 * (escape sequences that would retitle the window, clear the screen or move the cursor, a
 * carriage return that would overwrite the line) are shown as `^[`-style text.
 */
const printable = (text: string): string =>
  text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x20 ? `^${String.fromCharCode(code + 0x40)}` : `\\x${code.toString(16)}`;
  });

/** The first line of `text`, printable, at most `max` characters. */
const firstLine = (text: string, max = 160): string => {
  const line = printable(text.split('\n', 1)[0] ?? '');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** Lines of a list shown under a result that announces one (`4 files under src:`), before `… N more`. */
const LISTED = 3;

/**
 * A tool's result as the view shows it: its first line; when that line announces a list (it ends
 * with `:`), the list's first items too and how many more, so that "7 references to formatMoney:"
 * is not followed by nothing; after a step, the errors it leaves (its `Diagnostics:` lines, as the
 * model reads them). The model has the whole of it.
 */
export function resultSummary(content: string): string[] {
  const head = `  ${firstLine(content)}`;
  const rest = content.split('\n').slice(1).filter((text) => text.trim() !== '');
  // What a step leaves in the language server's eyes, in the words the model reads.
  const diagnostics = rest.filter((text) => text.startsWith('Diagnostics: ')).map((text) => `  ${firstLine(text, 300)}`);
  if (diagnostics.length > 0) return [head, ...diagnostics];
  if (!head.endsWith(':') || rest.length === 0) return [head];
  const more = rest.length - LISTED;
  return [head, ...rest.slice(0, LISTED).map((text) => `    ${firstLine(text)}`), ...(more > 0 ? [`    … ${more} more`] : [])];
}

export interface TaskViewOptions {
  /**
   * The output is a terminal: the line shown while waiting for the first token counts the seconds
   * and is erased when the answer starts, a running command's last lines are redrawn in place;
   * elsewhere each is printed once.
   */
  live?: boolean;
  columns?: number;
  /** The questions offer `o` for the last command's whole output: a command cut on screen says so. */
  outputKey?: boolean;
}

export function createTaskView(out: Writer, c: Colors, { live = false, columns = 80, outputKey = false }: TaskViewOptions = {}): (event: AgentEvent) => void {
  let midLine = false;
  let model = '';
  const waiting = createWaitingLine(out, c, live);
  const thinking = createThinkingLine(out, c, live, columns);
  const command = createCommandPanel(out, c, { live, columns, outputKey });
  const line = (text: string): void => {
    out.write(`${midLine ? '\n' : ''}${text}\n`);
    midLine = false;
  };
  // A refusal is said once, at the approval; the tool's result saying it again is not shown.
  let refused: string | undefined;
  return (event) => {
    if (event.type !== 'turn_start') waiting.stop();
    const justRefused = refused;
    if (event.type !== 'command_end') refused = event.type === 'approval' && !event.allowed && event.how !== 'rule' ? event.request.tool : undefined;
    if (event.type === 'tool_result' && event.isError && event.tool === justRefused) return;
    if (event.type === 'thinking_delta') {
      if (midLine) out.write('\n');
      midLine = false;
      thinking.add(event.text);
      return;
    }
    if (event.type !== 'thinking') thinking.fold();
    if (event.type === 'command_start' || event.type === 'command_output') {
      if (midLine) out.write('\n');
      midLine = false;
      if (event.type === 'command_start') command.start();
      else command.add(event.text);
      return;
    }
    command.end();
    if (event.type === 'command_end') return;
    switch (event.type) {
      case 'task_start':
        model = event.model;
        line(
          `${c.bold(`hunkwise ${event.resumed ? 'resumes' : 'task'} ${event.task}`)} · ${event.model} ${c.dim(`(${event.locality}, num_ctx ${event.numCtx})`)}\n` +
            `${c.dim('branch')}   ${event.branch}\n${c.dim('worktree')} ${event.worktree}`,
        );
        return;
      case 'turn_start':
        if (midLine) out.write('\n');
        midLine = false;
        waiting.start(waitingText(event, model));
        return;
      case 'text_delta':
        out.write(printable(event.text));
        midLine = !event.text.endsWith('\n');
        return;
      case 'turn_end': {
        const { evalTokens, evalMs, promptTokens } = event.stats;
        const rate = evalMs > 0 ? ` · ${((evalTokens / evalMs) * 1000).toFixed(1)} tok/s` : '';
        line(c.dim(`  ${promptTokens} prompt tokens · ${evalTokens} token${evalTokens === 1 ? '' : 's'}${rate}`));
        return;
      }
      case 'tool_call':
        line(`${c.cyan('→')} ${c.bold(firstLine(event.action, 300))}`);
        return;
      case 'tool_result':
        if (event.isError) line(`  ${c.red('✗')} ${firstLine(event.content)}`);
        else if (event.tool === 'finish') line(`${c.green('✓ finished:')} ${printable(event.details ?? '')}`);
        else line(c.dim(resultSummary(event.content).join('\n')));
        return;
      case 'approval':
        if (event.how === 'rule') return;
        if (!event.allowed) {
          const why = event.reason ? `: ${event.reason}` : '';
          line(`  ${c.yellow('refused')} ${event.request.tool} ${firstLine(event.request.subject, 300)}${printable(why)}`);
        } else if (event.pattern) {
          line(c.dim(`  allowed for this task: ${event.request.class} ${event.pattern}${event.network ? ', with network' : ''}`));
        }
        return;
      case 'step_committed':
        if (event.approved === 0) {
          const hunks = `${event.refused} hunk${event.refused === 1 ? '' : 's'}`;
          line(`${c.yellow(`· step ${event.step}`)} ${event.commit.slice(0, 8)} ${firstLine(event.action, 300)} ${c.dim(`(refused, ${hunks}: recorded, nothing changed)`)}`);
          return;
        }
        line(
          `${c.green(`✓ step ${event.step}`)} ${event.commit.slice(0, 8)} ${firstLine(event.action, 300)} ${c.dim(`(${event.approved} approved, ${event.refused} refused)`)}`,
        );
        return;
      case 'notice':
        line(c.yellow(printable(event.message)));
        return;
      case 'error':
        line(`${c.red('error:')} ${printable(event.message)}${event.hint ? `\n${printable(event.hint)}` : ''}`);
        return;
      case 'thinking':
        thinking.whole(event.text);
        return;
      case 'done':
        return;
    }
  };
}

/** Lines of a command's output kept on screen while it runs, and after it. */
const TAIL_LINES = 5;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A running command's output as it comes. On a terminal: its last lines (dimmed, each cut to the
 * width) under a spinner with the time it has run, redrawn in place; once it ends, the last lines
 * stay, under how many there were and the key that shows them all. Elsewhere every line is printed
 * as it comes. The model gets all of it (up to run.outputLimit); so does `--json`, as
 * `command_output` events.
 */
function createCommandPanel(
  out: Writer,
  c: Colors,
  { live, columns, outputKey }: Required<TaskViewOptions>,
): { start(): void; add(text: string): void; end(): void } {
  let running = false;
  let startedAt = 0;
  let lines: string[] = [''];
  /** Lines ended so far, including those no longer kept. */
  let ended = 0;
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const clip = (line: string): string => {
    const shown = printable(line.replace(/\r/g, ''));
    return shown.length > columns - 5 ? `${shown.slice(0, columns - 6)}…` : shown;
  };
  const tail = (): string[] => {
    const complete = lines.at(-1) === '' ? lines.slice(0, -1) : lines;
    return complete.slice(-TAIL_LINES).map((line) => `    ${clip(line)}`);
  };
  const erase = (): void => {
    if (drawn > 0) out.write(`\x1b[${drawn}A\r\x1b[J`);
    drawn = 0;
  };
  const draw = (): void => {
    erase();
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    const frame = SPINNER[Math.floor((Date.now() - startedAt) / 100) % SPINNER.length];
    const shown = [...tail().map((line) => c.dim(line)), c.dim(`  ${frame} running · ${seconds} s`)];
    out.write(`${shown.join('\n')}\n`);
    drawn = shown.length;
  };
  return {
    start() {
      running = true;
      startedAt = Date.now();
      lines = [''];
      ended = 0;
      if (!live) return;
      draw();
      timer = setInterval(draw, 100);
      timer.unref();
    },
    add(text) {
      if (!running) return;
      const parts = text.split('\n');
      ended += parts.length - 1;
      lines[lines.length - 1] += parts[0] ?? '';
      lines.push(...parts.slice(1));
      if (lines.length > 200) lines = lines.slice(-TAIL_LINES - 1);
      if (live) return;
      // Not a terminal: every complete line as it comes.
      while (lines.length > 1) out.write(`${c.dim(`    ${clip(lines.shift() ?? '')}`)}\n`);
    },
    end() {
      if (!running) return;
      running = false;
      if (timer) clearInterval(timer);
      timer = undefined;
      if (live) {
        erase();
        const kept = tail();
        const count = ended + (lines.at(-1) === '' ? 0 : 1);
        if (count > kept.length && outputKey) kept.push(`    (${count} lines in all: o at the next approval shows them)`);
        if (kept.length > 0) out.write(`${c.dim(kept.join('\n'))}\n`);
      } else if (lines[0] !== '') out.write(`${c.dim(`    ${clip(lines[0] ?? '')}`)}\n`);
      lines = [''];
    },
  };
}

/**
 * A turn's thinking, shown as what it is: on a terminal one dimmed line that follows the latest
 * thought with a token count, folded once the answer starts to `thought · N tokens: <its first
 * line>`; elsewhere only the folded line. The whole of it is in `--json` (the `thinking` event).
 */
function createThinkingLine(out: Writer, c: Colors, live: boolean, columns: number): { add(text: string): void; fold(): void; whole(text: string): void } {
  let text = '';
  let folded = true;
  const counted = (): string => {
    const tokens = estimateTokens(text);
    return `${thousands(tokens)} token${tokens === 1 ? '' : 's'}`;
  };
  const clip = (line: string): string => (line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line);
  return {
    add(delta) {
      if (folded) text = '';
      folded = false;
      text += delta;
      if (!live) return;
      const latest = printable(text.replace(/\s+/g, ' ').trim());
      const head = `thinking · ${counted()}: `;
      const room = Math.max(10, columns - head.length - 2);
      out.write(`\r\x1b[K${c.dim(clip(head + (latest.length > room ? `…${latest.slice(-room)}` : latest)))}`);
    },
    fold() {
      if (folded) return;
      folded = true;
      const first = firstLine(text.trim());
      out.write(`${live ? '\r\x1b[K' : ''}${c.dim(clip(`thought · ${counted()}${first ? `: ${first}` : ''}`))}\n`);
    },
    // The answer had no thinking of its own streamed (a closing tag found at the end): said once.
    whole(all) {
      if (!folded) return;
      text = all;
      folded = false;
      this.fold();
    },
  };
}


/** What the model is doing before its first token: loading, then reading the part of the prompt it has not seen. */
function waitingText(event: Extract<AgentEvent, { type: 'turn_start' }>, model: string): string {
  const reading =
    event.newTokens < event.promptTokens
      ? `reading ${thousands(event.newTokens)} new tokens of prompt (${thousands(event.promptTokens)} in all)`
      : `reading ${thousands(event.promptTokens)} tokens of prompt`;
  return `… turn ${event.turn}: ${model} is ${event.loading ? `loading, then ${reading}` : reading}`;
}

/** The waiting line: on a terminal it counts seconds in place and is erased by the answer. */
function createWaitingLine(out: Writer, c: Colors, live: boolean): { start(text: string): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let shown = false;
  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (shown) out.write('\r\x1b[K');
    shown = false;
  };
  return {
    start(text) {
      stop();
      if (!live) {
        out.write(`${c.dim(text)}\n`);
        return;
      }
      const startedAt = Date.now();
      const draw = (): void => {
        const seconds = Math.floor((Date.now() - startedAt) / 1000);
        out.write(`\r\x1b[K${c.dim(seconds > 0 ? `${text} · ${seconds}s` : text)}`);
      };
      shown = true;
      draw();
      timer = setInterval(draw, 1000);
      timer.unref();
    },
    stop,
  };
}

/** `--json`: one JSON object per event and line. Text deltas are passed through as they come; thinking comes whole. */
export function createJsonView(out: Writer): (event: AgentEvent) => void {
  return (event) => {
    // Thinking comes whole, as one `thinking` event a turn.
    if (event.type !== 'thinking_delta') out.write(`${JSON.stringify(event)}\n`);
  };
}
