import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAgent } from '../helpers/agent.js';

/** The help a person reads, and what a typing mistake gets: through the real binary, outside any repository. */

const cwd = mkdtempSync(join(tmpdir(), 'hunkwise-test-help-'));
const env = { ...process.env, NO_COLOR: '1' };
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const agent = (...args: string[]) => runAgent(args, { cwd, env });

const COMMANDS = ['task', 'list', 'show', 'merge', 'undo', 'abort', 'prune', 'models', 'doctor', 'stats', 'completion'];

describe('help', () => {
  it('agent --help lists every command and ends with examples', async () => {
    const run = await agent('--help');
    expect(run.code).toBe(0);
    for (const command of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(run.stdout).toContain('Examples:\n  # check git, Ollama, the model and the language servers\n  $ agent doctor\n');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe("Run agent <command> --help for a command's options and examples.");
  });

  it.each(COMMANDS)('agent %s --help has its options and examples of it', async (command) => {
    const run = await agent(command, '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: agent ${command}`));
    const examples = run.stdout.slice(run.stdout.indexOf('\nExamples:\n'));
    expect(examples).toMatch(new RegExp(`\\n  \\$ (source <\\()?agent ${command}\\b`));
    // Each example has its line saying what it does.
    for (const line of examples.split('\n').filter((l) => l.startsWith('  $ '))) {
      expect(examples.split('\n')[examples.split('\n').indexOf(line) - 1]).toMatch(/^ {2}# \S/);
    }
  });

  it.each([
    [['lsit'], "error: unknown command 'lsit'\n(Did you mean list?)\n"],
    [['reveiw', 'k3x9'], "error: unknown command 'reveiw'\n(Did you mean review?)\n"],
    [['list', '--jsn'], "error: unknown option '--jsn'\n(Did you mean --json?)\n"],
    [['task', '--aprove', 'all', 'x'], "error: unknown option '--aprove'\n(Did you mean --approve?)\n"],
  ])('agent %j: exit 2 and the nearest command or option', async (args, said) => {
    const run = await agent(...args);
    expect([run.code, run.stderr, run.stdout]).toEqual([2, said, '']);
  });
});
