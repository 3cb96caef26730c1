/**
 * Bytes to text and text to lines, exactly: a file is edited only when its text encodes back to the
 * very same bytes, and a line keeps its terminator ("\r\n", "\n", or none at the end of the file).
 * Pure functions.
 */

/** How far git looks for a NUL byte when it decides whether a file is binary. */
const BINARY_PROBE_BYTES = 8000;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Git's heuristic: a file is binary when it has a NUL byte within its first 8000 bytes. */
export function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_PROBE_BYTES).includes(0);
}

/**
 * The bytes as text when they are UTF-8 that encodes back to exactly the same bytes (a byte order
 * mark is kept as U+FEFF); null otherwise — a file we cannot edit byte for byte.
 */
export function decodeText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return null;
  }
  const back = encoder.encode(text);
  if (back.length !== bytes.length) return null;
  for (let i = 0; i < back.length; i++) {
    if (back[i] !== bytes[i]) return null;
  }
  return text;
}

/** The line ending most lines of the text use; '\n' on a tie or when the text has no line ending. */
export function dominantEol(text: string): '\n' | '\r\n' {
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text[i - 1] === '\r') crlf++;
    else lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/**
 * The lines of a text, each with its terminator: a line ends after each "\n" (so "\r\n" stays
 * whole and a lone "\r" is not a line end, as in git); the last line has none when the text does
 * not end with "\n". Joining the lines gives the text back; '' has no lines.
 */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** A line without its "\n" or "\r\n" terminator. */
export function lineBody(line: string): string {
  if (line.endsWith('\r\n')) return line.slice(0, -2);
  return line.endsWith('\n') ? line.slice(0, -1) : line;
}
