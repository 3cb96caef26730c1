import type { Locality } from '../task-model.js';

/**
 * Where a model lives: base URLs and whether they stay on this machine. Pure functions; nothing
 * here opens a connection or resolves a name (so `localhost` is trusted by name, and any other
 * host name counts as remote even when it happens to resolve to a loopback address).
 */

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

/**
 * The base URL for a value of OLLAMA_HOST, read the way Ollama's own CLI reads it:
 * `127.0.0.1:11434`, `host` (port 11434), `:11434`, `http://host:8080`, `https://host` (port 443),
 * `http://host` (port 80), `[::1]:11434`, optional quotes and a path. The unspecified addresses
 * (`0.0.0.0`, `::`) mean "listen everywhere" to a server; a client connects to loopback instead.
 * No trailing slash. Empty or undefined: http://127.0.0.1:11434.
 */
export function resolveOllamaHost(value: string | undefined): string {
  const trimmed = (value ?? '').trim().replace(/^["']+|["']+$/g, '');
  if (!trimmed) return DEFAULT_OLLAMA_HOST;
  const schemeEnd = trimmed.indexOf('://');
  const scheme = schemeEnd === -1 ? 'http' : trimmed.slice(0, schemeEnd).toLowerCase();
  const defaultPort = schemeEnd === -1 ? '11434' : scheme === 'https' ? '443' : '80';
  const rest = schemeEnd === -1 ? trimmed : trimmed.slice(schemeEnd + 3);
  const slash = rest.indexOf('/');
  const hostPort = slash === -1 ? rest : rest.slice(0, slash);
  const path = (slash === -1 ? '' : rest.slice(slash)).replace(/\/+$/, '');
  let { host, port } = splitHostPort(hostPort);
  if (!host) host = '127.0.0.1';
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  const hostText = host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${hostText}:${port || defaultPort}${path}`;
}

function splitHostPort(hostPort: string): { host: string; port: string } {
  const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(hostPort);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] ?? '' };
  // More than one colon without brackets: an IPv6 address and no port (`::1`).
  if (hostPort.indexOf(':') !== hostPort.lastIndexOf(':')) return { host: hostPort, port: '' };
  const colon = hostPort.lastIndexOf(':');
  if (colon === -1) return { host: hostPort, port: '' };
  return { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) };
}

/**
 * 'local' for a base URL on this machine: loopback (127.0.0.0/8, ::1, localhost, the unspecified
 * addresses a client reaches as loopback) or a unix socket (`unix:/path`, `http+unix://...`, a
 * bare absolute path). Everything else, including a URL that does not parse, is 'remote'.
 */
export function localityOf(baseUrl: string): Locality {
  const value = baseUrl.trim();
  if (value.startsWith('/') || /^(?:unix:|http\+unix:|https\+unix:)/i.test(value)) return 'local';
  let hostname: string;
  try {
    hostname = new URL(value.includes('://') ? value : `http://${value}`).hostname.toLowerCase();
  } catch {
    return 'remote';
  }
  return isLoopback(hostname.replace(/^\[|\]$/g, '')) ? 'local' : 'remote';
}

/** A dotted IPv4 address. Not node:net's isIP: its first call costs 8 ms of start-up. */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '::' || host === '0.0.0.0') return true;
  if (IPV4.test(host)) return host.startsWith('127.');
  // IPv4-mapped IPv6 as the URL parser writes it: ::ffff:7f00:1 is 127.0.0.1.
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(host);
  return mapped !== null && Number.parseInt(mapped[1] ?? '0', 16) >> 8 === 0x7f;
}
