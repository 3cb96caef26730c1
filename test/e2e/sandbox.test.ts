import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN, runAgent } from '../helpers/agent.js';
import { spawnPty } from '../helpers/pty.js';
import { testState } from '../helpers/state.js';
import { makeRepo, snapshotCheckout, type TestRepo } from '../helpers/repo.js';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

/**
 * Confinement that holds for an approved command (issue 13), through the real agent, the real
 * bubblewrap and real git: a model that tries what a hostile tester tried, with --approve all.
 * The repositories live outside /tmp: a sandboxed command has a /tmp of its own, which would hide
 * a repository there whatever else the sandbox did.
 */

afterEach(closeScriptedTasks);
const open = testState();
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

const OUTSIDE_TMP = '/var/tmp';
// AWS's documented example key pair (IAM User Guide, "Managing access keys"), and a made-up
// OpenAI-style key: values that must reach neither the model nor the audit log.
const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const OPENAI_KEY = 'sk-hunkwise-test-4f9d1c7a2b8e6f30';
const SSH_KEY = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ';
const DOTENV = 'sk-live-dotenv-51c0ffee';
const LOCAL_ENV = 'sk-live-checkout-only-77ab';
const SECRETS = [AWS_KEY_ID, AWS_SECRET, OPENAI_KEY, SSH_KEY, DOTENV, LOCAL_ENV];

const FILES = {
  'src/app.ts': 'export const app = 1;\n',
  '.gitignore': 'node_modules/\n.env.local\n',
  // A careless user committed a .env: its history must stay out of reach too.
  '.env': `API_KEY=${DOTENV}\n`,
};

/** The user's side that no command may change: the checkout (node_modules too), index, refs, stash, config, hooks. */
function userSide(repo: TestRepo): string {
  const hooks = readdirSync(join(repo.root, '.git', 'hooks')).sort();
  const hookBytes = hooks.map((name) => readFileSync(join(repo.root, '.git', 'hooks', name)).toString('base64'));
  return JSON.stringify({ checkout: snapshotCheckout(repo), config: readFileSync(join(repo.root, '.git', 'config'), 'utf8'), hooks, hookBytes });
}

/** The user's repository as the hostile tester had it: a branch, a stash, node_modules, an ignored .env.local, an SSH key. */
function prepare(repo: TestRepo): void {
  repo.git('branch', 'feature');
  repo.write('src/app.ts', 'export const app = 2;\n');
  repo.git('stash', 'push', '-q', '-m', 'work in progress');
  repo.write('node_modules/pkg/index.js', 'module.exports = 1;\n');
  repo.write('.env.local', `TOKEN=${LOCAL_ENV}\n`);
  mkdirSync(join(repo.home, '.ssh'));
  writeFileSync(join(repo.home, '.ssh', 'id_rsa'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${SSH_KEY}\n`);
}

const run = (command: string) => ({ name: 'run_command', arguments: { command } });

describe('an approved command in the sandbox', () => {
  it('reveals no secret and changes nothing of the user\'s, whatever the model runs', async () => {
    let before = '';
    let root = '';
    const hostile = [
      run('env'),
      run('git stash clear'),
      run('git branch -D feature'),
      run('git config core.fsmonitor "touch $HOME/pwned"'),
      run('git update-ref refs/heads/main HEAD; git update-ref -d refs/heads/feature'),
      run('printf "#!/bin/sh\\ntouch $HOME/pwned\\n" > "$(git rev-parse --git-common-dir)/hooks/pre-commit"'),
      run('echo hacked > node_modules/pkg/index.js; rm -rf node_modules/pkg/'),
      run('cat ~/.ssh/id_rsa'),
      run('cat .en?'),
      run('git show HEAD:.env'),
      run('cat "$(git rev-parse --git-common-dir)/../.env.local"; grep -rs sk-live / --include=.env* | head'),
      run('echo made > made.txt'),
    ];
    const task = await runScriptedTask(FILES, [{ toolCalls: hostile }, { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }], {
      under: OUTSIDE_TMP,
      env: { OPENAI_API_KEY: OPENAI_KEY, AWS_ACCESS_KEY_ID: AWS_KEY_ID, AWS_SECRET_ACCESS_KEY: AWS_SECRET },
      prepare: (repo) => {
        prepare(repo);
        root = repo.root;
        before = userSide(repo);
      },
    });
    expect(task.run.code).toBe(0);
    const results = task.server.chatRequests()[1]?.messages.filter((m) => m.role === 'tool').map((m) => m.content) ?? [];
    expect(results).toHaveLength(hostile.length);
    // Nothing secret reached the model (a local one: nothing is masked for it) or the audit log.
    const sent = JSON.stringify(task.server.chatRequests());
    const notes = task.repo.git('log', '--notes=hunkwise', '--format=%B%n%N', `main..${task.task.branch}`);
    for (const secret of SECRETS) {
      expect(sent, secret).not.toContain(secret);
      expect(notes, secret).not.toContain(secret);
    }
    expect(results[0]).toMatch(/^exit code 0 \(sandbox: no network\)\n/);
    expect(results[0]).toContain(`HOME=${task.repo.home}`);
    expect(results[0]).not.toMatch(/OPENAI_API_KEY|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/);
    expect(results[2]).toMatch(/Read-only file system/);
    expect(results[3]).toMatch(/could not lock config file .*Read-only file system/);
    expect(results[6]).toMatch(/Read-only file system/);
    // The user's repository: every byte of it as it was; no hook ran, nothing was planted.
    expect(userSide(task.repo)).toBe(before);
    expect(task.repo.git('stash', 'list')).toContain('work in progress');
    expect(existsSync(join(task.repo.home, 'pwned'))).toBe(false);
    expect(task.repo.read('node_modules/pkg/index.js')).toBe('module.exports = 1;\n');
    // What the model wrote in the worktree is reviewed and committed as usual.
    expect(task.repo.git('show', `${task.task.branch}:made.txt`)).toBe('made\n');
    expect(root).not.toMatch(/^\/tmp\//);
  });

  it('runs `npm test`-like work with git in the worktree: status, diff and add, into a throwaway index', async () => {
    const task = await runScriptedTask(
      { 'src/app.ts': 'export const app = 1;\n' },
      [
        { toolCalls: [run('echo "export const b = 2;" > src/b.ts && git add src/b.ts && git status --short && git log --oneline -1')] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ],
      { under: OUTSIDE_TMP },
    );
    const [result] = task.results;
    expect(result).toMatch(/^exit code 0 \(sandbox: no network\)\nA {2}src\/b\.ts\n[0-9a-f]+ /);
    expect(task.repo.git('show', `${task.task.branch}:src/b.ts`)).toBe('export const b = 2;\n');
  });
});

let withoutBwrap: string | undefined;
afterAll(() => {
  if (withoutBwrap) rmSync(withoutBwrap, { recursive: true, force: true });
});

describe('a language server that runs the project\'s code', () => {
  it('runs in the sandbox: no credential, no secret variable, no write outside the worktree', async () => {
    const server = fileURLToPath(new URL('../fixtures/fake-lsp-server.mjs', import.meta.url));
    // A server program of the repository's own, as a user's config may name one: it looks around, then serves.
    const script = [
      '#!/bin/sh',
      `{ env; cat "$HOME/.ssh/id_rsa"; touch "$HOME/pwned" && echo wrote the home; } > "$(dirname "$0")/../lsp-saw.txt" 2>&1`,
      'exec node "$(dirname "$0")/fake-lsp-server.mjs"',
      '',
    ].join('\n');
    const task = await runScriptedTask(
      // The server's program in the repository, its one package installed in the ignored node_modules.
      { 'tools/lsp.sh': script, 'tools/fake-lsp-server.mjs': readFileSync(server, 'utf8'), 'src/a.ts': 'Greeting\n', '.gitignore': 'node_modules/\n' },
      [{ toolCalls: [{ name: 'find_symbol', arguments: { name: 'Greeting', path: 'src/a.ts' } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }],
      {
        under: OUTSIDE_TMP,
        env: { OPENAI_API_KEY: OPENAI_KEY },
        config: { lsp: { typescript: { command: 'tools/lsp.sh' } } },
        prepare: (repo) => {
          chmodSync(join(repo.root, 'tools', 'lsp.sh'), 0o755);
          mkdirSync(join(repo.root, 'node_modules'));
          symlinkSync(fileURLToPath(new URL('../../node_modules/vscode-jsonrpc', import.meta.url)), join(repo.root, 'node_modules', 'vscode-jsonrpc'));
          repo.git('add', 'tools/lsp.sh');
          repo.git('commit', '-q', '-m', 'executable');
          prepare(repo);
        },
      },
    );
    // It started and answered (the fake offers document symbols only, not the definitions find_symbol needs).
    expect(task.results[0]).toBe('find_symbol failed: The typescript language server does not offer definitions. Use grep and read_file instead.');
    const saw = readFileSync(join(task.task.worktree, 'lsp-saw.txt'), 'utf8');
    expect(saw).toContain(`HOME=${task.repo.home}`);
    for (const secret of SECRETS) expect(saw, secret).not.toContain(secret);
    expect(saw).toMatch(/Read-only file system/);
    expect(saw).not.toContain('wrote the home');
    expect(existsSync(join(task.repo.home, 'pwned'))).toBe(false);
  });
});

/** A PATH that has everything of this one but bubblewrap: links to each program, in a folder of the test's. */
function pathWithoutBwrap(): string {
  if (withoutBwrap) return join(withoutBwrap, 'bin');
  withoutBwrap = mkdtempSync(join(tmpdir(), 'hunkwise-test-path-'));
  const bin = join(withoutBwrap, 'bin');
  mkdirSync(bin);
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder)) {
      if (name === 'bwrap' || existsSync(join(bin, name))) continue;
      symlinkSync(join(folder, name), join(bin, name));
    }
  }
  return bin;
}

describe('where no sandbox can run', () => {
  it('says so at the start, refuses commands with no terminal to ask even under --approve all, and doctor says what to install', async () => {
    const env = { PATH: pathWithoutBwrap() };
    const task = await runScriptedTask(FILES, [{ toolCalls: [run('touch ran.txt')] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }], { env });
    expect(task.run.stdout).toMatch(/No sandbox for commands: bubblewrap \(bwrap\) is not installed, or not on PATH\. Every command is asked, and runs with your rights on your files\. Install bubblewrap: sudo apt-get install bubblewrap/);
    expect(task.results[0]).toBe(
      'run_command touch ran.txt was refused automatically (no sandbox can run here, so every command is asked, and there is no terminal to ask). Continue without it, or ask for something different.',
    );
    expect(existsSync(join(task.task.worktree, 'ran.txt'))).toBe(false);
    const doctor = await runAgent(['doctor'], { cwd: task.repo.root, env: { ...task.repo.env, ...env, OLLAMA_HOST: task.server.url } });
    expect(doctor.stdout).toMatch(/^! sandbox {9}bubblewrap \(bwrap\) is not installed, or not on PATH; every command is asked, and runs unconfined\n {18}fix: Install bubblewrap: sudo apt-get install bubblewrap \(Debian, Ubuntu\)/m);
  });

  it('asks every command at a terminal, --approve all or not, and says it runs unconfined', async () => {
    const server = await startFakeOllama({
      script: [{ toolCalls: [run('touch ran.txt')] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }],
    });
    open.server = server;
    const repo = makeRepo({ 'a.txt': 'a\n' });
    open.repo = repo;
    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', '--approve', 'all', 'touch a file'], {
      cwd: repo.root,
      env: { ...repo.env, OLLAMA_HOST: server.url, PATH: pathWithoutBwrap() },
      cols: 200,
    });
    open.pty = pty;
    await pty.waitFor(/Run this command\?/);
    expect(pty.screen()).toContain('No sandbox for commands: bubblewrap (bwrap) is not installed');
    expect(pty.screen()).toContain('Careful: no sandbox can run here: this command runs with your rights, on your files.');
    expect(pty.screen()).not.toContain('with network');
    pty.type('y');
    // --approve all stages the file the command made without asking; only the command was asked.
    await pty.waitFor(/Follow-up instruction/);
    expect(pty.screen()).toMatch(/step 1 [0-9a-f]{8} run_command touch ran\.txt/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);
  });
});

describe('the network', () => {
  it('is not reached by a command until the person allows network for it at the question', async () => {
    let requests = 0;
    const target = createServer((_request, response) => {
      requests += 1;
      response.end('reached');
    });
    servers.push(target);
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
    const fetch = `node -e "require('http').get('${url}', (r) => r.pipe(process.stdout)).on('error', (e) => console.log(e.code))"`;
    const server = await startFakeOllama({
      script: [{ toolCalls: [run(fetch)] }, { toolCalls: [run(fetch)] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }],
    });
    open.server = server;
    const repo = makeRepo({ 'a.txt': 'a\n' }, { under: OUTSIDE_TMP });
    open.repo = repo;
    const pty = spawnPty(process.execPath, [AGENT_BIN, 'task', 'fetch the page'], {
      cwd: repo.root,
      env: { ...repo.env, OLLAMA_HOST: server.url },
      cols: 200,
    });
    open.pty = pty;
    await pty.waitFor(/w\) Run once, with network/);
    pty.type('y');
    await pty.waitFor(/Run this command\?[\s\S]*Run this command\?/);
    expect(requests).toBe(0);
    pty.type('w');
    await pty.waitFor(/Follow-up instruction/);
    pty.type('\r');
    expect((await pty.exited).exitCode).toBe(0);
    const results = server.chatRequests().slice(1).map((chat) => chat.messages.at(-1)?.content);
    expect(results[0]).toBe('exit code 0 (sandbox: no network)\nECONNREFUSED\n');
    expect(results[1]).toBe('exit code 0\nreached');
    expect(requests).toBe(1);
  });
});
