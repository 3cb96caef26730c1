import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN } from '../helpers/agent.js';
import { fixtureFiles } from '../helpers/fixture.js';
import { spawnPty } from '../helpers/pty.js';
import { testState } from '../helpers/state.js';
import { makeRepo } from '../helpers/repo.js';
import { onlyTask } from '../helpers/tasks.js';
import { startPtyTask } from '../helpers/pty-task.js';

const open = testState();

const NEW_TOTAL = "total(): string {\n  return this.items.join(',');\n}";

describe('the diagnostics of a proposal, before it is approved', () => {
  it('shows the errors a replace_symbol and an edit_file add, and tells the model', async () => {
    const { server, repo, pty } = await startPtyTask(open, {
      files: fixtureFiles('diag-ts'),
      args: ['task', 'change the store', '--approve', 'read'],
      script: [
        { toolCalls: [{ name: 'replace_symbol', arguments: { name: 'Store.total', path: 'src/store.ts', new_text: NEW_TOTAL } }] },
        {
          toolCalls: [
            { name: 'edit_file', arguments: { path: 'src/store.ts', old_text: 'this.items.push(item);', new_text: 'this.items.push(String(item));' } },
          ],
        },
        { toolCalls: [{ name: 'write_file', arguments: { path: 'src/extra.ts', content: 'export const extra: number = "one";\n' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ],
    });
    // replace_symbol of a method: the error lands in the file that imports it.
    await pty.waitFor(/Stage this hunk \[[a-zA-Z,?/]+\]\?$/m);
    expect(pty.screen()).toMatch(/adds src\/use\.ts:5:14 error TS2322: Type 'string' is not assignable to type 'number'\./);
    pty.type('y');
    // edit_file: the error is in the edited file itself.
    await pty.waitFor(/adds src\/store\.ts:5:21 error TS2345[^\n]*\n[\s\S]*Stage this hunk \[[a-zA-Z,?/]+\]\?$/m);
    expect(pty.screen()).toMatch(/adds src\/store\.ts:5:21 error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'\./);
    pty.type('n');
    // A new file: its own errors, and never "unknown" for want of a file before it.
    await pty.waitFor(/adds src\/extra\.ts:1:14 error TS2322[^\n]*\n[\s\S]*Stage addition \[[a-zA-Z,?/]+\]\?$/m);
    expect(pty.screen()).not.toMatch(/unknown/);
    pty.type('y');
    await pty.waitFor(/Follow-up instruction/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);

    const results = server.chatRequests().slice(1).map((chat) => chat.messages.at(-1)?.content ?? '');
    expect(results[0]).toMatch(/Diagnostics: the applied change adds src\/use\.ts:5:14 error TS2322: Type 'string' is not assignable to type 'number'\./);
    expect(results[1]).toMatch(/refused every hunk/);
    expect(results[2]).toMatch(/Diagnostics: the applied change adds src\/extra\.ts:1:14 error TS2322: Type 'string' is not assignable to type 'number'\./);
    expect(results[2]).not.toMatch(/unknown/);
    const task = onlyTask(repo);
    expect(repo.git('show', `${task.branch}:src/store.ts`)).toContain("  total(): string {\n    return this.items.join(',');\n  }");
  });

  it('shows the error a refused rename hunk leaves, before the next turn, in the words the model reads', async () => {
    // Rows enough for the whole proposal: every answered question stays on the screen to be counted.
    const { server, pty } = await startPtyTask(open, {
      files: fixtureFiles('rename-ts'),
      args: ['task', 'rename parseConfig', '--approve', 'read'],
      rows: 400,
      script: [
        { toolCalls: [{ name: 'rename_symbol', arguments: { name: 'parseConfig', new_name: 'loadConfig', path: 'src/config.ts' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'renamed, but for the CLI' } }] },
      ],
    });
    // Every hunk approved but those of src/cli.ts, whose import then names what no longer exists.
    for (;;) {
      await pty.waitFor(/(Stage this hunk \[[a-zA-Z,?/]+\]\?|Follow-up instruction \(empty = done\)[^\n]*)$/);
      const screen = pty.screen();
      if (/Follow-up instruction/.test(screen.split('\n').at(-1) ?? '')) break;
      const file = [...screen.matchAll(/^diff --git a\/(\S+)/gm)].at(-1)?.[1];
      const answered = screen.match(/Stage this hunk \[[a-zA-Z,?/]+\]\? [yn]/g)?.length ?? 0;
      pty.type(file === 'src/cli.ts' ? 'n' : 'y');
      await pty.waitFor(new RegExp(`(?:Stage this hunk \\[[a-zA-Z,?/]+\\]\\? [yn][\\s\\S]*){${answered + 1}}`));
    }
    const shown = pty.screen();
    expect(shown).toMatch(/✓ step 1 [0-9a-f]{8} rename_symbol parseConfig -> loadConfig \(6 approved, 1 refused\)\n {2}Step 1 committed\.[^\n]*\n {2}Diagnostics: the applied change adds src\/cli\.ts:1:10 error TS2305: Module [^\n]*config[^\n]* has no exported member 'parseConfig'\./);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);
    const told = server.chatRequests()[1]?.messages.at(-1)?.content ?? '';
    expect(told).toMatch(/Diagnostics: the applied change adds src\/cli\.ts:1:10 error TS2305: Module [^\n]*config[^\n]* has no exported member 'parseConfig'\./);
  });
});

describe("a hunk's function context", () => {
  it("names the language server's enclosing declaration where git's rule finds none: jsdiff's published UMD bundle", async () => {
    // jsdiff 9.0.0 as npm publishes it (a dependency of hunkwise): its code is all indented inside
    // `(function (global, factory) {`, so git's default funcname rule finds no line for any hunk.
    const bundle = readFileSync(fileURLToPath(new URL('../../node_modules/diff/dist/diff.js', import.meta.url)), 'utf8');
    const line = '            const oldTokens = this.removeEmpty(this.tokenize(oldString, options));\n';
    expect(bundle).toContain(line);
    const server = await startFakeOllama({
      script: [
        { toolCalls: [{ name: 'edit_file', arguments: { path: 'diff.js', old_text: line.trim(), new_text: 'const oldTokens = this.tokenize(oldString, options);' } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ],
    });
    open.server = server;
    const repo = makeRepo({ 'diff.js': bundle });
    open.repo = repo;
    // git itself has no context for this change.
    const edited = bundle.replace(line, '            const oldTokens = this.tokenize(oldString, options);\n');
    const gitDiff = spawnSync('git', ['diff', '--no-index', '--', 'diff.js', '-'], { cwd: repo.root, input: edited, encoding: 'utf8' });
    const gitHeader = /^@@[^\n]*$/m.exec(gitDiff.stdout);
    expect(gitHeader?.[0]).toMatch(/^@@ -19,7 \+19,7 @@$/);
    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'tokenize without removing empties'], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url }, cols: 200 });
    open.pty = pty;
    await pty.waitFor(/Stage this hunk \[[a-zA-Z,?/]+\]\?$/m);
    // The method of class Diff the line is in, as its declaration line reads.
    expect(pty.screen()).toMatch(/^@@ -19,7 \+19,7 @@ diff\(oldStr, newStr,$/m);
    pty.type('y');
    await pty.waitFor(/Follow-up instruction/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);
  });
});
