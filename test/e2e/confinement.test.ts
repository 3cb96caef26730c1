import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeToolCall, FakeTurn } from '../fake-ollama/server.js';
import { snapshotCheckout, type TestRepo } from '../helpers/repo.js';
import { closeScriptedTasks, runScriptedTask, type ScriptedOptions, type ScriptedTask } from '../helpers/scripted-task.js';

afterEach(closeScriptedTasks);

/** A value that must never reach the model: it sits in files the model may not read. */
const SECRET = 'sk-live-7f3a9c0d2b';

const FILES = {
  'src/app.ts': 'export const app = 1;\n',
  '.env': `API_KEY=${SECRET}\n`,
  '.env.example': 'API_KEY=\n',
  'deploy/id_rsa': `-----BEGIN OPENSSH PRIVATE KEY-----\n${SECRET}\n`,
  'certs/server.key': `${SECRET}\n`,
  'certs/ca.pem': `${SECRET}\n`,
  'private/notes.md': 'the plan\n',
  'package-lock.json': '{}\n',
  'docs/guide.md': 'old\n',
};

const FINISH: FakeTurn = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

/**
 * Runs one task whose first answer makes every call of `calls`, then finishes. Returns the task
 * and the result of each call, in order, as the model received it.
 */
async function attempt(calls: FakeToolCall[], options: ScriptedOptions = {}): Promise<{ task: ScriptedTask; results: string[]; outside: string }> {
  let snapshot = '';
  let outside = '';
  const task = await runScriptedTask(FILES, [{ toolCalls: calls }, FINISH], {
    ...options,
    prepare: (repo: TestRepo) => {
      // A folder beside the repository, and links from the repository to it.
      outside = join(dirname(repo.root), 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'secret.txt'), `${SECRET}\n`);
      symlinkSync(outside, join(repo.root, 'out'));
      symlinkSync(join(outside, 'secret.txt'), join(repo.root, 'linked.txt'));
      repo.git('add', 'out', 'linked.txt');
      repo.git('commit', '-q', '-m', 'links');
      snapshot = snapshotCheckout(repo);
    },
  });
  const requests = task.server.chatRequests();
  const last = requests.at(-1)?.messages ?? [];
  const results = last.filter((message) => message.role === 'tool').map((message) => message.content);
  // Nothing of a secret reached the model, in any request; the user's checkout is as it was.
  expect(JSON.stringify(requests)).not.toContain(SECRET);
  expect(snapshotCheckout(task.repo)).toBe(snapshot);
  expect(readdirSync(outside)).toEqual(['secret.txt']);
  expect(task.run.stdout).not.toMatch(/TypeError|\n\s+at /);
  return { task, results, outside };
}

const call = (name: string, args: Record<string, unknown>): FakeToolCall => ({ name, arguments: args });

describe('confinement through the model tools', () => {
  it('refuses every path that leads out of the worktree or into .git, and says how to correct it', async () => {
    const { results } = await attempt([
      call('read_file', { path: '/etc/passwd' }),
      call('read_file', { path: '../outside/secret.txt' }),
      call('read_file', { path: 'src/../../outside/secret.txt' }),
      call('read_file', { path: '~/.ssh/id_rsa' }),
      call('read_file', { path: 'linked.txt' }),
      call('read_file', { path: 'out/secret.txt' }),
      call('list_files', { path: 'out' }),
      call('grep', { pattern: 'sk-live', path: 'out' }),
      call('read_file', { path: '.git/config' }),
      call('read_file', { path: 'src/../.GIT/HEAD' }),
      call('write_file', { path: 'out/planted.txt', content: 'x\n' }),
      call('write_file', { path: '.git/hooks/pre-commit', content: '#!/bin/sh\n' }),
      call('edit_file', { path: '../outside/secret.txt', old_text: 'sk', new_text: 'xx' }),
    ]);
    expect(results.slice(0, 13)).toEqual([
      expect.stringMatching(/^"\/etc\/passwd" is not a relative path; use a path relative to the repository root/),
      expect.stringMatching(/^"\.\.\/outside\/secret\.txt" leads outside the repository/),
      expect.stringMatching(/^"src\/\.\.\/\.\.\/outside\/secret\.txt" leads outside the repository/),
      expect.stringMatching(/^"~\/\.ssh\/id_rsa" is not a relative path/),
      expect.stringMatching(/^"linked\.txt" leads outside the repository through a symlink/),
      expect.stringMatching(/^"out\/secret\.txt" leads outside the repository through a symlink/),
      expect.stringMatching(/^"out" leads outside the repository through a symlink/),
      expect.stringMatching(/^"out" leads outside the repository through a symlink/),
      expect.stringMatching(/^"\.git\/config" is inside \.git, which tools may not touch/),
      expect.stringMatching(/^"src\/\.\.\/\.GIT\/HEAD" is inside \.git/),
      expect.stringMatching(/^"out\/planted\.txt" leads outside the repository through a symlink/),
      expect.stringMatching(/^"\.git\/hooks\/pre-commit" is inside \.git/),
      expect.stringMatching(/^"\.\.\/outside\/secret\.txt" leads outside the repository/),
    ]);
  });

  it('keeps secret-looking files from the model: read, grep, edit, write and a command that names one', async () => {
    const { task, results } = await attempt([
      call('read_file', { path: '.env' }),
      call('read_file', { path: 'deploy/id_rsa' }),
      call('read_file', { path: 'certs/ca.pem' }),
      call('grep', { pattern: 'sk-live' }),
      call('edit_file', { path: 'certs/server.key', old_text: 'sk', new_text: 'xx' }),
      call('write_file', { path: 'config/.env.production', content: 'API_KEY=x\n' }),
      call('run_command', { command: 'cat .env' }),
      call('read_file', { path: '.env.example' }),
    ]);
    expect(results[0]).toMatch(/^read_file \.env was refused automatically \(\.env looks like a file that holds secrets \(\.env\*\); it is read or edited only where the user's config allows that file by name/);
    expect(results[1]).toMatch(/^read_file deploy\/id_rsa was refused automatically \(deploy\/id_rsa looks like a file that holds secrets \(id_\*\)/);
    expect(results[2]).toMatch(/^read_file certs\/ca\.pem was refused automatically/);
    // grep finds the value only in files the model may not read: it says lines were left out.
    expect(results[3]).toMatch(/^No matches for sk-live in files you may read\.\n\(4 matching lines in files you may not read left out\)$/);
    expect(results[4]).toMatch(/^Editing certs\/server\.key is not allowed: certs\/server\.key looks like a file that holds secrets/);
    expect(results[5]).toMatch(/^Editing config\/\.env\.production is not allowed/);
    // Run in the sandbox, which shows the command the file empty (and git's history not at all: the file is tracked).
    expect(results[6]).toBe('exit code 0 (sandbox: no network)\n(no output)');
    // Also .env.example is one until the config names it.
    expect(results[7]).toMatch(/^read_file \.env\.example was refused automatically/);
    expect(existsSync(join(task.task.worktree, 'config'))).toBe(false);
    expect(task.run.code).toBe(0);
  });

  it('opens a secret-looking file the config names, and applies read, run and edit rules; deny beats --approve', async () => {
    const config = {
      permissions: {
        read: { '.env.example': 'allow', 'private/**': 'deny' },
        run: { 'git push *': 'deny' },
        edit: { 'package-lock.json': 'deny', 'docs/**': 'allow' },
      },
    };
    const { task, results } = await attempt(
      [
        call('read_file', { path: '.env.example' }),
        call('read_file', { path: 'private/notes.md' }),
        call('grep', { pattern: 'plan', path: 'private' }),
        call('run_command', { command: 'true && git push origin main' }),
        call('write_file', { path: 'package-lock.json', content: '{"lockfileVersion": 3}\n' }),
        call('write_file', { path: 'docs/guide.md', content: 'new\n' }),
        call('write_file', { path: 'src/new.ts', content: 'export const x = 1;\n' }),
      ],
      { config, approve: 'read,run' },
    );
    expect(results[0]).toMatch(/^1│ API_KEY=$/m);
    expect(results[1]).toMatch(/^read_file private\/notes\.md was refused automatically \(the config denies it \(permissions\.read "private\/\*\*" in .*config\.json\)\)/);
    expect(results[2]).toMatch(/^grep plan in private was refused automatically \(the config denies it/);
    expect(results[3]).toMatch(/^run_command true && git push origin main was refused automatically \(the config denies it \(permissions\.run "git push \*"/);
    expect(results[4]).toMatch(/^Editing package-lock\.json is not allowed: the config denies it/);
    // docs/** is staged without asking; src/new.ts would ask, and there is no terminal.
    expect(results[5]).toMatch(/^Step 1 committed/);
    expect(results[6]).toMatch(/^Nothing was applied: there is no terminal to ask for approval/);
    expect(task.run.stdout).toContain('docs/guide.md: staged without asking (the config allows editing it).');
    expect(task.run.stdout).toMatch(/Edit of src\/new\.ts refused: there is no terminal to ask, and --approve does not include edit/);
    expect(task.repo.git('show', `${task.task.branch}:docs/guide.md`)).toBe('new\n');
    expect(task.repo.git('ls-tree', '--name-only', task.task.branch, 'src/')).toBe('src/app.ts\n');
  });
});
