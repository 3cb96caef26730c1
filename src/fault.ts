/**
 * Named points where the fault tests kill the process (`HUNKWISE_KILL_AT=<point>`), the way git's
 * own test suite injects failures. Nothing happens unless that variable names the point.
 */
export function faultPoint(name: string): void {
  if (process.env.HUNKWISE_KILL_AT === name) process.kill(process.pid, 'SIGKILL');
}
