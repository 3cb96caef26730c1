import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A scratch project for the language-server tests, made from an object literal of files. */
export interface Project {
  /** A symlink to the project: what the tests give as the root, so real paths must be told apart. */
  root: string;
  /** The folder itself. */
  real: string;
  write(path: string, content: string): void;
  read(path: string): string;
  cleanup(): void;
}

export function makeProject(files: Record<string, string>): Project {
  const base = mkdtempSync(join(tmpdir(), 'hunkwise-lsp-'));
  const real = join(base, 'project');
  const root = join(base, 'link');
  mkdirSync(real);
  symlinkSync(real, root);
  const write = (path: string, content: string): void => {
    mkdirSync(dirname(join(real, path)), { recursive: true });
    writeFileSync(join(real, path), content);
  };
  for (const [path, content] of Object.entries(files)) write(path, content);
  return {
    root,
    real,
    write,
    read: (path) => readFileSync(join(real, path), 'utf8'),
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}

export const FAKE_SERVER = fileURLToPath(new URL('../../fixtures/fake-lsp-server.mjs', import.meta.url));

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** True once the process is gone; false if it is still there after `ms`. */
export async function gone(pid: number | undefined, ms = 3000): Promise<boolean> {
  if (pid === undefined) return true;
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}
