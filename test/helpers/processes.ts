import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';

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
