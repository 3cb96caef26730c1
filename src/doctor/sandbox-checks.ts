import { execFile } from 'node:child_process';
import { probeSandbox } from '../sandbox/support.js';
import { type Check, ok, warn } from './check.js';

/**
 * The command sandbox: whether the user turned it off, and otherwise whether bubblewrap runs here
 * with the namespaces a command gets (one bwrap run). Without it hunkwise works, with less: every
 * command is asked, and runs unconfined.
 */
export async function sandboxCheck(enabled: boolean): Promise<Check> {
  if (!enabled) {
    return warn(
      'sandbox',
      'turned off in your config ("sandbox": { "enabled": false }): commands run with your rights, on your files, with the network',
      'Remove "enabled": false from "sandbox" in your config to confine commands again.',
    );
  }
  const support = await probeSandbox();
  if (!support.ok) return warn('sandbox', `${support.why}; every command is asked, and runs unconfined`, support.fix);
  const version = await bwrapVersion(support.bwrap);
  return ok('sandbox', `${version}: commands write only in the task's worktree, see no credentials, and have no network unless you allow it`);
}

function bwrapVersion(bwrap: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(bwrap, ['--version'], (error, stdout) => resolve(error ? bwrap : `${stdout.trim()} (${bwrap})`));
  });
}
