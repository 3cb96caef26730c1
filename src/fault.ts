const reached = new Map<string, number>();

/**
 * Named points where the fault tests kill the process (`HUNKWISE_KILL_AT=<point>`, or
 * `<point>#<n>` for the n-th time this process reaches it), the way git's own test suite injects
 * failures. Nothing happens unless that variable names the point.
 */
export function faultPoint(name: string): void {
  const wanted = process.env.HUNKWISE_KILL_AT;
  if (wanted !== name && !wanted?.startsWith(`${name}#`)) return;
  const count = (reached.get(name) ?? 0) + 1;
  reached.set(name, count);
  if (wanted === name || wanted === `${name}#${count}`) process.kill(process.pid, 'SIGKILL');
}
