import { lstatSync } from 'node:fs';

/** Whether something is at `path`, a dangling symlink included (existsSync follows links: it says no). */
export function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
