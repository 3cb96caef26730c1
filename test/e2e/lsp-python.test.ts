import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fake-ollama/server.js';
import { closeScriptedTasks, runFixtureTask } from '../helpers/scripted-task.js';

afterEach(closeScriptedTasks);

const runTask = (script: FakeTurn[]) => runFixtureTask('rename-py', script);

describe('Python through pyright', () => {
  it('renames a function across modules and leaves the shadowing local and the string alone', async () => {
    const { task, repo, results } = await runTask([
      { toolCalls: [{ name: 'rename_symbol', arguments: { name: 'parse_config', new_name: 'load_config' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'renamed' } }] },
    ]);
    expect(results[0]).toMatch(/^Step 1 committed/);
    const config = repo.git('show', `${task.branch}:app/config.py`);
    expect(config).toContain('def load_config(text: str)');
    expect(config).toContain('return load_config(text) if text else load_config("")');
    expect(config).toContain('"""parse_config reads key=value lines."""');
    const main = repo.git('show', `${task.branch}:app/main.py`);
    expect(main).toContain('from app.config import load_config\n');
    expect(main).toContain('from app.config import load_config as read_config\n');
    expect(main).toContain('    config = load_config(text)\n');
    expect(main).toContain('"parse_config"');
    expect(main).toContain('    parse_config = len\n    return parse_config(text)\n');
    expect(repo.git('show', `${task.branch}:app/__init__.py`)).toContain('from app.config import load_config');
  });

  it('names the error an edit adds', async () => {
    const { results } = await runTask([
      {
        toolCalls: [
          { name: 'edit_file', arguments: { path: 'app/main.py', old_text: 'other = read_config("name=x")', new_text: 'other = read_config(42)' } },
        ],
      },
      { toolCalls: [{ name: 'diagnostics', arguments: { path: 'app/main.py' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
    ]);
    expect(results[0]).toMatch(/Diagnostics: the applied change adds app\/main\.py:7:\d+ error[^:]*: Argument of type "Literal\[42\]"/);
    expect(results[1]).toMatch(/^1 error, \d+ other in 1 file\.\napp\/main\.py:7:\d+ error/);
  });
});
