import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeModel, type FakeOllama, type FakeScript, startFakeOllama } from '../fake-ollama/server.js';
import { type AgentRun, runAgent } from '../helpers/agent.js';
import { diverge, makeRepo, snapshotCheckout, type TestRepo, writeUserConfig } from '../helpers/repo.js';
import { closedPort, onlyTask, readTask, runTaskToEnd, taskIds } from '../helpers/tasks.js';
import type { TaskRecord } from '../../src/git/task-store.js';

/**
 * SPEC section 10, each situation through the real `agent` binary: a message that says what
 * happened and what to do (the command, where there is one), exit 1 for a failed task or command
 * and 2 for bad usage (0 only where the task rightly goes on: the text tool protocol, a language
 * server missing), no stack trace, and nothing lost: the user's checkout byte for byte as before
 * and, where there is a task, its branch intact.
 */

const FAKE_LSP = fileURLToPath(new URL('../fixtures/fake-lsp-server.mjs', import.meta.url));
const FILES = { 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'alpha\nbeta\n' };
const edit = (path: string, oldText: string, newText: string) => ({
  toolCalls: [{ name: 'edit_file', arguments: { path, old_text: oldText, new_text: newText } }],
});
const FINISH = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
const STACK = /\n\s+at .+:\d+:\d+/;


let servers: FakeOllama[] = [];
let repos: TestRepo[] = [];

afterEach(async () => {
  for (const server of servers) await server.close();
  for (const repo of repos) repo.cleanup();
  servers = [];
  repos = [];
});

function newRepo(files: Record<string, string> = FILES, options: { commit?: boolean } = {}): TestRepo {
  const repo = makeRepo(files, options);
  repos.push(repo);
  return repo;
}

async function setup(
  script: FakeScript,
  options: { files?: Record<string, string>; models?: FakeModel[]; config?: object } = {},
): Promise<{ repo: TestRepo; server: FakeOllama; env: NodeJS.ProcessEnv }> {
  const server = await startFakeOllama({ script, models: options.models });
  servers.push(server);
  const repo = newRepo(options.files);
  if (options.config) writeUserConfig(repo, options.config);
  return { repo, server, env: { ...repo.env, OLLAMA_HOST: server.url } };
}


const agent = (repo: TestRepo, env: NodeJS.ProcessEnv, ...args: string[]): Promise<AgentRun> =>
  runAgent(args, { cwd: repo.root, env });

/** The exit code, every piece of the message, and no stack trace nor "unexpected error". */
function expectSays(run: AgentRun, code: number, ...says: (string | RegExp)[]): void {
  const text = `${run.stdout}${run.stderr}`;
  expect(run.code, text).toBe(code);
  for (const piece of says) {
    if (typeof piece === 'string') expect(text).toContain(piece);
    else expect(text).toMatch(piece);
  }
  expect(text).not.toMatch(STACK);
  expect(text).not.toMatch(/unexpected error/i);
}


/** Runs one task to its end with every class approved; returns its record. */
async function doneTask(repo: TestRepo, env: NodeJS.ProcessEnv, instruction: string): Promise<TaskRecord> {
  const { run, task } = await runTaskToEnd(repo, env, instruction);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return task;
}



function gitFails(repo: TestRepo, ...args: string[]): void {
  expect(() => repo.git(...args)).toThrow();
}

describe('the repository', () => {
  it('not a git repository: says so and how to make one', async () => {
    const repo = newRepo();
    const plain = join(repo.home, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'notes.txt'), 'mine\n');
    // The model server is asked while git looks for the repository: one that never answers must
    // not keep the process waiting once the answer is no longer needed.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const env = { ...repo.env, OLLAMA_HOST: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}` };
      for (const args of [['task', 'do it'], ['list']]) {
        const run = await runAgent(args, { cwd: plain, env });
        expectSays(run, 1, `${plain} is not inside a git repository`, 'run `git init` and make a first commit');
      }
    } finally {
      silent.close();
    }
    expect(readdirSync(plain)).toEqual(['notes.txt']);
  }, 15_000);

  it('no commits yet: says so and gives the first commit line', async () => {
    const repo = newRepo(FILES, { commit: false });
    const before = snapshotCheckout(repo);
    const run = await agent(repo, repo.env, 'task', 'do it');
    expectSays(run, 1, 'The repository has no commits yet (main is unborn)', 'git add -A && git commit -m "Initial commit"');
    expect(snapshotCheckout(repo)).toBe(before);
    expect(taskIds(repo)).toEqual([]);
  });

  it('detached HEAD: refuses, says to git switch a branch or name --base; --base HEAD starts from the commit', async () => {
    const { repo, env } = await setup([FINISH]);
    repo.git('checkout', '-q', '--detach');
    const commit = repo.git('rev-parse', 'HEAD').trim();
    const before = snapshotCheckout(repo);
    const refused = await agent(repo, env, 'task', 'do it');
    expectSays(refused, 1, `HEAD is detached at ${commit.slice(0, 7)}`, 'git switch <branch>', 'git switch -c <new-branch>', 'agent task --base HEAD');
    expect(taskIds(repo)).toEqual([]);
    expect(snapshotCheckout(repo)).toBe(before);

    // Asked for by name, a task starts from the detached commit and records that commit, not "HEAD".
    const started = await agent(repo, env, 'task', 'do it', '--base', 'HEAD', '--approve', 'all');
    expectSays(started, 0);
    const task = onlyTask(repo);
    expect(task.base).toEqual({ ref: commit.slice(0, 12), commit });
    expect(snapshotCheckout(repo)).toBe(before);
    const merge = await agent(repo, env, 'merge', task.id);
    expectSays(merge, 2, 'which is not a branch', `git merge ${task.branch}`);
    expect(snapshotCheckout(repo)).toBe(before);
  });

  it('a merge or a rebase in progress: refuses, says how to finish or abort it, and leaves it as it was', async () => {
    const { repo, env } = await setup([]);
    diverge(repo, 'a.txt', 'one\ndeux\nthree\n', 'one\nzwei\nthree\n');
    gitFails(repo, 'merge', 'other');
    let before = snapshotCheckout(repo);
    for (const args of [['task', 'do it'], ['task', 'do it', '--base', 'main']]) {
      const run = await agent(repo, env, ...args);
      expectSays(run, 1, 'A merge is in progress in', '(git commit)', '(git merge --abort)', 'then start the task again');
    }
    expect(snapshotCheckout(repo)).toBe(before);
    expect(existsSync(join(repo.root, '.git', 'MERGE_HEAD'))).toBe(true);

    repo.git('merge', '--abort');
    gitFails(repo, 'rebase', 'other');
    before = snapshotCheckout(repo);
    const run = await agent(repo, env, 'task', 'do it');
    expectSays(run, 1, 'A rebase is in progress in', '(git rebase --continue)', '(git rebase --abort)');
    expect(snapshotCheckout(repo)).toBe(before);
    expect(existsSync(join(repo.root, '.git', 'rebase-merge'))).toBe(true);
    expect(taskIds(repo)).toEqual([]);
  });
});

describe('git itself', () => {
  it('no identity to author commits with: says so once, with the two config lines, and leaves the checkout as it was', async () => {
    const { repo, env } = await setup([FINISH]);
    const before = snapshotCheckout(repo);
    const anonymous: NodeJS.ProcessEnv = { ...env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.useConfigOnly', GIT_CONFIG_VALUE_0: 'true' };
    for (const name of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL']) delete anonymous[name];
    const run = await agent(repo, anonymous, 'task', 'do it');
    expectSays(run, 1, 'git does not know who you are, and every step commit is authored by you.', 'git config --global user.name "Your Name" && git config --global user.email you@example.com');
    expect(run.stderr).not.toMatch(/Please tell me who you are|failed \(exit/);
    expect(snapshotCheckout(repo)).toBe(before);
  });

  it('not on PATH: says to install it', async () => {
    const repo = newRepo();
    const run = await agent(repo, { ...repo.env, PATH: '/nonexistent' }, 'list');
    expectSays(run, 1, 'git was not found on PATH, and hunkwise keeps every task in git.', 'apt install git');
  });
});

describe('the model', () => {
  it('the Ollama server not running: says how to start it', async () => {
    const repo = newRepo();
    const before = snapshotCheckout(repo);
    const run = await agent(repo, { ...repo.env, OLLAMA_HOST: `http://127.0.0.1:${await closedPort()}` }, 'task', 'do it');
    expectSays(run, 1, /Cannot reach Ollama at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/, 'Start it with: ollama serve');
    expect(snapshotCheckout(repo)).toBe(before);
    expect(existsSync(join(repo.root, '.git', 'hunkwise'))).toBe(false);
  });

  it('the model not pulled: gives the ollama pull line', async () => {
    const { repo, env } = await setup([]);
    const before = snapshotCheckout(repo);
    const run = await agent(repo, env, 'task', 'do it', '--model', 'ollama/llama9:70b');
    expectSays(run, 1, 'has no model "llama9:70b"', 'ollama pull llama9:70b');
    expect(snapshotCheckout(repo)).toBe(before);
    expect(taskIds(repo)).toEqual([]);
  });

  it('a model without tool calling: says it switches to the text protocol, and the task goes on', async () => {
    const call = `<tool_call>${JSON.stringify({ name: 'edit_file', arguments: { path: 'a.txt', old_text: 'two', new_text: 'TWO' } })}</tool_call>`;
    const done = `<tool_call>${JSON.stringify(FINISH.toolCalls[0])}</tool_call>`;
    // Known from /api/show, and found out only when the server refuses the tools.
    for (const model of [
      { name: 'qwen2.5-coder:7b', tools: false },
      { name: 'qwen2.5-coder:7b', tools: false, showsCapabilities: false },
    ]) {
      const { repo, env } = await setup([{ content: call }, { content: done }], { models: [model] });
      const before = snapshotCheckout(repo);
      const run = await agent(repo, env, 'task', 'capitalise two', '--approve', 'all');
      expectSays(run, 0, 'qwen2.5-coder:7b does not call tools natively: its tools are described in the prompt');
      expect(repo.git('show', `${onlyTask(repo).branch}:a.txt`)).toBe('one\nTWO\nthree\n');
      expect(snapshotCheckout(repo)).toBe(before);
    }
  });

  it('a remote model as the config default: refused before anything is contacted, with the --model line', async () => {
    const repo = newRepo();
    writeUserConfig(repo, { model: 'cloud/big-model', providers: { cloud: { baseUrl: 'https://models.example.invalid/v1' } } });
    const before = snapshotCheckout(repo);
    const run = await agent(repo, repo.env, 'task', 'do it');
    expectSays(run, 2, 'is served from https://models.example.invalid/v1, which is not this machine', 'agent task --model cloud/big-model "..."');
    expect(snapshotCheckout(repo)).toBe(before);
    expect(taskIds(repo)).toEqual([]);
  });

  it('the connection lost in the middle of a stream: stops resumable, says how, and --resume finishes', async () => {
    // Every answer breaks off after its first line, the retries' too.
    const { repo, server, env } = await setup(() => ({ content: 'Let me look at the file first, then edit it.', cutAfter: 1 }));
    const before = snapshotCheckout(repo);
    const run = await agent(repo, env, 'task', 'capitalise two', '--approve', 'all');
    const task = onlyTask(repo);
    expectSays(run, 1, /connection to Ollama at http:\/\/127\.0\.0\.1:\d+ broke/i, `agent task --resume ${task.id}`);
    expect(repo.git('rev-list', '--count', `main..${task.branch}`).trim()).toBe('1');
    expect(snapshotCheckout(repo)).toBe(before);

    server.setScript([edit('a.txt', 'two', 'TWO'), FINISH]);
    const resumed = await agent(repo, env, 'task', '--resume', task.id, '--approve', 'all');
    expectSays(resumed, 0);
    expect(readTask(repo, task.id).status).toBe('ready');
    expect(repo.git('show', `${task.branch}:a.txt`)).toBe('one\nTWO\nthree\n');
    expect(snapshotCheckout(repo)).toBe(before);
  }, 30_000);
});

describe('the language server', () => {
  it('missing, or crashing: the user is told why and what to do, and the task goes on with the text tools', async () => {
    const files = { 'src/value.ts': 'export const value = 1;\n' };
    const findValue = { toolCalls: [{ name: 'find_symbol', arguments: { name: 'value', path: 'src/value.ts' } }] };
    const missing = await setup([findValue, FINISH], {
      files,
      config: { lsp: { typescript: { command: '/nonexistent/tsls', args: ['--stdio'] } } },
    });
    const run = await agent(missing.repo, missing.env, 'task', 'find value', '--approve', 'all');
    expectSays(
      run,
      0,
      'No typescript language server: its configured command /nonexistent/tsls was not found',
      'Fix "lsp.typescript.command" in your config (a program on PATH, or a path from the repository root).',
      'the text tools (read_file, grep, edit_file) still work',
    );

    // The fake server exits whenever it is asked about a file named crash*: restarted once, then given up.
    const findInCrash = { toolCalls: [{ name: 'find_symbol', arguments: { name: 'value', path: 'src/crash.ts' } }] };
    const crashing = await setup([findInCrash, findInCrash, FINISH], {
      files: { 'src/crash.ts': 'export const value = 1;\n' },
      config: { lsp: { typescript: { command: process.execPath, args: [FAKE_LSP] } } },
    });
    const before = snapshotCheckout(crashing.repo);
    const crashed = await agent(crashing.repo, { ...crashing.env, FAKE_LSP_MODE: 'crash' }, 'task', 'find value', '--approve', 'all');
    expectSays(
      crashed,
      0,
      'The typescript language server crashed (exited with code 3); restarting it.',
      'The typescript language server crashed twice',
      'The text tools (read_file, grep, edit_file) still work.',
      'turn it off with "lsp": { "typescript": false }',
    );
    expect(crashing.server.chatRequests()[1]?.messages.at(-1)?.content).toMatch(/Use grep and read_file instead/);
    expect(snapshotCheckout(crashing.repo)).toBe(before);
  }, 30_000);
});

describe('merging and naming tasks', () => {
  it('a merge that conflicts: nothing merged, both branches as they were, the files named; never mixed with the user\'s own merge', async () => {
    const { repo, env } = await setup([edit('a.txt', 'two', 'TWO'), FINISH]);
    const task = await doneTask(repo, env, 'capitalise two');
    repo.write('a.txt', 'one\ndeux\nthree\n');
    repo.git('commit', '-qam', 'my own change to the same line');
    let before = snapshotCheckout(repo);
    const tip = repo.git('rev-parse', task.branch);
    const merge = await agent(repo, env, 'merge', task.id);
    expectSays(
      merge,
      1,
      `Merging task ${task.id} into main would conflict in:\n  a.txt\n`,
      `Nothing was merged; main, ${task.branch} and your checkout are as they were.`,
      `git merge --no-ff ${task.branch}`,
    );
    expect(snapshotCheckout(repo)).toBe(before);
    expect(repo.git('rev-parse', task.branch)).toBe(tip);
    expect(existsSync(join(repo.root, '.git', 'MERGE_HEAD'))).toBe(false);
    expect(readTask(repo, task.id).status).toBe('ready');

    // The user's own merge, stopped on a conflict: agent merge leaves it alone.
    repo.git('checkout', '-q', '-b', 'other', 'HEAD~1');
    repo.write('a.txt', 'one\nzwei\nthree\n');
    repo.git('commit', '-qam', 'other: zwei');
    repo.git('checkout', '-q', 'main');
    gitFails(repo, 'merge', 'other');
    before = snapshotCheckout(repo);
    const during = await agent(repo, env, 'merge', task.id);
    expectSays(during, 1, 'A merge is in progress in', '(git merge --abort)', `then run agent merge ${task.id} again`);
    expect(snapshotCheckout(repo)).toBe(before);
    expect(existsSync(join(repo.root, '.git', 'MERGE_HEAD'))).toBe(true);
    expect(repo.git('rev-parse', task.branch)).toBe(tip);
  });

  it('a task id that matches nothing or several: lists the tasks and says how to name one', async () => {
    const { repo, env } = await setup([FINISH, FINISH]);
    const first = await doneTask(repo, env, 'first');
    const second = await doneTask(repo, env, 'second');
    const before = snapshotCheckout(repo);
    const none = await agent(repo, env, 'show', 'zzz');
    expectSays(none, 2, "No task of this repository is named 'zzz'. The tasks are:", first.id, second.id, 'agent list shows the tasks');
    const several = await agent(repo, env, 'merge', 'agent/');
    expectSays(several, 2, "'agent/' matches 2 tasks:", first.branch, second.branch, 'Give more characters of the id, or the whole branch name.');
    expect(snapshotCheckout(repo)).toBe(before);
    expect(readTask(repo, first.id).status).toBe('ready');
  });
});

describe('a worktree deleted by hand', () => {
  it('between runs: list, show and prune name the folder and the fix, --resume makes it again, merge goes on', async () => {
    const { repo, server, env } = await setup([edit('a.txt', 'two', 'TWO'), FINISH]);
    const task = await doneTask(repo, env, 'capitalise two');
    const tip = repo.git('rev-parse', task.branch);
    const before = snapshotCheckout(repo);
    rmSync(task.worktree, { recursive: true, force: true });
    const note = `its worktree ${task.worktree} was deleted by hand; agent task --resume ${task.id} makes it again from ${task.branch}`;

    const list = await agent(repo, env, 'list');
    expectSays(list, 0, note);
    const json = await agent(repo, env, 'list', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject([{ id: task.id, worktreeExists: false, worktreeMissing: true }]);
    const show = await agent(repo, env, 'show', task.id, '--stat');
    expectSays(show, 0, `worktree ${task.worktree} (deleted by hand: agent task --resume ${task.id} makes it again`);
    const prune = await agent(repo, env, 'prune');
    expectSays(prune, 0, note);
    expect(repo.git('worktree', 'list')).not.toContain(task.worktree);
    expect(repo.git('rev-parse', task.branch)).toBe(tip);
    expect(snapshotCheckout(repo)).toBe(before);

    server.setScript([FINISH]);
    const resumed = await agent(repo, env, 'task', '--resume', task.id, 'check it once more', '--approve', 'all');
    expectSays(resumed, 0, `The worktree ${task.worktree} had been deleted by hand; it was made again from ${task.branch}`);
    expect(readFileSync(join(task.worktree, 'a.txt'), 'utf8')).toBe('one\nTWO\nthree\n');
    expect(repo.git('rev-parse', task.branch)).toBe(tip);

    rmSync(task.worktree, { recursive: true, force: true });
    const merge = await agent(repo, env, 'merge', task.id);
    expectSays(merge, 0, `Merged ${task.branch} into main`, 'Worktree was already deleted by hand.');
    expect(repo.git('show', 'main:a.txt')).toBe('one\nTWO\nthree\n');
    expect(repo.git('worktree', 'list')).not.toContain(task.worktree);
  });

  it('while the task runs: stops with the folder and the fix, the branch keeps every step, --resume goes on', async () => {
    let user: TestRepo | undefined;
    const script: FakeScript = (_body, index) => {
      if (index === 0) return edit('a.txt', 'two', 'TWO');
      // Deleted while the model "thinks"; then it calls a tool.
      if (user) rmSync(onlyTask(user).worktree, { recursive: true, force: true });
      return { ...edit('b.txt', 'beta', 'BETA'), delayMs: 200 };
    };
    const { repo, server, env } = await setup(script);
    user = repo;
    const before = snapshotCheckout(repo);
    const run = await agent(repo, env, 'task', 'capitalise', '--approve', 'all');
    const task = onlyTask(repo);
    expectSays(
      run,
      1,
      `The worktree of task ${task.id}, ${task.worktree}, was deleted while the task ran`,
      `every step is on ${task.branch}`,
      `agent task --resume ${task.id}`,
    );
    expect(repo.git('log', '--format=%(trailers:key=Agent-Step,valueonly)', `main..${task.branch}`).split('\n').filter(Boolean)).toEqual(['1', '0']);
    expect(repo.git('show', `${task.branch}:a.txt`)).toBe('one\nTWO\nthree\n');
    expect(existsSync(task.worktree)).toBe(false);
    expect(snapshotCheckout(repo)).toBe(before);

    // The call that was stopped runs again on resume, in the worktree made again from the branch.
    server.setScript([FINISH]);
    const resumed = await agent(repo, env, 'task', '--resume', task.id, '--approve', 'all');
    expectSays(resumed, 0, 'it was made again');
    expect(repo.git('show', `${task.branch}:b.txt`)).toBe('alpha\nBETA\n');
    expect(readFileSync(join(task.worktree, 'a.txt'), 'utf8')).toBe('one\nTWO\nthree\n');
    expect(readFileSync(join(task.worktree, 'b.txt'), 'utf8')).toBe('alpha\nBETA\n');
    expect(snapshotCheckout(repo)).toBe(before);
  });
});
