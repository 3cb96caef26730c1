import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/** A throwaway home for one test: a git repository, and XDG folders so nothing touches the real home. */
export interface TestRepo {
  root: string;
  home: string;
  env: NodeJS.ProcessEnv;
  git(...args: string[]): string;
  write(path: string, content: string | Buffer): void;
  read(path: string): string;
  cleanup(): void;
}

/**
 * Makes a repository from an object literal of files (changesets' `gitdir`), commits them on
 * `main`, and gives back helpers. The environment it returns points HOME and the XDG folders into
 * the test's own temporary folder and names a git identity. `under` puts it elsewhere than the
 * system's temporary folder: a sandboxed command has a /tmp of its own, which would hide it anyway.
 */
export function makeRepo(
  files: Record<string, string | Buffer>,
  options: { commit?: boolean; under?: string; objectFormat?: 'sha1' | 'sha256' } = {},
): TestRepo {
  const base = realpathSync(mkdtempSync(join(options.under ?? tmpdir(), 'hunkwise-test-')));
  const root = join(base, 'repo');
  const home = join(base, 'home');
  mkdirSync(root);
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test User',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test User',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    NO_COLOR: '1',
  };
  delete env.OLLAMA_HOST;
  delete env.FORCE_COLOR;
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const write = (path: string, content: string | Buffer): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  git('init', '-q', '-b', 'main', `--object-format=${options.objectFormat ?? 'sha1'}`);
  for (const [path, content] of Object.entries(files)) write(path, content);
  if (options.commit !== false) {
    git('add', '-A');
    git('commit', '-q', '-m', 'Initial commit');
  }
  return {
    root,
    home,
    env,
    git,
    write,
    read: (path) => readFileSync(join(root, path), 'utf8'),
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}

/**
 * Everything of the user's checkout a task must never touch: every byte of the working tree with
 * each file's inode and modification time (a file rewritten with the same bytes was still
 * touched), the index file, HEAD, the user's own refs and the stash with its reflog.
 */
export function snapshotCheckout(repo: TestRepo): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = join(dir, entry.name);
      if (entry.name === '.git' && dir === repo.root) continue;
      if (entry.isSymbolicLink()) files.push(`${relative(repo.root, abs)} -> ${readlinkSync(abs)}`);
      else if (entry.isDirectory()) walk(abs);
      else {
        const { ino, mtimeNs } = statSync(abs, { bigint: true });
        files.push(`${relative(repo.root, abs)} ${ino} ${mtimeNs} ${readFileSync(abs).toString('base64')}`);
      }
    }
  };
  walk(repo.root);
  const gitDir = join(repo.root, '.git');
  const userRefs = repo
    .git('for-each-ref', '--format=%(refname) %(objectname)')
    .split('\n')
    .filter((line) => line && !/^refs\/(heads\/agent\/|notes\/hunkwise|hunkwise\/)/.test(line));
  const readOr = (path: string): string => {
    try {
      return readFileSync(path).toString('base64');
    } catch {
      return '(none)';
    }
  };
  return JSON.stringify({
    files,
    index: readOr(join(gitDir, 'index')),
    head: readOr(join(gitDir, 'HEAD')),
    operations: ['MERGE_HEAD', 'MERGE_MSG', 'SQUASH_MSG', 'ORIG_HEAD', 'AUTO_MERGE'].map((name) => readOr(join(gitDir, name))),
    userRefs,
    stash: repo.git('stash', 'list', '--format=%H %gs'),
    stashLog: readOr(join(gitDir, 'logs', 'refs', 'stash')),
  });
}

/** Writes the user's own config (`$XDG_CONFIG_HOME/hunkwise/config.json`) in the test's home. */
export function writeUserConfig(repo: TestRepo, config: object): void {
  mkdirSync(join(repo.home, '.config', 'hunkwise'), { recursive: true });
  writeFileSync(join(repo.home, '.config', 'hunkwise', 'config.json'), JSON.stringify(config));
}

/**
 * `path` changed one way on a new branch `other` and another way on `main` (checked out after):
 * merging one into the other conflicts.
 */
export function diverge(repo: TestRepo, path: string, ours: string, theirs: string): void {
  repo.git('checkout', '-q', '-b', 'other');
  repo.write(path, theirs);
  repo.git('commit', '-qam', 'other');
  repo.git('checkout', '-q', 'main');
  repo.write(path, ours);
  repo.git('commit', '-qam', 'main');
}
