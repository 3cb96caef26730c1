import { readFileSync } from 'node:fs';

/**
 * Whether the process `pid` of this machine runs: one that exists but is not ours to signal does;
 * a zombie (killed, not yet reaped by its parent) does not. Task locks, temporary notes refs and
 * git's gc.pid name their owner by pid.
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
