import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Between the workspace-relative paths the agent speaks and the `file:` URIs a server speaks.
 * The server is always told real paths (with symlinks resolved: /tmp may be a link elsewhere),
 * and what it answers is mapped back whether it names the real or the given path.
 */
export interface PathMapper {
  /** The workspace root as given, absolute. */
  readonly root: string;
  /** The same folder with symlinks resolved. */
  readonly realRoot: string;
  /** A workspace-relative (or absolute) path as the absolute real path the server is told. */
  toAbsolute(path: string): string;
  toUri(path: string): string;
  /** Workspace-relative with '/' inside the root, absolute outside it; undefined for non-file URIs. */
  fromUri(uri: string): string | undefined;
  /** The absolute real path of a URI, the key documents are kept under. */
  keyOfUri(uri: string): string | undefined;
  isInside(path: string): boolean;
}

const realpathOr = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};

const within = (base: string, path: string): string | undefined => {
  const rel = relative(base, path);
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel;
};

const slashes = (path: string): string => (sep === '/' ? path : path.split(sep).join('/'));

/**
 * `checkout`: the user's checkout the worktree was made from. A file of it that the worktree shows
 * through a link (a dependency in its mirrored node_modules, .venv, vendor) is answered by the
 * path it has in the worktree, `node_modules/somepkg/index.d.ts`, as the user would write it.
 */
export function createPathMapper(root: string, checkout?: string): PathMapper {
  const absRoot = resolve(root);
  const realRoot = realpathOr(absRoot);
  const realCheckout = checkout === undefined ? undefined : realpathOr(resolve(checkout));
  const throughLink = (key: string): string | undefined => {
    const rel = realCheckout === undefined ? undefined : within(realCheckout, key);
    return rel !== undefined && rel !== '.' && realpathOr(join(realRoot, rel)) === realpathOr(key) ? rel : undefined;
  };

  const toAbsolute = (path: string): string => {
    const abs = isAbsolute(path) ? resolve(path) : join(absRoot, path);
    const inRoot = within(absRoot, abs);
    // Through a link the worktree holds (a mirrored dependency), the file the server knows is its target.
    if (inRoot !== undefined) return inRoot === '.' ? realRoot : realpathOr(join(realRoot, inRoot));
    return within(realRoot, abs) !== undefined ? abs : realpathOr(abs);
  };

  const keyOfUri = (uri: string): string | undefined => {
    if (!uri.startsWith('file:')) return undefined;
    try {
      return toAbsolute(fileURLToPath(uri));
    } catch {
      return undefined;
    }
  };

  const fromKey = (key: string): string => {
    const rel = within(realRoot, key) ?? within(realRoot, realpathOr(key)) ?? throughLink(key);
    return rel === undefined ? key : slashes(rel);
  };

  return {
    root: absRoot,
    realRoot,
    toAbsolute,
    toUri: (path) => pathToFileURL(toAbsolute(path)).href,
    fromUri: (uri) => {
      const key = keyOfUri(uri);
      return key === undefined ? undefined : fromKey(key);
    },
    keyOfUri,
    isInside: (path) => within(realRoot, toAbsolute(path)) !== undefined,
  };
}
