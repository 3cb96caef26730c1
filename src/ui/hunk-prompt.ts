import { input } from '@inquirer/prompts';
import type { HunkDecision } from '../agent/events.js';
import type { FileChange, Hunk } from '../git/hunk.js';
import { formatHunkHeader } from '../git/hunk-blocks.js';
import { splitHunk } from '../git/hunks.js';
import type { Colors } from './color.js';
import { createColors } from './color.js';
import { editHunk } from './hunk-editor.js';
import type { CommandOutputKey, PromptIO } from './key-prompt.js';
import { keyPrompt, promptContext, promptTheme } from './key-prompt.js';
import { renderHunk } from './render-hunk.js';

export { isPromptCancelled } from './key-prompt.js';

/**
 * Hunk approval at the terminal, one hunk at a time, with the keys of `git add -p`
 * (interactive.singleKey) plus `r`, refuse with a reason for the model.
 */

/**
 * One decision per final hunk: a split part or the edited version replaces the hunk it came from;
 * `reason` is what was typed after `r`. One definition, in agent/events.ts.
 */
export type { HunkDecision } from '../agent/events.js';

export interface ReviewOptions extends PromptIO {
  /** Remarks for a file (the diagnostics its change brings), shown under each hunk's file header. */
  notes?: (path: string) => string[];
  /** A hunk's function context for its `@@` line; by default git's rule on the file's old content. */
  context?: (path: string, hunk: Hunk) => string;
  /** A command ran before this proposal (it may be what made it): `o` shows its whole output. */
  commandOutput?: CommandOutputKey;
}

type Key = 'y' | 'n' | 'a' | 'd' | 'j' | 'J' | 'k' | 'K' | 'g' | '/' | 's' | 'e' | 'r' | 'o' | 'q' | '?';

/** git's help wording where git has the key; `r` and `o` are ours. */
const HELP: Record<Key, string> = {
  y: 'y - stage this hunk',
  n: 'n - do not stage this hunk',
  a: 'a - stage this hunk and all later hunks in the file',
  d: 'd - do not stage this hunk or any of the later hunks in the file',
  j: 'j - leave this hunk undecided, see next undecided hunk',
  J: 'J - leave this hunk undecided, see next hunk',
  k: 'k - leave this hunk undecided, see previous undecided hunk',
  K: 'K - leave this hunk undecided, see previous hunk',
  g: 'g - select a hunk to go to',
  '/': '/ - search for a hunk matching the given regex',
  s: 's - split the current hunk into smaller hunks',
  e: 'e - manually edit the current hunk',
  r: 'r - do not stage this hunk, and tell the model why',
  o: 'o - show the whole output of the last command',
  q: 'q - quit; do not stage this hunk or any of the remaining ones',
  '?': '? - print help',
};

const UNKNOWN = (key: string): string =>
  key === 's'
    ? 'Sorry, cannot split this hunk'
    : key === 'e'
      ? 'Sorry, cannot edit this hunk'
      : `Unknown command '${key}' (use '?' for help)`;

/** One hunk of the proposal, across its files, and what was decided of it (undefined: not yet). */
interface Item {
  change: FileChange;
  hunk: Hunk;
  decision?: { approved: boolean; reason?: string; hunk: Hunk; edited?: boolean };
}

/**
 * Asks about the hunks of every file, as `git add -p` does: in order, and with j/J/k/K to move
 * between them leaving one undecided, g to go to one by number, / to find one by a regex; the
 * counter says where a hunk is in its file and in the whole proposal. Returns one decision per
 * final hunk (a split part or an edit replaces the hunk it came from), in file and hunk order. Never
 * stages anything itself. Rejects when a prompt is cancelled (Ctrl-C or the signal; see
 * `isPromptCancelled`): then no decision is returned at all.
 */
export async function reviewHunks(
  changes: FileChange[],
  options: ReviewOptions = {},
): Promise<HunkDecision[]> {
  const output = options.output ?? process.stderr;
  const ui = { ...options, output, colors: createColors(output), write: (t: string) => output.write(t) };
  const ask = async (message: string, keys: Key[]): Promise<Key> =>
    (await keyPrompt({ message, keys, colors: ui.colors, unknown: UNKNOWN }, promptContext(ui))) as Key;
  const items: Item[] = changes.flatMap((change) => change.hunks.map((hunk) => ({ change, hunk })));
  const notes = new Map(changes.map((change) => [change.path, options.notes?.(change.path) ?? []]));
  const undecided = (i: number): boolean => items[i]?.decision === undefined;
  const find = (from: number, step: 1 | -1, test: (i: number) => boolean): number | undefined => {
    for (let i = from + step; i >= 0 && i < items.length; i += step) if (test(i)) return i;
    return undefined;
  };
  const decide = (i: number, approved: boolean, reason?: string, edited?: Hunk): void => {
    const item = items[i]!;
    item.decision = { approved, hunk: edited ?? item.hunk, ...(reason ? { reason } : {}), ...(edited ? { edited: true } : {}) };
  };
  let shownPath: string | undefined;
  let cursor: number | undefined = items.length > 0 ? 0 : undefined;
  while (cursor !== undefined) {
    const at: number = cursor;
    const { change, hunk } = items[at]!;
    // As git add -p: a file's header when its hunks begin, then only the hunks.
    const context = options.context?.(change.path, hunk);
    ui.write(renderHunk(change, hunk, { colors: ui.colors, notes: notes.get(change.path) ?? [], fileHeader: shownPath !== change.path, ...(context === undefined ? {} : { context }) }));
    shownPath = change.path;
    const inFile = items.filter((item) => item.change === change);
    const counter = `${inFile.indexOf(items[at]!) + 1}/${inFile.length}${changes.length > 1 ? `, ${at + 1}/${items.length} in all` : ''}`;
    const moves: Key[] = [];
    if (find(at, 1, undecided) !== undefined) moves.push('j');
    if (at + 1 < items.length) moves.push('J');
    if (find(at, -1, undecided) !== undefined) moves.push('k');
    if (at > 0) moves.push('K');
    if (items.length > 1) moves.push('g', '/');
    const keys = allowedKeys(change, hunk, moves, options.commandOutput !== undefined);
    const message = `(${counter}) ${stageWhat(change)} [${keys.join(',')}]? `;
    let key = await ask(message, keys);
    while (key === '?') {
      ui.write(keys.map((k) => `${ui.colors.boldRed(HELP[k])}\n`).join(''));
      key = await ask(message, keys);
    }
    let next: number | undefined;
    if (key === 'o') {
      // The pager may have scrolled the hunk away: it is shown again, its file header too.
      await options.commandOutput?.show();
      shownPath = undefined;
      continue;
    }
    if (key === 's') {
      const parts = splitHunk(hunk);
      items.splice(at, 1, ...parts.map((part) => ({ change, hunk: part })));
      ui.write(`${ui.colors.bold(`Split into ${parts.length} hunks.`)}\n`);
      continue;
    }
    if (key === 'e') {
      const others = inFile.filter((item) => item !== items[at]).map((item) => item.hunk);
      const edited = await editHunk({ path: change.path, hunk, oldContent: change.oldContent, others }, ui);
      if (!edited) continue;
      // Said, so the edit is not taken for lost: the edited hunk, not the proposed one, is staged.
      const changed = edited.lines.filter((line) => line.kind !== ' ').length;
      ui.write(`${ui.colors.bold(`Edited hunk staged (${changed} changed line${changed === 1 ? '' : 's'}).`)}\n`);
      // Saved as it was: the model's hunk, not an edit.
      const unchanged = edited.oldStart === hunk.oldStart && JSON.stringify(edited.lines) === JSON.stringify(hunk.lines);
      decide(at, true, undefined, unchanged ? undefined : edited);
    } else if (key === 'r') decide(at, false, await askReason(ui.colors, ui));
    else if (key === 'a' || key === 'd') {
      for (let i = at; i < items.length; i++) if (items[i]!.change === change && undecided(i)) decide(i, key === 'a');
    } else if (key === 'q') {
      for (let i = 0; i < items.length; i++) if (undecided(i)) decide(i, false);
    } else if (key === 'y' || key === 'n') decide(at, key === 'y');
    else if (key === 'j') next = find(at, 1, undecided);
    else if (key === 'J') next = at + 1;
    else if (key === 'k') next = find(at, -1, undecided);
    else if (key === 'K') next = at - 1;
    else if (key === 'g') next = await goTo(items, ui);
    else if (key === '/') next = await search(items, at, ui);
    // After a decision: the next undecided hunk after this one, else the first one left.
    cursor = next ?? find(at, 1, undecided) ?? find(-1, 1, undecided);
    if (next === undefined && ['g', '/'].includes(key)) cursor = at;
  }
  return items.map((item) => ({ path: item.change.path, ...item.decision! }));
}

/** `g`: the hunks listed by number (as git does), then the one typed; undefined when none was. */
async function goTo(items: Item[], ui: PromptIO & { colors: Colors; write: (t: string) => void }): Promise<number | undefined> {
  const listed = items.slice(0, 99).map((item, i) => {
    const mark = item.decision === undefined ? ' ' : item.decision.approved ? '+' : '-';
    const first = item.hunk.lines.find((line) => line.kind !== ' ')?.text.replace(/\r?\n$/, '') ?? '';
    return `${String(i + 1).padStart(3)}${mark} ${item.change.path} ${formatHunkHeader(item.hunk)} ${first.slice(0, 50)}`;
  });
  ui.write(`${listed.join('\n')}\n`);
  const answer = (await input({ message: 'go to which hunk?', theme: promptTheme(ui.colors) }, promptContext(ui))).trim();
  const number = Number(answer);
  if (answer === '') return undefined;
  if (!Number.isInteger(number) || number < 1 || number > items.length) {
    ui.write(`${ui.colors.boldRed(`Invalid number: '${answer}'`)}\n`);
    return undefined;
  }
  return number - 1;
}

/** `/`: the next hunk (after this one, then from the top) whose lines match the regex typed. */
async function search(items: Item[], at: number, ui: PromptIO & { colors: Colors; write: (t: string) => void }): Promise<number | undefined> {
  const typed = await input({ message: 'search for regex?', theme: promptTheme(ui.colors) }, promptContext(ui));
  let pattern: RegExp;
  try {
    pattern = new RegExp(typed);
  } catch (error) {
    ui.write(`${ui.colors.boldRed(`Malformed search regexp ${typed}: ${(error as Error).message}`)}\n`);
    return undefined;
  }
  const matches = (i: number): boolean => items[i]!.hunk.lines.some((line) => pattern.test(line.text));
  for (let step = 1; step <= items.length; step++) {
    const i = (at + step) % items.length;
    if (matches(i)) return i;
  }
  ui.write(`${ui.colors.boldRed('No hunk matches the given pattern')}\n`);
  return undefined;
}

/**
 * The keys offered for a hunk, in git's prompt order: the moves that lead somewhere (`moves`),
 * `s` only when it splits, `e` not for deletions; ours after git's: `r`, and `o` when a command's
 * output can be shown.
 */
export function allowedKeys(change: Pick<FileChange, 'kind'>, hunk: Hunk, moves: Key[] = [], output = false): Key[] {
  const keys: Key[] = ['y', 'n', 'a', 'd', ...moves];
  if (splitHunk(hunk).length > 1) keys.push('s');
  if (change.kind !== 'delete') keys.push('e');
  keys.push('r', ...(output ? (['o'] as const) : []), 'q', '?');
  return keys;
}

const stageWhat = (change: Pick<FileChange, 'kind'>): string =>
  change.kind === 'create' ? 'Stage addition' : change.kind === 'delete' ? 'Stage deletion' : 'Stage this hunk';

/** One line of reason; empty means "refused without a reason". */
async function askReason(colors: Colors, io: PromptIO): Promise<string | undefined> {
  const reason = await input(
    { message: 'Reason for refusing (sent to the model):', theme: promptTheme(colors) },
    promptContext(io),
  );
  return reason.trim() || undefined;
}
