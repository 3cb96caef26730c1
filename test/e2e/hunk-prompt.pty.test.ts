import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileChange } from '../../src/git/hunk.js';
import { diffFile } from '../../src/git/hunks.js';
import type { PtySession } from '../helpers/pty.js';
import { spawnPty } from '../helpers/pty.js';

/**
 * The hunk and action prompts of src/ui in a real pseudo-terminal, driven through
 * test/fixtures/ui-driver.mjs over the compiled dist/ui (built here when missing or older than src/ui).
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'test/fixtures');
let work: string;

const lines = (from: number, to: number, edit: (n: number) => string = (n) => `line ${n}`): string =>
  Array.from({ length: to - from + 1 }, (_, k) => `${edit(from + k)}\n`).join('');
/** 20 lines with lines 2 and 15 changed: two hunks. */
const twoHunks = (path: string): FileChange =>
  diffFile(path, lines(1, 20), lines(1, 20, (n) => (n === 2 || n === 15 ? `changed ${n}` : `line ${n}`)));
/** Lines 5 and 8 changed: one hunk that splits in two. */
const splittable = diffFile('s.txt', lines(1, 12), lines(1, 12, (n) => (n === 5 || n === 8 ? `changed ${n}` : `line ${n}`)));
const oneHunk = diffFile('e.txt', lines(1, 6), lines(1, 6, (n) => (n === 2 ? 'changed 2' : `line ${n}`)));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'hunkwise-ui-pty-'));
  ensureBuilt();
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function ensureBuilt(): void {
  const built = join(root, 'dist/ui/hunk-prompt.js');
  const uiDir = join(root, 'src/ui');
  const newest = Math.max(...readdirSync(uiDir).map((f) => statSync(join(uiDir, f)).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
  } catch {
    // Type errors elsewhere in the tree do not stop tsc from emitting.
  }
  expect(existsSync(built)).toBe(true);
}

let runs = 0;
function drive(mode: string, input: unknown, env: NodeJS.ProcessEnv = {}): PtySession {
  runs += 1;
  const file = join(work, `input-${runs}.json`);
  writeFileSync(file, JSON.stringify(input));
  const base: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  for (const name of ['GIT_EDITOR', 'VISUAL', 'EDITOR', 'NO_COLOR', 'FORCE_COLOR']) delete base[name];
  return spawnPty(process.execPath, [join(fixtures, 'ui-driver.mjs'), mode, file], {
    cwd: work,
    env: { ...base, ...env },
  });
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Waits until `prompt` is the last thing on the screen, i.e. it is being asked (again). */
const asked = (pty: PtySession, prompt: string): Promise<void> =>
  pty.waitFor(new RegExp(`${escapeRegExp(prompt.trimEnd())}$`));

async function result<T>(pty: PtySession): Promise<T> {
  await pty.waitFor(/RESULT /);
  await pty.exited;
  const line = pty.output().split(/\r?\n/).find((l) => l.startsWith('RESULT '));
  return JSON.parse(line!.slice('RESULT '.length)) as T;
}

interface Decision {
  path: string;
  approved: boolean;
  reason?: string;
  hunk: { oldStart: number; lines: { kind: string; text: string }[] };
}
const summary = (ds: Decision[]) => ds.map((d) => `${d.path}@${d.hunk.oldStart}:${d.approved ? 'y' : 'n'}`);
const added = (d: Decision | undefined) => d?.hunk.lines.filter((l) => l.kind === '+').map((l) => l.text);

describe('reviewHunks in a terminal', () => {
  it('y and n, file by file, with addition and deletion prompts and the notes', async () => {
    const changes = [twoHunks('a.txt'), diffFile('new.txt', null, 'hello\n'), diffFile('old.txt', 'bye\n', null)];
    const pty = drive('hunks', { changes, notes: { 'a.txt': ["a.txt:2 error: Cannot find name 'x'"] } });
    // The counter: the hunk in its file, and in the whole proposal; the moves where they lead somewhere.
    await asked(pty, '(1/2, 1/4 in all) Stage this hunk [y,n,a,d,j,J,g,/,e,r,q,?]? ');
    expect(pty.screen()).toContain("a.txt:2 error: Cannot find name 'x'");
    expect(pty.screen()).toContain('diff --git a/a.txt b/a.txt');
    expect(pty.screen()).toContain('+changed 2');
    pty.type('y');
    await asked(pty, '(2/2, 2/4 in all) Stage this hunk [y,n,a,d,j,J,K,g,/,e,r,q,?]? ');
    pty.type('n');
    await asked(pty, '(1/1, 3/4 in all) Stage addition [y,n,a,d,j,J,K,g,/,e,r,q,?]? ');
    expect(pty.screen()).toContain('new file');
    pty.type('y');
    await asked(pty, '(1/1, 4/4 in all) Stage deletion [y,n,a,d,K,g,/,r,q,?]? ');
    expect(pty.screen()).toContain('deleted file');
    pty.type('n');
    const decisions = await result<Decision[]>(pty);
    expect(summary(decisions)).toEqual(['a.txt@1:y', 'a.txt@12:n', 'new.txt@0:y', 'old.txt@1:n']);
  });

  it('a stages the rest of the file, d refuses the rest of the file', async () => {
    const pty = drive('hunks', { changes: [twoHunks('a.txt'), twoHunks('b.txt')] });
    await asked(pty, '(1/2, 1/4 in all) Stage this hunk [y,n,a,d,j,J,g,/,e,r,q,?]? ');
    pty.type('a');
    await pty.waitFor('diff --git a/b.txt b/b.txt');
    await asked(pty, '(1/2, 3/4 in all) Stage this hunk [y,n,a,d,j,J,K,g,/,e,r,q,?]? ');
    pty.type('d');
    const decisions = await result<Decision[]>(pty);
    expect(summary(decisions)).toEqual(['a.txt@1:y', 'a.txt@12:y', 'b.txt@1:n', 'b.txt@12:n']);
  });

  it('q refuses this and every remaining hunk of the step', async () => {
    const pty = drive('hunks', { changes: [twoHunks('a.txt'), twoHunks('b.txt')] });
    await asked(pty, '(1/2, 1/4 in all) Stage this hunk [y,n,a,d,j,J,g,/,e,r,q,?]? ');
    pty.type('y');
    await asked(pty, '(2/2, 2/4 in all) Stage this hunk [y,n,a,d,j,J,K,g,/,e,r,q,?]? ');
    pty.type('q');
    const decisions = await result<Decision[]>(pty);
    expect(summary(decisions)).toEqual(['a.txt@1:y', 'a.txt@12:n', 'b.txt@1:n', 'b.txt@12:n']);
  });

  it('moves between the hunks of three files as git add -p does: j, k, J, K, g and /', async () => {
    const pty = drive('hunks', { changes: [twoHunks('a.txt'), twoHunks('b.txt'), twoHunks('c.txt')] });
    await asked(pty, '(1/2, 1/6 in all) Stage this hunk [y,n,a,d,j,J,g,/,e,r,q,?]? ');
    // j leaves a.txt's first hunk undecided; y on the second; then back to the first with k.
    pty.type('j');
    await asked(pty, '(2/2, 2/6 in all) Stage this hunk [y,n,a,d,j,J,k,K,g,/,e,r,q,?]? ');
    pty.type('y');
    await asked(pty, '(1/2, 3/6 in all) Stage this hunk [y,n,a,d,j,J,k,K,g,/,e,r,q,?]? ');
    expect(pty.screen()).toContain('diff --git a/b.txt b/b.txt');
    pty.type('k');
    await asked(pty, '(1/2, 1/6 in all) Stage this hunk [y,n,a,d,j,J,g,/,e,r,q,?]? ');
    pty.type('n');
    // On to the next undecided hunk, b.txt's first; / finds the next hunk holding a line that matches.
    await asked(pty, '(1/2, 3/6 in all) Stage this hunk [y,n,a,d,j,J,K,g,/,e,r,q,?]? ');
    pty.type('/');
    await pty.waitFor('search for regex?');
    pty.type('changed 15\r');
    await asked(pty, '(2/2, 4/6 in all) Stage this hunk [y,n,a,d,j,J,k,K,g,/,e,r,q,?]? ');
    pty.type('y');
    // g lists the hunks by number, decided ones marked, and goes to the one typed.
    await asked(pty, '(1/2, 5/6 in all) Stage this hunk [y,n,a,d,j,J,k,K,g,/,e,r,q,?]? ');
    pty.type('g');
    await pty.waitFor('go to which hunk?');
    expect(pty.screen()).toMatch(/ {2}1- a\.txt @@ -1,5 \+1,5 @@/);
    expect(pty.screen()).toMatch(/ {2}2\+ a\.txt @@/);
    expect(pty.screen()).toMatch(/ {2}3 {2}b\.txt @@/);
    pty.type('6\r');
    await asked(pty, '(2/2, 6/6 in all) Stage this hunk [y,n,a,d,k,K,g,/,e,r,q,?]? ');
    pty.type('y');
    await asked(pty, '(1/2, 3/6 in all) Stage this hunk [y,n,a,d,j,J,K,g,/,e,r,q,?]? ');
    pty.type('n');
    await asked(pty, '(1/2, 5/6 in all) Stage this hunk [y,n,a,d,J,K,g,/,e,r,q,?]? ');
    pty.type('y');
    const decisions = await result<Decision[]>(pty);
    expect(summary(decisions)).toEqual(['a.txt@1:n', 'a.txt@12:y', 'b.txt@1:n', 'b.txt@12:y', 'c.txt@1:y', 'c.txt@12:y']);
  });

  it('? prints the help and asks again; keys not offered are refused with git messages', async () => {
    const pty = drive('hunks', { changes: [oneHunk] });
    const prompt = '(1/1) Stage this hunk [y,n,a,d,e,r,q,?]? ';
    await asked(pty, prompt);
    pty.type('s');
    await pty.waitFor('Sorry, cannot split this hunk');
    pty.type('x');
    await pty.waitFor("Unknown command 'x' (use '?' for help)");
    pty.type('?');
    await pty.waitFor('r - do not stage this hunk, and tell the model why');
    expect(pty.screen()).toContain('y - stage this hunk');
    expect(pty.screen()).toContain('q - quit; do not stage this hunk or any of the remaining ones');
    expect(pty.screen()).not.toContain('s - split');
    await asked(pty, prompt);
    pty.type('y');
    expect(summary(await result<Decision[]>(pty))).toEqual(['e.txt@1:y']);
  });

  it('s splits the hunk, then each part is asked on its own', async () => {
    const pty = drive('hunks', { changes: [splittable] });
    await asked(pty, '(1/1) Stage this hunk [y,n,a,d,s,e,r,q,?]? ');
    pty.type('s');
    await pty.waitFor('Split into 2 hunks.');
    await asked(pty, '(1/2) Stage this hunk [y,n,a,d,j,J,g,/,e,r,q,?]? ');
    pty.type('y');
    await asked(pty, '(2/2) Stage this hunk [y,n,a,d,K,g,/,e,r,q,?]? ');
    pty.type('n');
    const decisions = await result<Decision[]>(pty);
    expect(decisions.map((d) => [added(d), d.approved])).toEqual([
      [['changed 5\n'], true],
      [['changed 8\n'], false],
    ]);
  });

  it('r refuses with the reason typed on one line', async () => {
    const pty = drive('hunks', { changes: [oneHunk] });
    await asked(pty, '(1/1) Stage this hunk [y,n,a,d,e,r,q,?]? ');
    pty.type('r');
    await pty.waitFor('Reason for refusing (sent to the model):');
    pty.type('keep the old name \r');
    const decisions = await result<Decision[]>(pty);
    expect(decisions).toMatchObject([{ path: 'e.txt', approved: false, reason: 'keep the old name' }]);
  });

  it('Ctrl-C rejects with an error the caller recognises', async () => {
    const pty = drive('hunks', { changes: [oneHunk] });
    await asked(pty, '(1/1) Stage this hunk [y,n,a,d,e,r,q,?]? ');
    pty.type('\x03');
    await pty.waitFor('RESULT CANCELLED');
    expect((await pty.exited).exitCode).toBe(130);
  });
});

describe('e: editing a hunk in $EDITOR', () => {
  const editorEnv = (edits: [string, string][][]) => {
    const log = join(work, `edit-log-${runs + 1}.txt`);
    writeFileSync(log, '');
    const env = { EDITOR: `node ${join(fixtures, 'edit-hunk.mjs')}`, HUNK_EDIT_LOG: log, HUNK_EDITS: JSON.stringify(edits) };
    return { env, log: () => readFileSync(log, 'utf8') };
  };

  it('stages the edited hunk when it applies, and removes the temp file', async () => {
    const editor = editorEnv([[['+changed 2', '+edited 2']]]);
    const pty = drive('hunks', { changes: [oneHunk] }, editor.env);
    await asked(pty, '(1/1) Stage this hunk [y,n,a,d,e,r,q,?]? ');
    pty.type('e');
    const decisions = await result<Decision[]>(pty);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]?.approved).toBe(true);
    expect(added(decisions[0])).toEqual(['edited 2\n']);
    // Confirmed on screen: the edited hunk is what is staged.
    expect(pty.screen()).toMatch(/Edited hunk staged \(\d+ changed lines?\)\./);
    const log = editor.log();
    expect(log).toContain('# Manual hunk edit mode for e.txt');
    const file = /^=== run 1 (.*)$/m.exec(log)?.[1];
    expect(file).toMatch(/addp-hunk-edit\.diff$/);
    expect(existsSync(file!)).toBe(false);
  });

  it('an edit that does not apply: "y" edits the user\'s text again, "n" goes back to the hunk', async () => {
    const broken: [string, string][] = [[' line 1', ' no such line']];
    const editor = editorEnv([broken, [], broken]);
    const pty = drive('hunks', { changes: [oneHunk] }, editor.env);
    const prompt = '(1/1) Stage this hunk [y,n,a,d,e,r,q,?]? ';
    const again = 'Your edited hunk does not apply. Edit again (saying "no" discards!) [y/n]? ';
    await asked(pty, prompt);
    pty.type('e');
    await asked(pty, again);
    expect(pty.screen()).toContain('does not apply');
    pty.type('y');
    await pty.waitFor(`${again}y`);
    await asked(pty, again);
    expect(editor.log().split('=== run 2')[1]).toContain(' no such line');
    pty.type('n');
    await asked(pty, prompt);
    pty.type('n');
    const decisions = await result<Decision[]>(pty);
    expect(decisions).toMatchObject([{ path: 'e.txt', approved: false }]);
    expect(added(decisions[0])).toEqual(['changed 2\n']);
  });

  it('Ctrl-C in the editor ends the editor, not the review: the hunk is asked again', async () => {
    const editor = editorEnv([[['+changed 2', '+edited 2']]]);
    const pty = drive('hunks', { changes: [oneHunk] }, { ...editor.env, HUNK_EDIT_WAIT: '15000' });
    const prompt = '(1/1) Stage this hunk [y,n,a,d,e,r,q,?]? ';
    await asked(pty, prompt);
    pty.type('e');
    await pty.waitFor('editor: editing run 1');
    pty.type('\x03');
    await pty.waitFor('there was a problem with the editor');
    await asked(pty, prompt);
    pty.type('y');
    const decisions = await result<Decision[]>(pty);
    expect(decisions).toMatchObject([{ path: 'e.txt', approved: true }]);
    expect(added(decisions[0])).toEqual(['changed 2\n']);
  });
});

describe('askAction and askFollowUp in a terminal', () => {
  // As the approval policy asks them (agent/approval-policy.ts): the patterns offered, and network.
  const command = {
    class: 'run',
    tool: 'run_command',
    subject: 'npm test -- --run',
    offers: [
      { pattern: 'npm test -- --run', scope: 'exact' },
      { pattern: 'npm test *', scope: 'prefix' },
    ],
    network: true,
  };

  it('allow once with its shortcut key', async () => {
    const pty = drive('action', command);
    await pty.waitFor('Run this command?');
    expect(pty.screen()).toContain('run_command npm test -- --run');
    pty.type('y');
    expect(await result(pty)).toEqual({ kind: 'once' });
  });

  it('allow for this task with the prefix pattern, chosen with the arrow keys', async () => {
    const pty = drive('action', command);
    await pty.waitFor('p) Allow for this task every command matching: npm test *');
    pty.type('\x1b[B');
    await pty.waitFor('❯ t) Allow this exact command');
    pty.type('\x1b[B');
    await pty.waitFor('❯ p) Allow for this task');
    pty.type('\r');
    expect(await result(pty)).toEqual({ kind: 'task', pattern: 'npm test *' });
  });

  it('a read offers the path and its folder', async () => {
    const pty = drive('action', {
      class: 'read',
      tool: 'read_file',
      subject: 'src/config.ts',
      offers: [
        { pattern: 'src/config.ts', scope: 'exact' },
        { pattern: 'src/**', scope: 'folder' },
      ],
      network: false,
    });
    await pty.waitFor('f) Allow reading this folder for this task: src/**');
    pty.type('f');
    expect(await result(pty)).toEqual({ kind: 'task', pattern: 'src/**' });
  });

  it('runs once with network, or allows the exact command with network for the task', async () => {
    const once = drive('action', command);
    await once.waitFor('w) Run once, with network');
    expect(once.screen()).toContain('y) Run once, without network');
    once.type('w');
    expect(await result(once)).toEqual({ kind: 'once', network: true });
    const task = drive('action', command);
    await task.waitFor('W) Allow this exact command with network for this task: npm test -- --run');
    task.type('W');
    expect(await result(task)).toEqual({ kind: 'task', pattern: 'npm test -- --run', network: true });
  });

  it('offers no network where the policy does not leave it open', async () => {
    const pty = drive('action', { ...command, network: false });
    await pty.waitFor('r) Refuse with a reason');
    expect(pty.screen()).not.toContain('network');
    pty.type('y');
    expect(await result(pty)).toEqual({ kind: 'once' });
  });

  it('refuse with a reason', async () => {
    const pty = drive('action', command);
    await pty.waitFor('r) Refuse with a reason');
    pty.type('r');
    await pty.waitFor('Reason for refusing (sent to the model):');
    pty.type('run only the unit tests\r');
    expect(await result(pty)).toEqual({ kind: 'refuse', reason: 'run only the unit tests' });
  });

  it('the follow-up instruction, trimmed', async () => {
    const pty = drive('follow-up', null);
    await pty.waitFor('Follow-up instruction (empty = done):');
    pty.type('  now add tests  \r');
    expect(await result(pty)).toBe('now add tests');
  });
});
