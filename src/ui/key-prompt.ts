import type { KeypressEvent } from '@inquirer/core';
import { createPrompt, isDownKey, isEnterKey, isUpKey, useKeypress, useState } from '@inquirer/core';
import type { Colors } from './color.js';
import { visible } from './render-hunk.js';

export { isPromptCancelled } from './key-prompt-cancel.js';

/**
 * The two prompts the approval views are built from, on `@inquirer/core`: a single-keypress
 * question (git's interactive.singleKey: no Enter) and a select whose choices also answer to a
 * shortcut key. Both end with the answer on the prompt line and leave stdin paused and the
 * terminal out of raw mode, so a child process (the editor) can have the terminal afterwards.
 */

/** Where a prompt reads and writes; the defaults are process.stdin and process.stderr. */
export interface PromptIO {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/**
 * The `o` key of the action and hunk questions: the last command that ran and a way to show its
 * whole output as the model read it (the view keeps only its last lines on screen).
 */
export interface CommandOutputKey {
  action: string;
  lines: number;
  show(): Promise<void>;
}

/** How the `o` key is labelled: `o) Show the whole output of run_command npm test (230 lines)`. */
export const commandOutputLabel = (output: CommandOutputKey): string =>
  `Show the whole output of ${visible(output.action)} (${output.lines} line${output.lines === 1 ? '' : 's'})`;

/** The inquirer context for `io`: prompts talk on stderr unless told otherwise. */
export const promptContext = (io: PromptIO) => ({
  input: io.input ?? process.stdin,
  output: io.output ?? process.stderr,
  ...(io.signal ? { signal: io.signal } : {}),
});

/** The character a key typed ("?" has no name in readline's keypress events, only a sequence). */
const keyText = (key: KeypressEvent): string =>
  (key as KeypressEvent & { sequence?: string }).sequence ?? key.name;

interface KeyConfig {
  /** The whole prompt line, e.g. "(1/2) Stage this hunk [y,n,?]? ". */
  message: string;
  keys: readonly string[];
  colors: Colors;
  /** The message for a key not in `keys`; without it such keys are ignored. */
  unknown?: (key: string) => string;
}

/** Resolves with the first key pressed that is one of `keys`; the key is echoed after the prompt. */
export const keyPrompt = createPrompt<string, KeyConfig>((config, done) => {
  const [answer, setAnswer] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useKeypress((key, rl) => {
    rl.clearLine(0);
    if (key.ctrl || answer !== undefined) return;
    const typed = keyText(key);
    if (config.keys.includes(typed)) {
      setAnswer(typed);
      done(typed);
    } else if (config.unknown && !isEnterKey(key)) {
      setError(config.unknown(visible(typed)));
    }
  });
  const line = config.colors.boldBlue(config.message) + (answer ?? '');
  if (answer !== undefined || error === undefined) return line;
  return [line, config.colors.boldRed(error)];
});

export interface Choice<Value> {
  /** One character that picks this choice at once. */
  key: string;
  label: string;
  value: Value;
}

interface ChoiceConfig {
  message: string;
  choices: readonly Omit<Choice<unknown>, 'value'>[];
  colors: Colors;
}

const choiceIndexPrompt = createPrompt<number, ChoiceConfig>((config, done) => {
  const { colors, choices } = config;
  const [active, setActive] = useState(0);
  const [chosen, setChosen] = useState<number | undefined>(undefined);
  const choose = (index: number): void => {
    setChosen(index);
    done(index);
  };
  useKeypress((key, rl) => {
    rl.clearLine(0);
    if (key.ctrl || chosen !== undefined) return;
    if (isEnterKey(key)) choose(active);
    else if (isUpKey(key)) setActive((active + choices.length - 1) % choices.length);
    else if (isDownKey(key)) setActive((active + 1) % choices.length);
    else {
      const index = choices.findIndex((choice) => choice.key === keyText(key));
      if (index >= 0) choose(index);
    }
  });
  const question = `${colors.blue('?')} ${colors.bold(config.message)}`;
  if (chosen !== undefined) return `${question} ${colors.cyan(choices[chosen]?.label ?? '')}`;
  const lines = choices.map((choice, index) => {
    const text = `${choice.key}) ${choice.label}`;
    return index === active ? colors.cyan(`❯ ${text}`) : `  ${text}`;
  });
  const help = colors.dim('↑↓ move • ⏎ select • or press the letter');
  return [question, [...lines, help].join('\n')];
});

/** A select: arrows and Enter, or a choice's key alone. Resolves with the chosen value. */
export async function askChoice<Value>(
  config: { message: string; choices: readonly Choice<Value>[]; colors: Colors },
  io: PromptIO,
): Promise<Value> {
  const choices = config.choices.map(({ key, label }) => ({ key, label }));
  const index = await choiceIndexPrompt(
    { message: config.message, choices, colors: config.colors },
    promptContext(io),
  );
  const choice = config.choices[index];
  if (!choice) throw new Error(`choice ${index} out of range`);
  return choice.value;
}

/** The inquirer theme matching `colors`, for prompts from `@inquirer/prompts`. */
export const promptTheme = (colors: Colors) => ({
  prefix: { idle: colors.blue('?'), done: colors.green('✔') },
  style: {
    answer: colors.cyan,
    message: (text: string) => colors.bold(text),
    error: (text: string) => colors.red(`> ${text}`),
    defaultAnswer: (text: string) => colors.dim(`(${text})`),
    help: colors.dim,
    highlight: colors.cyan,
    key: (text: string) => colors.cyan(colors.bold(`<${text}>`)),
  },
});
