import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files of a fixture folder under test/fixtures, as an object literal for makeRepo. */
export function fixtureFiles(name: string): Record<string, string> {
  const root = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) walk(abs);
      else files[relative(root, abs)] = readFileSync(abs, 'utf8');
    }
  };
  walk(root);
  return files;
}
