import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fake-ollama/server.js';
import { missingNote, toolHere } from '../helpers/optional-tools.js';
import { closeScriptedTasks, runFixtureTask } from '../helpers/scripted-task.js';

/**
 * Go through gopls (Debian's gopls with golang-go): rename, find_symbol, references and the
 * diagnostics of an edit, on a module whose function has a namesake method and a namesake local.
 */

afterEach(closeScriptedTasks);

const runTask = (script: FakeTurn[]) => runFixtureTask('rename-go', script);

const FINISH: FakeTurn = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

describe.skipIf(!toolHere('gopls'))(`Go through gopls${missingNote('gopls')}`, () => {
  it('renames a function across packages and leaves the namesake method, the local and the string alone', async () => {
    const { task, repo, results } = await runTask([
      { toolCalls: [{ name: 'rename_symbol', arguments: { name: 'ParseConfig', new_name: 'LoadConfig', path: 'config/config.go' } }] },
      FINISH,
    ]);
    expect(results[0]).toMatch(/^Step 1 committed/);
    const config = repo.git('show', `${task.branch}:config/config.go`);
    expect(config).toContain('func LoadConfig(text string) map[string]string {');
    expect(config).toContain('\t\treturn LoadConfig("")\n\t}\n\treturn LoadConfig(text)\n');
    expect(config).toContain('func (Loader) ParseConfig() string {');
    const main = repo.git('show', `${task.branch}:main.go`);
    expect(main).toContain('settings := config.LoadConfig("name=x")');
    expect(main).toContain('"ParseConfig", config.Loader{}.ParseConfig()');
    expect(main).toContain('\tParseConfig := func(s string) int { return len(s) }\n\treturn ParseConfig(text)\n');
  });

  it('finds the declaration and every reference, not the namesakes', async () => {
    const { results } = await runTask([
      { toolCalls: [{ name: 'find_symbol', arguments: { name: 'ParseConfig', path: 'config/config.go' } }] },
      { toolCalls: [{ name: 'references', arguments: { name: 'ParseConfig', path: 'config/config.go' } }] },
      FINISH,
    ]);
    expect(results[0]).toMatch(/^config\/config\.go:7 function ParseConfig/);
    expect(results[0]).toContain('func ParseConfig(text string) map[string]string {');
    const references = results[1] ?? '';
    expect(references).toContain('config/config.go:7: func ParseConfig(text string) map[string]string {');
    expect(references).toContain('config/config.go:27: return ParseConfig("")');
    expect(references).toContain('config/config.go:29: return ParseConfig(text)');
    expect(references).toContain('main.go:10: settings := config.ParseConfig("name=x")');
    expect(references).not.toMatch(/main\.go:1[156]|config\/config\.go:20/);
  });

  it('names the error an edit adds, before it is approved', async () => {
    const { results } = await runTask([
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'main.go', old_text: 'config.ParseConfig("name=x")', new_text: 'config.ParseConfig(42)' } }] },
      FINISH,
    ]);
    expect(results[0]).toMatch(/Diagnostics: the applied change adds main\.go:10:\d+ error[^\n]*cannot use 42/);
  });
});
