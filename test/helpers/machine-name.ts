import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';

/**
 * This machine by a name that is not a loopback name, so hunkwise counts a server there as remote:
 * its host name, or where that does not resolve, the address of its network interface.
 */
export async function machineName(): Promise<{ name: string; address: string }> {
  const name = hostname();
  try {
    return { name, address: (await lookup(name, { family: 4 })).address };
  } catch {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((entry) => entry?.family === 'IPv4' && !entry.internal);
    if (!external) throw new Error(`${name} does not resolve and there is no network interface to test a remote server on`);
    return { name: external.address, address: external.address };
  }
}
