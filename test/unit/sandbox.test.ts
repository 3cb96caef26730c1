import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { findBwrap } from '../../src/sandbox/support.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

/**
 * The sandbox of src/sandbox/ run for real: bubblewrap, a real repository with a task worktree,
 * the user's checkout with its node_modules and an ignored .env, a home with credentials. Each
 * case runs what a hostile or careless command would, and checks the user's side byte for byte.
 */

const SECRET = 'AKIAIOSFODNN7EXAMPLE';
/** Where the test repositories live: not /tmp, which a sandboxed command sees as its own. */
const OUTSIDE_TMP = '/var/tmp';
const open: TestRepo[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const repo of open.splice(0)) repo.cleanup();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

let bwrap = '';
beforeAll(() => {
  const found = findBwrap();
  if (!found.ok) throw new Error(`these tests need bubblewrap: ${found.why}`);
  bwrap = found.bwrap;
});

interface World {
  repo: TestRepo;
  worktree: string;
  sandbox: Sandbox;
  /** Every byte (and link) under a folder, for before/after comparisons. */
  snapshot(folder: string): string;
  run(command: string, network?: boolean, env?: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }>;
}

function world(files: Record<string, string> = {}): World {
  const repo = makeRepo({ 'src/app.ts': 'export const app = 1;\n', '.gitignore': 'node_modules/\n.env\n', ...files }, { under: OUTSIDE_TMP });
  open.push(repo);
  repo.git('branch', 'feature');
  repo.git('stash', 'list');
  repo.write('node_modules/pkg/index.js', 'module.exports = 1;\n');
  repo.write('.env', `AWS_ACCESS_KEY_ID=${SECRET}\n`);
  const worktree = join(repo.home, '.local', 'state', 'hunkwise', 'worktrees', 'repo-1', 'k1-task');
  repo.git('worktree', 'add', '-q', '-b', 'agent/k1-task', worktree);
  // The task's mirror of the dependency folder, as git/worktree.ts makes it.
  mkdirSync(join(worktree, 'node_modules'));
  execIn(worktree, 'ln', '-s', join(repo.root, 'node_modules', 'pkg'), join(worktree, 'node_modules', 'pkg'));
  mkdirSync(join(repo.home, '.ssh'));
  writeFileSync(join(repo.home, '.ssh', 'id_rsa'), `${SECRET}\n`);
  writeFileSync(join(repo.home, '.netrc'), `machine example.com password ${SECRET}\n`);
  const sandbox = createSandbox({
    bwrap,
    worktree,
    commonDir: join(repo.root, '.git'),
    hiddenFolders: [join(repo.home, '.config', 'hunkwise'), join(repo.home, '.local', 'state', 'hunkwise')],
    credentials: [join(repo.home, '.ssh'), join(repo.home, '.netrc'), join(repo.home, '.aws')],
    withheld: { pathspecs: [':(glob)**/.env*'], hides: (rel) => rel.split('/').at(-1)?.startsWith('.env') === true },
  });
  return {
    repo,
    worktree,
    sandbox,
    snapshot: (folder) => snapshot(folder),
    run: async (command, network = false, env = {}) => {
      const wrapped = await sandbox.wrap(['sh', '-c', command], network);
      try {
        return await runAsync(wrapped.file, wrapped.args, { ...repo.env, ...env });
      } finally {
        wrapped.cleanup();
      }
    },
  };
}

/** Runs a process without blocking this one (a test's HTTP server must answer meanwhile). */
function runAsync(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

function execIn(cwd: string, file: string, ...args: string[]): void {
  const result = spawnSync(file, args, { cwd });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.stderr}`);
}

function snapshot(folder: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const stat = lstatSync(abs);
      if (stat.isSymbolicLink()) hash.update(`${abs} -> ${readlinkSync(abs)}\n`);
      else if (stat.isDirectory()) walk(abs);
      else hash.update(`${abs} ${stat.ino} ${stat.mtimeMs} `).update(readFileSync(abs));
    }
  };
  walk(folder);
  return hash.digest('hex');
}

describe('the command sandbox (bubblewrap)', () => {
  it('writes in the worktree and its own /tmp, nowhere else', async () => {
    const w = world();
    const outside = join(w.repo.home, 'outside.txt');
    const result = await w.run(`echo made > made.txt && echo tmp > /tmp/t && cat /tmp/t && echo x > ${outside}; echo y > ${w.repo.root}/src/app.ts`);
    expect(result.out).toContain('tmp');
    expect(readFileSync(join(w.worktree, 'made.txt'), 'utf8')).toBe('made\n');
    expect(existsSync(outside)).toBe(false);
    expect(w.repo.read('src/app.ts')).toBe('export const app = 1;\n');
    expect(result.out).toMatch(/Read-only file system/);
  });

  it('gives temporary files its own /tmp, wherever the user\'s TMPDIR points', async () => {
    const w = world();
    const result = await w.run('mktemp; echo "$TMPDIR"; [ -z "$TMP" ] && echo no TMP', false, { TMPDIR: join(w.repo.home, 'tmp'), TMP: join(w.repo.home, 'tmp') });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^\/tmp\/tmp\.\w+\n\/tmp\nno TMP\n$/);
  });

  it('keeps the user\'s branches, stash, config, hooks and refs as they were, whatever git the command runs', async () => {
    const w = world();
    w.repo.write('work.txt', 'unsaved\n');
    w.repo.git('stash', 'push', '-u', '-q', '-m', 'mine');
    const before = w.snapshot(join(w.repo.root, '.git'));
    const hostile = [
      'git stash clear',
      'git branch -D feature',
      'git config core.fsmonitor "touch /tmp/pwned"',
      'git update-ref refs/heads/main HEAD~0 2>&1; git update-ref -d refs/heads/feature',
      'echo "touch /tmp/pwned" > "$(git rev-parse --git-common-dir)/hooks/pre-commit"',
      `echo evil > ${w.repo.root}/.git/hooks/post-checkout`,
      `rm -rf ${w.repo.root}/.git/objects`,
      'echo "gitdir: /tmp/fake" > .git',
      'git worktree add -q /tmp/other',
    ];
    for (const command of hostile) await w.run(command);
    expect(w.snapshot(join(w.repo.root, '.git'))).toBe(before);
    expect(readFileSync(join(w.worktree, '.git'), 'utf8')).toMatch(/^gitdir: /);
    expect(w.repo.git('stash', 'list')).toContain('mine');
  });

  it('lets git work in the worktree: status, log, diff, add (into a throwaway index)', async () => {
    const w = world();
    const before = w.snapshot(join(w.repo.root, '.git'));
    const result = await w.run('echo new > new.txt && git add new.txt && git status --short && git log --oneline -1 && git diff --cached --stat');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/A {2}new\.txt/);
    expect(result.out).toContain('Initial commit');
    expect(w.snapshot(join(w.repo.root, '.git'))).toBe(before);
  });

  it('mirrors node_modules read-only: writes and deletes change nothing of the user\'s', async () => {
    const w = world();
    const before = w.snapshot(join(w.repo.root, 'node_modules'));
    await w.run('echo hacked > node_modules/pkg/index.js; rm -rf node_modules/pkg/; echo x > node_modules/pkg/new.js');
    expect(w.snapshot(join(w.repo.root, 'node_modules'))).toBe(before);
    const read = await w.run('cat node_modules/pkg/index.js');
    expect(read.out).toBe('module.exports = 1;\n');
  });

  it('hides credentials, the user\'s checkout and the worktree\'s secret files', async () => {
    const w = world();
    w.repo.write('deploy.sh', 'echo deploy\n');
    writeFileSync(join(w.worktree, '.env.local'), `TOKEN=${SECRET}\n`);
    const commands = [
      `cat ${w.repo.home}/.ssh/id_rsa`,
      `umount ${w.repo.home}/.ssh; cat ${w.repo.home}/.ssh/id_rsa`,
      `umount ${w.repo.root}; cat ${w.repo.root}/.env`,
      `cat ${w.repo.home}/.netrc`,
      `ls -a ${w.repo.home}/.ssh`,
      `cat ${w.repo.root}/.env`,
      `cat ${w.repo.root}/deploy.sh`,
      'cat .env.local',
      'cat .en?.local',
      `grep -r ${SECRET.slice(0, 8)} ${w.repo.home} ${w.repo.root} . 2>/dev/null`,
    ];
    for (const command of commands) {
      const result = await w.run(command);
      expect(result.out, command).not.toContain(SECRET);
    }
    expect(readFileSync(join(w.worktree, '.env.local'), 'utf8')).toContain(SECRET);
  });

  it('hides git history when the repository tracks a withheld file (git show HEAD:.env)', async () => {
    const w = world({ 'config/.env.production': `KEY=${SECRET}\n` });
    const result = await w.run('git show HEAD:config/.env.production; git cat-file --batch-all-objects --batch; cat config/.env.production');
    expect(result.out).not.toContain(SECRET);
    const wrapped = await w.sandbox.wrap(['true'], false);
    wrapped.cleanup();
    expect(wrapped.history).toBe(false);
    expect(wrapped.hiddenFiles).toEqual(['config/.env.production']);
  });

  it('looks for withheld files again before each command, and knows when one becomes tracked', async () => {
    const w = world();
    const first = await w.sandbox.wrap(['true'], false);
    first.cleanup();
    expect(first).toMatchObject({ history: true, hiddenFiles: [] });
    writeFileSync(join(w.worktree, '.env.test'), `KEY=${SECRET}\n`);
    const second = await w.sandbox.wrap(['true'], false);
    second.cleanup();
    expect(second).toMatchObject({ history: true, hiddenFiles: ['.env.test'] });
    execIn(w.worktree, 'git', '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'add', '-f', '.env.test');
    execIn(w.worktree, 'git', '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'tracked now');
    const third = await w.sandbox.wrap(['true'], false);
    third.cleanup();
    expect(third).toMatchObject({ history: false, hiddenFiles: ['.env.test'] });
    expect((await w.run(`git show HEAD:.env.test; cat .env.test`)).out).not.toContain(SECRET);
  });

  it('has no network unless asked: a server on 127.0.0.1 is reached only with network', async () => {
    const w = world();
    const server = createServer((_request, response) => response.end('reached'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const fetchIt = `node -e "require('http').get('http://127.0.0.1:${port}', r => r.on('data', d => process.stdout.write(d))).on('error', e => console.log(e.code))"`;
    expect((await w.run(fetchIt)).out).toMatch(/ECONNREFUSED/);
    expect((await w.run(fetchIt, true)).out).toBe('reached');
  });

  it('removes its private folder once the command has run', async () => {
    const w = world();
    const wrapped = await w.sandbox.wrap(['true'], false);
    const own = wrapped.args[wrapped.args.indexOf('/tmp') - 1] ?? '';
    expect(existsSync(own)).toBe(true);
    wrapped.cleanup();
    expect(existsSync(own)).toBe(false);
  });
});
