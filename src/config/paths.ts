import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

/** Where hunkwise keeps what belongs to the user rather than to one repository. */

export const userConfigDir = (env: NodeJS.ProcessEnv = process.env): string =>
  join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'hunkwise');

export const userStateDir = (env: NodeJS.ProcessEnv = process.env): string =>
  join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'hunkwise');

/** The folder that holds the task worktrees of one repository, named after it and its git dir. */
export function worktreesDir(repoRoot: string, commonDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256').update(commonDir).digest('hex').slice(0, 8);
  return join(userStateDir(env), 'worktrees', `${basename(repoRoot)}-${hash}`);
}
