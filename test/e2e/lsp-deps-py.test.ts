import { afterEach, describe, expect, it } from 'vitest';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

/**
 * A declaration in a Python dependency, installed in the checkout's ignored .venv (which the task's
 * worktree mirrors) and configured for pyright as projects do: found from the file that imports it
 * (pyright lists no imports among a file's symbols), its uses in the project listed.
 */

afterEach(closeScriptedTasks);

const FILES = {
  '.gitignore': '.venv/\n',
  'pyproject.toml': '[project]\nname = "app"\nversion = "0.1.0"\n\n[tool.pyright]\nvenvPath = "."\nvenv = ".venv"\n',
  'app/__init__.py': '',
  'app/main.py': 'from somepkg import helper\n\n\ndef twice(n: int) -> int:\n    return helper(n) * 2\n',
  '.venv/pyvenv.cfg': 'home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n',
  '.venv/lib/python3.11/site-packages/somepkg/__init__.py': 'def helper(value: int) -> int:\n    """Returns the value."""\n    return value\n',
};

describe('a symbol declared in a Python dependency', () => {
  it('is found in the virtual environment from the file that imports it, and its uses are listed', async () => {
    const done = await runScriptedTask(FILES, [
      { toolCalls: [{ name: 'find_symbol', arguments: { name: 'helper', path: 'app/main.py' } }] },
      { toolCalls: [{ name: 'references', arguments: { name: 'helper', path: 'app/main.py' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
    ]);
    expect(done.run.code).toBe(0);
    const [found = '', references = ''] = done.results;
    expect(found).toBe('.venv/lib/python3.11/site-packages/somepkg/__init__.py:1 function helper\n    def helper(value: int) -> int:');
    const [head, ...lines] = references.split('\n');
    expect(head).toBe('3 references to helper:');
    expect(lines.sort()).toEqual([
      '.venv/lib/python3.11/site-packages/somepkg/__init__.py:1: def helper(value: int) -> int:',
      'app/main.py:1: from somepkg import helper',
      'app/main.py:5: return helper(n) * 2',
    ]);
  });
});
