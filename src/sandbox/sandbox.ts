import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { git } from '../git/exec.js';
import { dependencyFolders } from '../git/worktree.js';
import { bwrapArgs, type SandboxPlan } from './bwrap-args.js';
import { makeGitView } from './git-view.js';
import { createWithheldFinder } from './withheld.js';
import { lexists } from '../lexists.js';

/**
 * The sandbox of one task's commands (Linux, bubblewrap). A command writes only in the task's
 * worktree and a private /tmp; it reads the rest of the file system read-only, except what is
 * hidden: the user's own checkouts of the repository (their untracked files, .env among them) but
 * for their dependency folders and git directory, hunkwise's config and state, the user's
 * credentials, and the worktree's files that the permission rules withhold from the model. When
 * the repository tracks such a file, its history is out of reach too (git show HEAD:.env would
 * read it). No network unless asked for; its own process, user, IPC and network namespaces; no
 * capabilities.
 */

export interface SandboxOptions {
  bwrap: string;
  worktree: string;
  commonDir: string;
  /** Folders hidden whole: hunkwise's own config and state (the task worktrees live there). */
  hiddenFolders: string[];
  /** Credential files and folders (those that do not exist are passed over). */
  credentials: string[];
  /** The worktree's files that commands may not read: git pathspecs of candidates, and the test. */
  withheld: { pathspecs: string[]; hides: (rel: string) => boolean };
}

export interface SandboxedCommand {
  file: string;
  args: string[];
  /** False when the repository tracks a withheld file: git in the sandbox has no history. */
  history: boolean;
  /** The worktree's files the command sees empty, relative to the worktree. */
  hiddenFiles: string[];
  /** Removes the command's private folder; call it once the command has ended. */
  cleanup: () => void;
}

export interface Sandbox {
  /** The bwrap command line that runs `argv` sandboxed, with the network or without. */
  wrap(argv: string[], network: boolean): Promise<SandboxedCommand>;
  /** Learns what every command of the task needs, ahead of the first (the worktree must be there). */
  warm(): void;
}

/** What does not change from one command of the task to the next, learned at the first. */
interface TaskFacts {
  hiddenFolders: string[];
  readOnly: string[];
  /** The worktree's dependency folders, relative to it: no withheld file is looked for in them. */
  dependencies: string[];
  credentials: { path: string; folder: boolean }[];
  keepRun: string[];
}

export function createSandbox(options: SandboxOptions): Sandbox {
  const gitDir = worktreeGitDir(options.worktree);
  const findWithheld = createWithheldFinder({ worktree: options.worktree, gitDir, ...options.withheld });
  let facts: Promise<TaskFacts> | undefined;
  let learnt: TaskFacts | undefined;
  const learn = (): Promise<TaskFacts> => {
    facts ??= learnFacts(options).then(
      (known) => {
        learnt = known;
        return known;
      },
      (error: unknown) => {
        facts = undefined; // learnt again by the next command
        throw error;
      },
    );
    return facts;
  };
  return {
    warm() {
      learn().catch(() => {}); // the first command learns them again, and fails with what went wrong
    },
    async wrap(argv, network) {
      // A first command not warmed for learns the task's facts while the withheld files are looked for.
      const [known, withheld] = await Promise.all([learn(), findWithheld(learnt?.dependencies ?? [])]);
      const history = !withheld.some((file) => file.tracked);
      const own = mkdtempSync(join(tmpdir(), 'hunkwise-sandbox-'));
      try {
        const empty = { file: join(own, 'empty-file'), folder: join(own, 'empty-folder') };
        writeFileSync(empty.file, '');
        mkdirSync(empty.folder);
        mkdirSync(join(own, 'tmp'));
        const view = makeGitView({ gitDir, commonDir: options.commonDir, into: join(own, 'git'), history });
        const inWorktree = withheld.map((file) => ({ path: join(options.worktree, file.path), folder: false }));
        const plan: SandboxPlan = {
          worktree: options.worktree,
          gitDir,
          commonDir: options.commonDir,
          privateGitDir: view.gitDir,
          privateCommonDir: view.commonDir,
          tmp: join(own, 'tmp'),
          empty,
          hiddenFolders: known.hiddenFolders,
          hidden: [
            ...known.credentials,
            ...inWorktree,
            { path: join(options.commonDir, 'hunkwise'), folder: true },
            ...(history ? [] : [{ path: join(options.commonDir, 'objects'), folder: true }]),
          ].filter(({ path }) => lexists(path)),
          readOnly: known.readOnly,
          keepRun: known.keepRun,
          network,
        };
        return {
          file: options.bwrap,
          args: [...bwrapArgs(plan), '--', ...argv],
          history,
          hiddenFiles: withheld.map((file) => file.path),
          cleanup: () => rmSync(own, { recursive: true, force: true }),
        };
      } catch (error) {
        rmSync(own, { recursive: true, force: true });
        throw error;
      }
    },
  };
}

async function learnFacts(options: SandboxOptions): Promise<TaskFacts> {
  const home = homedir();
  const checkouts = (await userCheckouts(options.worktree)).filter(
    (folder) => folder !== options.worktree && !options.hiddenFolders.some((hidden) => contains(hidden, folder)),
  );
  // A checkout that holds the home folder (a repository of dotfiles) or the whole system stays
  // visible: hiding it would hide the tools the commands run.
  const hideable = checkouts.filter((folder) => !contains(folder, home) && folder !== '/' && lexists(folder));
  const inCheckouts = await Promise.all(hideable.map(async (folder) => ({ folder, rels: await dependencyFolders(folder).catch(() => []) })));
  const shown = inCheckouts.flatMap(({ folder, rels }) => rels.map((rel) => join(folder, rel)));
  // A dependency that is a link to a folder under /tmp (`npm link`, a store there) would vanish
  // under the sandbox's private /tmp: its target is shown read-only too.
  const readOnly = [...shown, ...shown.flatMap(linkedUnderTmp)];
  const credentials = options.credentials.flatMap((path) => {
    try {
      const real = realpathSync(path);
      return [{ path: real, folder: lstatSync(real).isDirectory() }];
    } catch {
      return [];
    }
  });
  return {
    dependencies: [...new Set(inCheckouts.flatMap(({ rels }) => rels))],
    hiddenFolders: [...hideable, ...options.hiddenFolders.filter((folder) => lexists(folder) && !contains(folder, home))],
    readOnly,
    credentials,
    keepRun: resolverFolder(),
  };
}

/** Entries of a dependency folder (and of its @scopes) that are links to folders under /tmp: their targets. */
function linkedUnderTmp(folder: string): string[] {
  const targets = new Set<string>();
  const visit = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (depth === 0 && name.startsWith('@')) visit(path, 1);
      else if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) {
        const target = realpathOr(path);
        if (target && contains('/tmp', target)) targets.add(target);
      }
    }
  };
  visit(folder, 0);
  return [...targets];
}

const realpathOr = (path: string): string | undefined => {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
};

/** The git folder a worktree's `.git` file names. */
function worktreeGitDir(worktree: string): string {
  const named = readFileSync(join(worktree, '.git'), 'utf8').replace(/^gitdir:\s*/, '').trim();
  return isAbsolute(named) ? named : resolve(worktree, named);
}

/** Every checkout of the repository (`git worktree list`), the bare repository's folder left out. */
async function userCheckouts(worktree: string): Promise<string[]> {
  // -z: a folder's name may hold a newline. Each line ends in NUL, each checkout in another.
  const { stdout } = await git(['worktree', 'list', '--porcelain', '-z'], { cwd: worktree });
  const folders: string[] = [];
  for (const block of stdout.split('\0\0')) {
    const lines = block.split('\0');
    const path = lines.find((line) => line.startsWith('worktree '))?.slice('worktree '.length);
    if (path && !lines.includes('bare')) folders.push(path);
  }
  return folders;
}

/** The folder under /run that /etc/resolv.conf leads to (systemd-resolved's), kept for DNS. */
function resolverFolder(): string[] {
  try {
    const real = realpathSync('/etc/resolv.conf');
    return real.startsWith('/run/') ? [dirname(real)] : [];
  } catch {
    return [];
  }
}

const contains = (folder: string, path: string): boolean => path === folder || path.startsWith(`${folder}/`);

