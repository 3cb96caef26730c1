/**
 * The bubblewrap command line of one sandboxed command, from a plan of what it may see: a pure
 * function, so that what is confined can be read off in one place. The order of the mounts is the
 * contract: the whole file system read-only, then what is hidden, then what is exposed again
 * inside the hidden places, then what is hidden inside the exposed ones.
 */

/** Where the private view of the repository's git directory appears inside the sandbox. */
export const SANDBOX_GIT_COMMON = '/run/hunkwise/git';

export interface SandboxPlan {
  /** The task's worktree: the one place the command writes (besides its private /tmp). */
  worktree: string;
  /** The worktree's own git folder (`<common>/worktrees/<name>`), replaced by `privateGitDir`. */
  gitDir: string;
  /** The repository's shared git directory: read-only. */
  commonDir: string;
  /** A throwaway copy of the worktree's git folder: its index and HEAD, written by git freely. */
  privateGitDir: string;
  /** The shared git directory as git in the sandbox sees it (read-only links, private objects). */
  privateCommonDir: string;
  /** The command's /tmp. */
  tmp: string;
  /** An empty file and an empty folder, read-only, to put over what is hidden. */
  empty: { file: string; folder: string };
  /**
   * Folders hidden whole, with what the plan exposes again inside them (the user's checkouts, with
   * their git directory and dependency folders; hunkwise's state, with the task's worktree).
   */
  hiddenFolders: string[];
  /** Files and folders that look empty: credentials, the worktree's secret-looking files. */
  hidden: { path: string; folder: boolean }[];
  /** Read-only again inside a hidden folder: the git directory, the dependency folders. */
  readOnly: string[];
  /** Folders under /run that stay visible (where /etc/resolv.conf points). */
  keepRun: string[];
  network: boolean;
}

export function bwrapArgs(plan: SandboxPlan): string[] {
  const args = ['--unshare-all', ...(plan.network ? ['--share-net'] : []), '--die-with-parent', '--cap-drop', 'ALL'];
  // The base: everything read-only, a device and process view of its own, no sockets of /run.
  args.push('--ro-bind', '/', '/', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/dev/shm', '--proc', '/proc', '--tmpfs', '/run');
  for (const folder of plan.keepRun) args.push('--ro-bind', folder, folder);
  args.push('--bind', plan.tmp, '/tmp');
  const late = plan.hidden.filter(({ path }) => inside(path, plan.commonDir) || inside(path, plan.worktree));
  const hide = ({ path, folder }: { path: string; folder: boolean }) => args.push('--ro-bind', folder ? plan.empty.folder : plan.empty.file, path);
  for (const folder of plan.hiddenFolders) args.push('--tmpfs', folder);
  for (const entry of plan.hidden) if (!late.includes(entry)) hide(entry);
  for (const path of [plan.commonDir, ...plan.readOnly]) args.push('--ro-bind', path, path);
  args.push('--bind', plan.worktree, plan.worktree);
  // The worktree's `.git` file names the git folder that hunkwise's own git trusts: never rewritten.
  args.push('--ro-bind', `${plan.worktree}/.git`, `${plan.worktree}/.git`);
  args.push('--bind', plan.privateGitDir, plan.gitDir, '--bind', plan.privateCommonDir, SANDBOX_GIT_COMMON);
  for (const entry of late) hide(entry);
  for (const folder of plan.hiddenFolders) args.push('--remount-ro', folder);
  // Temporary files go to the command's own /tmp, wherever the user's TMPDIR points (read-only here).
  args.push('--setenv', 'TMPDIR', '/tmp', '--unsetenv', 'TMP', '--unsetenv', 'TEMP');
  args.push('--remount-ro', '/run', '--chdir', plan.worktree);
  return args;
}

const inside = (path: string, folder: string): boolean => path.startsWith(`${folder}/`);
