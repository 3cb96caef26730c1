import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAgent } from '../helpers/agent.js';
import type { TestRepo } from '../helpers/repo.js';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

/**
 * Repositories as users have them: SHA-256 object ids, submodules, symbolic links, Git LFS
 * pointers, file names with newlines, tabs, quotes and accents, ignored paths, hooks everywhere,
 * and model text with bytes git refuses. Each through a real task, its step commits and a merge.
 */

afterEach(closeScriptedTasks);

const call = (name: string, args: Record<string, unknown>, content = '') => ({ content, toolCalls: [{ name, arguments: args }] });
const FINISH = call('finish', { summary: 'done' });
/** Sandboxed commands have a /tmp of their own: repositories they work in live elsewhere. */
const UNDER = '/var/tmp';

const merge = async (repo: TestRepo, id: string, ...flags: string[]) => {
  const run = await runAgent(['merge', id, ...flags], { cwd: repo.root, env: repo.env });
  expect(run.code, run.stderr).toBe(0);
  return run;
};

describe('a SHA-256 repository', () => {
  it('takes a task that adds, edits and deletes files, and merges it', async () => {
    const { run, repo, task } = await runScriptedTask(
      { 'a.txt': 'one\ntwo\n', 'b.txt': 'bee\n' },
      [
        call('edit_file', { path: 'a.txt', old_text: 'two', new_text: 'TWO' }),
        call('write_file', { path: 'c/new.txt', content: 'new\n' }),
        call('run_command', { command: 'rm b.txt' }),
        FINISH,
      ],
      { objectFormat: 'sha256', under: UNDER },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(repo.git('rev-parse', '--show-object-format').trim()).toBe('sha256');
    expect(repo.git('log', '--format=%s', `main..${task.branch}`).split('\n').filter(Boolean)).toHaveLength(4);
    expect(repo.git('ls-tree', '-r', '--name-only', task.branch).split('\n').filter(Boolean).sort()).toEqual(['a.txt', 'c/new.txt']);
    const notes = repo.git('notes', '--ref=hunkwise', 'list').trim().split('\n');
    expect(notes).toHaveLength(3);
    for (const note of notes) expect(note).toMatch(/^[0-9a-f]{64} [0-9a-f]{64}$/);
    await merge(repo, task.id);
    expect(repo.read('a.txt')).toBe('one\nTWO\n');
    expect(existsSync(join(repo.root, 'b.txt'))).toBe(false);
    expect(repo.git('fsck', '--no-progress').trim()).toBe('');
  });

  it('completes a deleting step killed half way on resume', async () => {
    const { run, repo, task, server } = await runScriptedTask(
      { 'a.txt': 'one\n', 'b.txt': 'bee\n' },
      [call('run_command', { command: 'rm b.txt' }), FINISH],
      { objectFormat: 'sha256', under: UNDER, env: { HUNKWISE_KILL_AT: 'step:staged' } },
    );
    expect(run.signal ?? run.code).not.toBe(0);
    server.setScript([FINISH]);
    const resumed = await runAgent(['task', '--resume', task.id, '--approve', 'all'], {
      cwd: repo.root,
      env: { ...repo.env, OLLAMA_HOST: server.url },
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(repo.git('ls-tree', '-r', '--name-only', task.branch).trim()).toBe('a.txt');
    expect(repo.git('log', '-1', '--format=%(trailers:key=Agent-Step,valueonly)', task.branch).trim()).toBe('1');
  });
});

describe('file names with a newline, a tab, quotes and accents', () => {
  it('are committed under their own names with their own content, and merged', async () => {
    const names = ['new\nline.txt', 'tab\there.txt', 'it\'s "quoted".txt', 'dossier/café ü.txt', '"lead.txt', 'back\\slash *.txt'];
    const { run, repo, task, results } = await runScriptedTask(
      { 'keep.txt': 'keep\n' },
      [
        // A command makes the names tools refuse to be given (control characters): its changes are a step.
        call('run_command', { command: `printf 'one\\n' > "$(printf 'new\\nline.txt')" && printf 'two\\n' > "$(printf 'tab\\there.txt')"` }),
        call('write_file', { path: names[2], content: 'three\n' }),
        call('write_file', { path: names[3], content: 'four\n' }),
        call('write_file', { path: names[4], content: 'five\n' }),
        call('write_file', { path: names[5], content: 'six\n' }),
        FINISH,
      ],
      { under: UNDER },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(results.join('\n')).not.toMatch(/error|failed/i);
    const tree = repo.git('ls-tree', '-r', '-z', '--name-only', task.branch).split('\0').filter(Boolean).sort();
    expect(tree).toEqual([...names, 'keep.txt'].sort());
    const contents = names.map((name) => repo.git('cat-file', 'blob', `${task.branch}:${name}`));
    expect(contents).toEqual(['one\n', 'two\n', 'three\n', 'four\n', 'five\n', 'six\n']);
    await merge(repo, task.id, '--squash');
    expect(names.map((name) => readFileSync(join(repo.root, name), 'utf8'))).toEqual(['one\n', 'two\n', 'three\n', 'four\n', 'five\n', 'six\n']);
    expect(repo.git('status', '--porcelain')).toBe('');
  });
});

describe('a repository with a submodule', () => {
  it('refuses an edit inside it with a message, keeps the gitlink through a step and a merge', async () => {
    const { run, repo, task, results } = await runScriptedTask(
      { 'a.txt': 'one\n' },
      [
        call('write_file', { path: 'lib/inside.txt', content: 'not mine to write\n' }),
        call('edit_file', { path: 'a.txt', old_text: 'one', new_text: 'ONE' }),
        FINISH,
      ],
      {
        prepare: (repo) => {
          const sub = join(repo.root, '..', 'sub');
          mkdirSync(sub);
          const env = { ...repo.env };
          const inSub = (...args: string[]) => execFileSync('git', args, { cwd: sub, env });
          inSub('init', '-q', '-b', 'main');
          writeFileSync(join(sub, 'inside.txt'), 'the library\n');
          inSub('add', '-A');
          inSub('commit', '-q', '-m', 'library');
          repo.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'lib');
          repo.git('commit', '-q', '-m', 'a submodule');
        },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(results[0]).toContain('lib/inside.txt is inside the submodule lib: hunkwise does not edit submodules');
    const gitlink = repo.git('ls-tree', 'main', 'lib');
    expect(gitlink).toMatch(/^160000 commit /);
    expect(repo.git('ls-tree', task.branch, 'lib')).toBe(gitlink);
    await merge(repo, task.id);
    expect(repo.git('ls-files', '-s', 'lib')).toMatch(/^160000 /);
    expect(repo.read('lib/inside.txt')).toBe('the library\n');
    expect(repo.read('a.txt')).toBe('ONE\n');
  });
});

describe('symbolic links and Git LFS pointers', () => {
  it('an edit through a link edits its target inside the worktree; the link stays a link', async () => {
    const { run, repo, task } = await runScriptedTask(
      { 'src/real.ts': 'export const x = 1;\n' },
      [
        call('edit_file', { path: 'current.ts', old_text: 'x = 1', new_text: 'x = 2' }),
        call('write_file', { path: 'lib/more.ts', content: 'export const y = 3;\n' }),
        FINISH,
      ],
      {
        prepare: (repo) => {
          symlinkSync('src/real.ts', join(repo.root, 'current.ts'));
          symlinkSync('src', join(repo.root, 'lib'));
          repo.git('add', '-A');
          repo.git('commit', '-q', '-m', 'links');
        },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(repo.git('ls-tree', task.branch, 'current.ts', 'lib')).toMatch(/^120000 blob .*\tcurrent\.ts\n120000 blob .*\tlib\n$/);
    expect(repo.git('show', `${task.branch}:src/real.ts`)).toBe('export const x = 2;\n');
    expect(repo.git('show', `${task.branch}:src/more.ts`)).toBe('export const y = 3;\n');
    await merge(repo, task.id);
    expect(lstatSync(join(repo.root, 'current.ts')).isSymbolicLink()).toBe(true);
    expect(repo.read('current.ts')).toBe('export const x = 2;\n');
  });

  it('a link to a withheld file is read and edited as that file: refused', async () => {
    const { run, results } = await runScriptedTask(
      { '.env': 'API_TOKEN=hunter2\n' },
      [call('read_file', { path: 'notes.md' }), call('write_file', { path: 'notes.md', content: 'x\n' }), FINISH],
      {
        prepare: (repo) => {
          symlinkSync('.env', join(repo.root, 'notes.md'));
          repo.git('add', '-A');
          repo.git('commit', '-q', '-m', 'a link');
        },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(results.join('\n')).not.toContain('hunter2');
    expect(results[0]).toContain('.env');
    expect(results[1]).toMatch(/^Editing \.env is not allowed/);
  });

  it('refuses to edit a Git LFS pointer file, saying why', async () => {
    const pointer =
      'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n';
    const { run, repo, task, results } = await runScriptedTask(
      { 'art/logo.psd': pointer, '.gitattributes': '*.psd filter=lfs diff=lfs merge=lfs -text\n' },
      [call('write_file', { path: 'art/logo.psd', content: 'a picture\n' }), FINISH],
    );
    expect(run.code, run.stderr).toBe(0);
    expect(results[0]).toBe('art/logo.psd is a Git LFS pointer (its content is stored by Git LFS): hunkwise does not edit it.');
    expect(repo.git('show', `${task.branch}:art/logo.psd`)).toBe(pointer);
  });
});

describe('ignored paths and the model text git refuses', () => {
  it('a new ignored file is named as such; a NUL or an escape in the model text does not block the step', async () => {
    const { run, repo, task, results } = await runScriptedTask(
      { '.gitignore': '*.local\n', 'a.txt': 'one\n' },
      [
        call('write_file', { path: 'settings.local', content: 'debug=true\n' }),
        call('edit_file', { path: 'a.txt', old_text: 'one', new_text: 'ONE' }, 'Upper-case it.\u0000 Done\u001b[2J.'),
        FINISH,
      ],
    );
    expect(run.code, run.stderr).toBe(0);
    expect(results[0]).toContain('settings.local is ignored by the repository (.gitignore:1: *.local); a step commits it all the same.');
    const message = repo.git('log', '-1', '--format=%B', task.branch);
    expect(message).toContain('Upper-case it.\\x00 Done\\x1b[2J.');
    expect(repo.git('show', `${task.branch}:a.txt`)).toBe('ONE\n');
  });
});

describe('hooks of every kind, all failing', () => {
  const HOOKS = [
    'applypatch-msg', 'pre-applypatch', 'post-applypatch', 'pre-commit', 'pre-merge-commit', 'prepare-commit-msg',
    'commit-msg', 'post-commit', 'pre-rebase', 'post-checkout', 'post-merge', 'pre-push', 'pre-receive', 'update',
    'proc-receive', 'post-receive', 'post-update', 'reference-transaction', 'push-to-checkout', 'pre-auto-gc',
    'post-rewrite', 'sendemail-validate', 'fsmonitor-watchman', 'post-index-change',
  ];

  it('do not run in the steps of a task, which commit as without them; undo and a resume work', async () => {
    let log = '';
    const { run, repo, task, resume, server } = await runScriptedTask(
      { 'a.txt': 'one\ntwo\n' },
      [
        call('edit_file', { path: 'a.txt', old_text: 'one', new_text: 'ONE' }),
        call('run_command', { command: 'echo three >> a.txt' }),
        FINISH,
      ],
      {
        under: UNDER,
        prepare: (repo) => {
          const dir = join(repo.home, 'hooks');
          log = join(repo.home, 'hooks.log');
          mkdirSync(dir);
          for (const hook of HOOKS) {
            writeFileSync(join(dir, hook), `#!/bin/sh\necho ${hook} >> '${log}'\nexit 1\n`);
            chmodSync(join(dir, hook), 0o755);
          }
          repo.git('config', 'core.hooksPath', dir);
        },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(repo.git('log', '--format=%s', `main..${task.branch}`).split('\n').filter(Boolean)).toHaveLength(3);
    expect(repo.git('notes', '--ref=hunkwise', 'list').trim().split('\n')).toHaveLength(2);
    const undo = await runAgent(['undo', task.id], { cwd: repo.root, env: repo.env });
    expect(undo.code, undo.stderr).toBe(0);
    server.setScript([FINISH]);
    const resumed = await resume();
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
  });
});
