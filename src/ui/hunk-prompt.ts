import { input } from '@inquirer/prompts';
import type { HunkDecision } from '../agent/events.js';
import type { FileChange, Hunk } from '../git/hunks.js';
import { splitHunk } from '../git/hunks.js';
import type { Colors } from './color.js';
import { createColors } from './color.js';
import { editHunk } from './hunk-editor.js';
import type { PromptIO } from './key-prompt.js';
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
}

type Key = 'y' | 'n' | 'a' | 'd' | 's' | 'e' | 'r' | 'q' | '?';

/** git's help wording where git has the key; `r` is ours. */
const HELP: Record<Key, string> = {
  y: 'y - stage this hunk',
  n: 'n - do not stage this hunk',
  a: 'a - stage this hunk and all later hunks in the file',
  d: 'd - do not stage this hunk or any of the later hunks in the file',
  s: 's - split the current hunk into smaller hunks',
  e: 'e - manually edit the current hunk',
  r: 'r - do not stage this hunk, and tell the model why',
  q: 'q - quit; do not stage this hunk or any of the remaining ones',
  '?': '? - print help',
};

const UNKNOWN = (key: string): string =>
  key === 's'
    ? 'Sorry, cannot split this hunk'
    : key === 'e'
      ? 'Sorry, cannot edit this hunk'
      : `Unknown command '${key}' (use '?' for help)`;

/**
 * Asks about every hunk of every file, in order, and returns one decision per final hunk, in the
 * same order. Never stages anything itself. Rejects when a prompt is cancelled (Ctrl-C or the
 * signal; see `isPromptCancelled`): then no decision is returned at all.
 */
export async function reviewHunks(
  changes: FileChange[],
  options: ReviewOptions = {},
): Promise<HunkDecision[]> {
  const output = options.output ?? process.stderr;
  const ui = { ...options, output, colors: createColors(output), write: (t: string) => output.write(t) };
  const decisions: HunkDecision[] = [];
  let quit = false;
  const ask = async (message: string, keys: Key[]): Promise<Key> =>
    (await keyPrompt({ message, keys, colors: ui.colors, unknown: UNKNOWN }, promptContext(ui))) as Key;
  for (const change of changes) {
    const hunks = [...change.hunks];
    const notes = options.notes?.(change.path) ?? [];
    let restOfFile: boolean | undefined;
    let headerShown = false;
    for (let i = 0; i < hunks.length; i++) {
      const decide = (approved: boolean, reason?: string, hunk = hunks[i]!): void => {
        decisions.push({ path: change.path, hunk, approved, ...(reason ? { reason } : {}) });
      };
      if (quit || restOfFile !== undefined) {
        decide(!quit && restOfFile === true);
        continue;
      }
      for (;;) {
        const hunk = hunks[i]!;
        // As git add -p: the file header once per file, then only the hunks.
        ui.write(renderHunk(change, hunk, { colors: ui.colors, notes, fileHeader: !headerShown }));
        headerShown = true;
        const keys = allowedKeys(change, hunk);
        const message = `(${i + 1}/${hunks.length}) ${stageWhat(change)} [${keys.join(',')}]? `;
        let key = await ask(message, keys);
        while (key === '?') {
          ui.write(keys.map((k) => `${ui.colors.boldRed(HELP[k])}\n`).join(''));
          key = await ask(message, keys);
        }
        if (key === 's') {
          const parts = splitHunk(hunk);
          hunks.splice(i, 1, ...parts);
          ui.write(`${ui.colors.bold(`Split into ${parts.length} hunks.`)}\n`);
          continue;
        }
        if (key === 'e') {
          const others = hunks.filter((_, j) => j !== i);
          const edited = await editHunk({ path: change.path, hunk, oldContent: change.oldContent, others }, ui);
          if (!edited) continue;
          // Said, so the edit is not taken for lost: the edited hunk, not the proposed one, is staged.
          const changed = edited.lines.filter((line) => line.kind !== ' ').length;
          ui.write(`${ui.colors.bold(`Edited hunk staged (${changed} changed line${changed === 1 ? '' : 's'}).`)}\n`);
          decide(true, undefined, edited);
        } else if (key === 'r') decide(false, await askReason(ui.colors, ui));
        else if (key === 'a' || key === 'd') {
          restOfFile = key === 'a';
          decide(restOfFile);
        } else {
          quit = key === 'q';
          decide(key === 'y');
        }
        break;
      }
    }
  }
  return decisions;
}

/** The keys offered for a hunk, in prompt order: `s` only when it splits, `e` not for deletions. */
export function allowedKeys(change: Pick<FileChange, 'kind'>, hunk: Hunk): Key[] {
  const keys: Key[] = ['y', 'n', 'a', 'd'];
  if (splitHunk(hunk).length > 1) keys.push('s');
  if (change.kind !== 'delete') keys.push('e');
  keys.push('r', 'q', '?');
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
