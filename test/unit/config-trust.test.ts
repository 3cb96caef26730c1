import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSession } from '../../src/app/session.js';
import { loadConfig } from '../../src/config/load.js';
import { contentHash, recordTrust, repositoryOf, trustFile, type UntrustedRepoConfig } from '../../src/config/trust.js';
import { startFakeOllama } from '../fake-ollama/server.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

/**
 * A repository's config that loosens permissions is agreed to per repository and content: the
 * answer given in one clone grants (or declines) nothing in another holding a copy of the file.
 */

const CONFIG = `${JSON.stringify({ permissions: { run: 'allow' } }, null, 2)}\n`;
const WANTS = ['permissions.run: allow every command without asking'];

const made: TestRepo[] = [];
afterEach(() => {
  vi.unstubAllEnvs();
  for (const repo of made.splice(0)) repo.cleanup();
});

/** A repository with CONFIG committed; the state of `home` (another test repository's) when given. */
function repoWithConfig(config = CONFIG, home?: TestRepo): { repo: TestRepo; env: NodeJS.ProcessEnv } {
  const repo = makeRepo({ '.hunkwise/config.json': config, 'a.txt': 'a\n' });
  made.push(repo);
  return { repo, env: home?.env ?? repo.env };
}

const runAllowed = (root: string, env: NodeJS.ProcessEnv): boolean =>
  loadConfig(root, {}, env).permissions.some((rule) => rule.class === 'run' && rule.decision === 'allow');

/** What the session does when the person answers: the answer recorded for what was asked. */
function answer(root: string, env: NodeJS.ProcessEnv, said: 'yes' | 'no'): void {
  const untrusted = loadConfig(root, {}, env).untrusted;
  if (!untrusted) throw new Error(`nothing to agree to in ${root}`);
  recordTrust(untrusted, said, env);
}

describe("consent to a repository's config", () => {
  it('given in one repository, does not apply to a byte-identical file in another', () => {
    const { repo: a, env } = repoWithConfig();
    const { repo: b } = repoWithConfig(CONFIG, a);
    answer(a.root, env, 'yes');
    expect(runAllowed(a.root, env)).toBe(true);
    expect(loadConfig(a.root, {}, env).untrusted).toBeUndefined();

    const inB = loadConfig(b.root, {}, env);
    expect(runAllowed(b.root, env)).toBe(false);
    expect(inB.untrusted).toMatchObject({ file: join(b.root, '.hunkwise', 'config.json'), repository: join(b.root, '.git'), wants: WANTS, declined: false });
    expect(inB.untrusted?.hash).toBe(contentHash(CONFIG));
  });

  it('declined in one repository, is still asked in another', () => {
    const { repo: a, env } = repoWithConfig();
    const { repo: b } = repoWithConfig(CONFIG, a);
    answer(a.root, env, 'no');
    expect(loadConfig(a.root, {}, env).untrusted?.declined).toBe(true);
    expect(loadConfig(b.root, {}, env).untrusted?.declined).toBe(false);
    answer(b.root, env, 'yes');
    expect(runAllowed(b.root, env)).toBe(true);
    expect(loadConfig(a.root, {}, env).untrusted?.declined).toBe(true);
  });

  it('holds in a linked worktree of the repository and through a symbolic link to it, until the content changes', () => {
    const { repo: a, env } = repoWithConfig();
    answer(a.root, env, 'yes');
    const linked = join(dirname(a.root), 'linked');
    a.git('worktree', 'add', '-q', linked);
    expect(repositoryOf(linked)).toBe(join(a.root, '.git'));
    expect(runAllowed(linked, env)).toBe(true);
    const link = join(dirname(a.root), 'link');
    symlinkSync(a.root, link);
    expect(repositoryOf(link)).toBe(join(a.root, '.git'));
    expect(runAllowed(link, env)).toBe(true);

    a.write('.hunkwise/config.json', JSON.stringify({ permissions: { run: 'allow' }, contextWindow: 16384 }));
    expect(runAllowed(a.root, env)).toBe(false);
    expect(loadConfig(a.root, {}, env).untrusted).toMatchObject({ wants: WANTS, declined: false });
    expect(runAllowed(linked, env)).toBe(true);
  });

  it('is asked again once the repository is moved (its git directory is elsewhere)', () => {
    const { repo: a, env } = repoWithConfig();
    answer(a.root, env, 'yes');
    const moved = join(dirname(a.root), 'moved');
    renameSync(a.root, moved);
    expect(loadConfig(moved, {}, env).untrusted).toMatchObject({ repository: join(moved, '.git'), declined: false });
  });

  it("is not borrowed by a folder whose .git names another repository's directory", () => {
    const { repo: a, env } = repoWithConfig();
    answer(a.root, env, 'yes');
    a.git('worktree', 'add', '-q', join(dirname(a.root), 'linked'));
    const claims = {
      'gitfile-main': (dir: string) => writeFileSync(join(dir, '.git'), `gitdir: ${join(a.root, '.git')}\n`),
      'gitfile-worktree': (dir: string) => writeFileSync(join(dir, '.git'), `gitdir: ${join(a.root, '.git', 'worktrees', 'linked')}\n`),
      'git-link': (dir: string) => symlinkSync(join(a.root, '.git'), join(dir, '.git')),
    };
    for (const [name, claim] of Object.entries(claims)) {
      const dir = join(dirname(a.root), name);
      mkdirSync(join(dir, '.hunkwise'), { recursive: true });
      writeFileSync(join(dir, '.hunkwise', 'config.json'), CONFIG);
      claim(dir);
      expect(repositoryOf(dir), name).toBe(dir);
      expect(runAllowed(dir, env), name).toBe(false);
    }
  });

  it('kept by content alone (the first format of the file) grants nothing, and is replaced by the next answer', () => {
    const { repo: a, env } = repoWithConfig();
    const file = trustFile(env);
    mkdirSync(dirname(file), { recursive: true });
    const old = { [contentHash(CONFIG)]: { answer: 'yes', file: join(a.root, '.hunkwise', 'config.json'), at: '2026-01-01T00:00:00.000Z' } };
    writeFileSync(file, JSON.stringify(old));
    expect(runAllowed(a.root, env)).toBe(false);
    expect(loadConfig(a.root, {}, env).untrusted?.declined).toBe(false);

    answer(a.root, env, 'yes');
    expect(runAllowed(a.root, env)).toBe(true);
    const kept = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(kept)).toEqual(['repositories']);
    expect(kept.repositories[join(a.root, '.git')][contentHash(CONFIG)]).toMatchObject({ answer: 'yes', file: join(a.root, '.hunkwise', 'config.json') });
  });

  it('survives a state file it cannot read as answers: nothing is granted, the next answer is kept', () => {
    const { repo: a, env } = repoWithConfig();
    const file = trustFile(env);
    mkdirSync(dirname(file), { recursive: true });
    const repository = join(a.root, '.git');
    const broken = [
      'not json',
      '[]',
      'null',
      '{"repositories": []}',
      `{"repositories": {${JSON.stringify(repository)}: []}}`,
      `{"repositories": {${JSON.stringify(repository)}: {${JSON.stringify(contentHash(CONFIG))}: "yes"}}}`,
      `{"repositories": {${JSON.stringify(repository)}: {${JSON.stringify(contentHash(CONFIG))}: {"answer": "maybe"}}}}`,
    ];
    for (const text of broken) {
      writeFileSync(file, text);
      expect(runAllowed(a.root, env), text).toBe(false);
      expect(loadConfig(a.root, {}, env).untrusted?.declined, text).toBe(false);
      answer(a.root, env, 'yes');
      expect(runAllowed(a.root, env), text).toBe(true);
    }
  });

  it('of a folder outside git is kept for that folder', () => {
    const { repo: a, env } = repoWithConfig();
    const plain = join(dirname(a.root), 'plain');
    const copy = join(dirname(a.root), 'copy');
    for (const dir of [plain, copy]) {
      mkdirSync(join(dir, '.hunkwise'), { recursive: true });
      writeFileSync(join(dir, '.hunkwise', 'config.json'), CONFIG);
    }
    expect(repositoryOf(plain)).toBe(plain);
    answer(plain, env, 'yes');
    expect(runAllowed(plain, env)).toBe(true);
    expect(runAllowed(copy, env)).toBe(false);
    expect(runAllowed(a.root, env)).toBe(false);
  });
});

describe('a session', () => {
  it('asks in each repository once, shares the answer with a linked worktree, and says where a no was given', async () => {
    const server = await startFakeOllama();
    const { repo: a } = repoWithConfig();
    const { repo: b } = repoWithConfig(CONFIG, a);
    for (const name of ['HOME', 'XDG_CONFIG_HOME', 'XDG_STATE_HOME'] as const) vi.stubEnv(name, a.env[name]);
    vi.stubEnv('OLLAMA_HOST', server.url);
    const asked: UntrustedRepoConfig[] = [];
    const open = async (cwd: string, agree: boolean) => {
      const session = await openSession({
        cwd,
        instruction: 'look',
        trust: async (untrusted) => {
          asked.push(untrusted);
          return agree;
        },
      });
      session.unlock();
      return session;
    };
    try {
      expect((await open(a.root, true)).config.permissions).toContainEqual(expect.objectContaining({ class: 'run', decision: 'allow' }));
      const linked = join(dirname(a.root), 'linked');
      a.git('worktree', 'add', '-q', linked);
      await open(linked, false);
      expect(asked.map((untrusted) => untrusted.repository)).toEqual([join(a.root, '.git')]);

      const inB = await open(b.root, false);
      expect(asked.map((untrusted) => untrusted.repository)).toEqual([join(a.root, '.git'), join(b.root, '.git')]);
      expect(inB.config.permissions).not.toContainEqual(expect.objectContaining({ class: 'run', decision: 'allow' }));
      const again = await open(b.root, true);
      expect(asked).toHaveLength(2);
      expect(again.notices).toEqual([
        `Not applied from ${join(b.root, '.hunkwise', 'config.json')}, because you said no to this content of the file earlier in this repository (a change to it asks again):\n  • ${WANTS[0]}`,
      ]);
    } finally {
      await server.close();
    }
  });
});
