/**
 * Colour for the terminal, decided once per stream. No dependency: a handful of SGR codes, each
 * closed with its own reset so that colours nest (bold inside red stays red after the bold ends).
 */

export type Style = (text: string) => string;

export interface Colors {
  /** Whether the styles below add escape codes at all. */
  readonly enabled: boolean;
  readonly bold: Style;
  readonly dim: Style;
  readonly red: Style;
  readonly green: Style;
  readonly yellow: Style;
  readonly blue: Style;
  readonly cyan: Style;
  readonly boldRed: Style;
  readonly boldBlue: Style;
}

/** What the decision looks at: a stream's `isTTY` (process.stdout, a tty.WriteStream, a fake). */
export type ColorTarget = NodeJS.WritableStream | { readonly isTTY?: boolean };

const sgr =
  (open: number, close: number): Style =>
  (text) =>
    text === '' ? '' : `\x1b[${open}m${text}\x1b[${close}m`;

const plain: Style = (text) => text;

const isSet = (value: string | undefined): boolean => value !== undefined && value !== '';

/**
 * Whether to colour output written to `stream`. `FORCE_COLOR` wins when set: "0" or "false" turns
 * colour off, anything else on (as chalk's supports-color reads it); then a non-empty `NO_COLOR`
 * turns it off (no-color.org); otherwise colour exactly when the stream is a terminal.
 */
export function shouldColor(stream: ColorTarget, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (isSet(force)) return force !== '0' && force !== 'false';
  if (isSet(env.NO_COLOR)) return false;
  return 'isTTY' in stream && stream.isTTY === true;
}

/** The styles for one stream; every style is the identity when colour is off. */
export function createColors(stream: ColorTarget, env: NodeJS.ProcessEnv = process.env): Colors {
  return colors(shouldColor(stream, env));
}

/** The styles with colour forced on or off, whatever the environment: for tests and `--color`. */
export function colors(enabled: boolean): Colors {
  const pick = (open: number, close: number): Style => (enabled ? sgr(open, close) : plain);
  const bold = pick(1, 22);
  const red = pick(31, 39);
  const blue = pick(34, 39);
  return {
    enabled,
    bold,
    dim: pick(2, 22),
    red,
    green: pick(32, 39),
    yellow: pick(33, 39),
    blue,
    cyan: pick(36, 39),
    boldRed: (text) => bold(red(text)),
    boldBlue: (text) => bold(blue(text)),
  };
}
