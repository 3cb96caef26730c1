import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Processes whose command line matches `pattern` and that run in a folder under `under` (a test's
 * own temporary folder): what a test left running, whatever other tests run beside it.
 */
export function processesUnder(pattern: string, under: string): string[] {
  const pids = execFileSync('sh', ['-c', `pgrep -f -- '${pattern}' || true`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  return pids.filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).startsWith(under);
    } catch {
      return false;
    }
  });
}

/** Whether `pid` runs: a zombie (ended, not yet reaped by a parent that is gone) does not. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}
