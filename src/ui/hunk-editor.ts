import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError, gitOut } from '../git/exec.js';
import type { Hunk } from '../git/hunk.js';
import { formatHunkForEdit, parseEditedHunk } from '../git/hunk-edit.js';
import type { Colors } from './color.js';
import type { PromptIO } from './key-prompt.js';
import { keyPrompt, promptContext } from './key-prompt.js';

/**
 * The `e` of hunk approval, as `git add -p` does it: the hunk goes to the user's editor in a temp
 * file, comes back, and is staged only if it still applies; one that does not apply is offered for
 * editing again (with the user's text) or discarded, never returned broken.
 */

export interface EditTarget {
  path: string;
  hunk: Hunk;
  /** The file's content before the change, which the edited hunk must apply to. */
  oldContent: string;
  /** The file's other hunks, as they stand (split parts included). */
  others: Hunk[];
}

export interface EditUI extends PromptIO {
  colors: Colors;
  write: (text: string) => void;
}

export const EDIT_AGAIN = 'Your edited hunk does not apply. Edit again (saying "no" discards!) [y/n]? ';

/**
 * The edited hunk, or undefined when there is none to stage (the user emptied the hunk, answered
 * "no" to editing again, or no editor could run): the caller asks about the original hunk again.
 * The editor runs synchronously with the terminal inherited, so no prompt reads stdin meanwhile;
 * the temp directory is removed in every case.
 */
export async function editHunk(target: EditTarget, ui: EditUI): Promise<Hunk | undefined> {
  const editor = await findEditor(ui);
  if (editor === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'hunkwise-edit-'));
  const file = join(dir, 'addp-hunk-edit.diff');
  try {
    let text = formatHunkForEdit(target.path, target.hunk);
    for (;;) {
      writeFileSync(file, text);
      if (!(await runEditor(editor, file, ui))) return undefined;
      const edited = readFileSync(file, 'utf8');
      const result = parseEditedHunk(target.hunk, edited, target.oldContent, target.others);
      if ('hunk' in result) return result.hunk;
      if ('aborted' in result) return undefined;
      ui.write(`${ui.colors.boldRed(result.error)}\n`);
      const again = await keyPrompt(
        { message: EDIT_AGAIN, keys: ['y', 'n'], colors: ui.colors },
        promptContext(ui),
      );
      if (again === 'n') return undefined;
      text = edited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The editor git would use (GIT_EDITOR, core.editor, VISUAL, EDITOR, then git's default). */
async function findEditor(ui: EditUI): Promise<string | undefined> {
  try {
    const editor = (await gitOut(['var', 'GIT_EDITOR'], { cwd: process.cwd() })).trim();
    if (editor !== '') return editor;
    ui.write(`${ui.colors.red('error: no editor: set GIT_EDITOR, core.editor, VISUAL or EDITOR')}\n`);
  } catch (err) {
    const detail = err instanceof GitError ? err.stderr.trim() : String(err);
    ui.write(`${ui.colors.red(`error: cannot find an editor: ${detail}`)}\n`);
    ui.write('Set one with: git config --global core.editor <editor>\n');
  }
  return undefined;
}

/**
 * Runs the editor as git does (`sh -c '<editor> "$@"' <editor> <file>`); false when it failed.
 * Synchronous, so nothing of ours reads the terminal meanwhile; like git, a Ctrl-C while it runs
 * ends the editor (if it lets it), not us: SIGINT is ignored until the signal has been delivered.
 */
async function runEditor(editor: string, file: string, ui: EditUI): Promise<boolean> {
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  let run: ReturnType<typeof spawnSync>;
  try {
    run = spawnSync('sh', ['-c', `${editor} "$@"`, editor, file], { stdio: 'inherit' });
  } finally {
    await new Promise((resolve) => setImmediate(resolve));
    process.removeListener('SIGINT', ignore);
  }
  if (run.error === undefined && run.status === 0) return true;
  const why = run.error ? run.error.message : run.signal ? `killed by ${run.signal}` : `exit ${run.status}`;
  ui.write(`${ui.colors.red(`error: there was a problem with the editor '${editor}' (${why})`)}\n`);
  return false;
}
