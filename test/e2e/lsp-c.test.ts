import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fake-ollama/server.js';
import { fixtureFiles } from '../helpers/fixture.js';
import { missingNote, toolHere } from '../helpers/optional-tools.js';
import { closeScriptedTasks, runFixtureTask, runScriptedTask } from '../helpers/scripted-task.js';

/**
 * C through clangd (Debian's clangd): rename, find_symbol, references and the diagnostics of an
 * edit, on a program whose function has a namesake struct member and a namesake local.
 */

afterEach(closeScriptedTasks);

const runTask = (script: FakeTurn[]) => runFixtureTask('rename-c', script);

const FINISH: FakeTurn = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

describe.skipIf(!toolHere('clangd'))(`C through clangd${missingNote('clangd')}`, () => {
  it('renames a function in its header, its file and its callers, and leaves the namesake member, the local and the string alone', async () => {
    const { task, repo, results } = await runTask([
      { toolCalls: [{ name: 'rename_symbol', arguments: { name: 'parse_config', new_name: 'load_config', path: 'src/config.h' } }] },
      FINISH,
    ]);
    expect(results[0]).toMatch(/^Step 1 committed/);
    const header = repo.git('show', `${task.branch}:src/config.h`);
    expect(header).toContain('int load_config(const char *text);');
    expect(header).toContain('  int (*parse_config)(const char *text);');
    const config = repo.git('show', `${task.branch}:src/config.c`);
    expect(config).toContain('int load_config(const char *text) {');
    expect(config).toContain('  if (!text) return load_config("");\n  return load_config(text);\n');
    const main = repo.git('show', `${task.branch}:src/main.c`);
    expect(main).toContain('struct loader l = {load_config};');
    expect(main).toContain('printf("%d %s %d %d\\n", load_config("name=x"), "parse_config", l.parse_config("a=b"), shadow("x"));');
    expect(main).toContain('  int parse_config = (int)strlen(text);\n  return parse_config;\n');
  });

  it('finds the declaration and every reference, not the namesakes', async () => {
    const { results } = await runTask([
      { toolCalls: [{ name: 'find_symbol', arguments: { name: 'parse_config', path: 'src/config.h' } }] },
      { toolCalls: [{ name: 'references', arguments: { name: 'parse_config', path: 'src/config.h' } }] },
      FINISH,
    ]);
    expect(results[0]).toMatch(/^src\/config\.h:5 function parse_config/);
    const references = results[1] ?? '';
    expect(references).toContain('src/config.h:5: int parse_config(const char *text);');
    expect(references).toContain('src/config.c:3: int parse_config(const char *text) {');
    expect(references).toContain('src/config.c:12: if (!text) return parse_config("");');
    expect(references).toContain('src/config.c:13: return parse_config(text);');
    expect(references).toContain('src/main.c:12: struct loader l = {parse_config};');
    expect(references).toContain('src/main.c:13: printf(');
    expect(references).not.toMatch(/src\/config\.h:9|src\/main\.c:[78]:/);
  });

  it('names the error an edit adds, before it is approved', async () => {
    const { results } = await runTask([
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/main.c', old_text: 'parse_config("name=x")', new_text: 'parse_config(42)' } }] },
      FINISH,
    ]);
    expect(results[0]).toContain(
      "Diagnostics: the applied change adds src/main.c:13:40 warning -Wint-conversion: Incompatible integer to pointer conversion passing 'int' to parameter of type 'const char *'",
    );
  });

  it("compiles the worktree's files with the checkout's generated compile_commands.json, its paths moved into the worktree", async () => {
    // As a CMake project has it: the header in include/ (found only with -Iinclude), the
    // compile commands generated into the ignored build/, naming the files of the user's checkout.
    const { 'src/config.h': header = '', 'compile_flags.txt': _flags, ...rest } = fixtureFiles('rename-c');
    const files = { ...rest, 'include/config.h': header, '.gitignore': 'build/\n' };
    const done = await runScriptedTask(
      files,
      [{ toolCalls: [{ name: 'edit_file', arguments: { path: 'src/main.c', old_text: 'parse_config("name=x")', new_text: 'parse_config(42)' } }] }, FINISH],
      {
        prepare: (repo) => {
          const command = (file: string) => ({ directory: repo.root, file: `${repo.root}/${file}`, arguments: ['cc', '-std=c11', '-Wall', '-Iinclude', '-c', file] });
          repo.write('build/compile_commands.json', JSON.stringify([command('src/config.c'), command('src/main.c')]));
        },
      },
    );
    expect(done.run.code).toBe(0);
    expect(done.results[0]).toContain(
      "Diagnostics: the applied change adds src/main.c:13:40 warning -Wint-conversion: Incompatible integer to pointer conversion passing 'int' to parameter of type 'const char *'",
    );
    expect(done.results[0]).not.toMatch(/not found/);
  });
});
