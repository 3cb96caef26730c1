import { credentialPaths } from '../sandbox/credentials.js';
import { createSandbox, type Sandbox, type SandboxedCommand } from '../sandbox/sandbox.js';
import { probeSandbox, type SandboxSupport } from '../sandbox/support.js';
import type { Confinement } from './approval-policy.js';
import { SECRET_PATTERNS, type Permissions } from '../permissions.js';

/**
 * How one task's commands run: in the sandbox (src/sandbox/) where it can run, unconfined where the
 * user's own config turned it off, or unconfined and asked every time where it cannot run (no
 * bwrap, no user namespaces, not Linux) — then the person is told once, with what to install.
 */

export interface TaskSandboxOptions {
  /** False when the user's config turned the sandbox off (`"sandbox": { "enabled": false }`). */
  enabled: boolean;
  worktree: string;
  commonDir: string;
  permissions: Permissions;
  /** Folders of hunkwise's own (its config and state): hidden from commands. */
  ownFolders: string[];
  /** More credential paths from the config (`sandbox.hide`). */
  hide: string[];
  /** The environment commands get: the user's, without provider keys and secret-looking variables. */
  env: NodeJS.ProcessEnv;
  /** Told once when no sandbox can run. */
  notice: (message: string) => void;
}

export interface TaskSandbox {
  /** The environment every command gets. */
  env: NodeJS.ProcessEnv;
  confinement(): Promise<Confinement>;
  /** Probes bubblewrap and learns the task's facts ahead of the first command (the worktree must be there). */
  warm(): void;
  /** The bwrap command line for `argv`, or undefined when the command runs unconfined. */
  wrap(argv: string[], network: boolean): Promise<SandboxedCommand | undefined>;
}

export function createTaskSandbox(options: TaskSandboxOptions): TaskSandbox {
  let support: Promise<SandboxSupport> | undefined;
  const found = (): Promise<SandboxSupport> => {
    support ??= probeSandbox().then((answer) => {
      if (!answer.ok) options.notice(unavailableNotice(answer));
      return answer;
    });
    return support;
  };
  let sandbox: Sandbox | undefined;
  /** The task's sandbox, or undefined where commands run unconfined. */
  const ready = async (): Promise<Sandbox | undefined> => {
    if (!options.enabled) return undefined;
    const answer = await found();
    if (!answer.ok) return undefined;
    sandbox ??= createSandbox({
      bwrap: answer.bwrap,
      worktree: options.worktree,
      commonDir: options.commonDir,
      hiddenFolders: options.ownFolders,
      credentials: credentialPaths(options.hide),
      withheld: {
        pathspecs: withheldPathspecs(options.permissions),
        hides: (rel) => options.permissions.forbids('read', rel) !== undefined,
      },
    });
    return sandbox;
  };
  return {
    env: options.env,
    async confinement() {
      if (!options.enabled) return 'off';
      return (await found()).ok ? 'sandbox' : 'unavailable';
    },
    warm() {
      ready()
        .then((warmed) => warmed?.warm())
        .catch(() => {}); // the first command tries again, and says what failed
    },
    async wrap(argv, network) {
      return (await ready())?.wrap(argv, network);
    },
  };
}

export const unavailableNotice = (support: Extract<SandboxSupport, { ok: false }>): string =>
  `No sandbox for commands: ${support.why}. Every command is asked, and runs with your rights on your files. ${support.fix}`;

/**
 * Git pathspecs of the files a read rule may withhold: the secret-looking names and the config's
 * read denials (a name pattern matches at any depth, a path pattern from the root). A class-wide
 * denial names no file.
 */
function withheldPathspecs(permissions: Permissions): string[] {
  const patterns = [...SECRET_PATTERNS, ...permissions.deniedPatterns('read')];
  return [...new Set(patterns)].map((pattern) => `:(glob)${pattern.includes('/') ? pattern.replace(/^\.\//, '') : `**/${pattern}`}`);
}
