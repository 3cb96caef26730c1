import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { gitFunctionContext } from '../../src/git/funcname.js';
import { diffFile } from '../../src/git/hunks.js';

/**
 * git's function context, checked against git itself on published sources nobody here wrote (the
 * packages as npm installs them): one line changed at a time, the `@@` line hunkwise shows equals
 * the one `git diff` prints.
 */

const work = mkdtempSync(join(tmpdir(), 'hunkwise-funcname-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SOURCES = [
  'node_modules/diff/libcjs/diff/base.js',
  'node_modules/vscode-jsonrpc/lib/common/connection.d.ts',
  'node_modules/vscode-jsonrpc/lib/common/messageReader.js',
];

/** The `@@` lines git prints for old → new, with its default funcname rule (no attributes). */
function gitHeaders(old: string, changed: string): string[] {
  writeFileSync(join(work, 'a'), old);
  writeFileSync(join(work, 'b'), changed);
  const run = spawnSync('git', ['-c', 'core.attributesFile=/dev/null', 'diff', '--no-index', '--no-color', 'a', 'b'], { cwd: work, encoding: 'utf8' });
  return run.stdout.split('\n').filter((line) => line.startsWith('@@'));
}

describe("git's default function context", () => {
  for (const source of SOURCES) {
    it(`is git's for every tenth line changed in ${source}`, () => {
      const old = readFileSync(fileURLToPath(new URL(`../../${source}`, import.meta.url)), 'utf8');
      const lines = old.split('\n');
      let compared = 0;
      let named = 0;
      for (let at = 5; at < lines.length - 1; at += 10) {
        const changed = lines.map((line, i) => (i === at ? `${line} // changed` : line)).join('\n');
        const [hunk, ...more] = diffFile('f', old, changed).hunks;
        if (!hunk || more.length > 0) continue;
        const context = gitFunctionContext(old, hunk);
        const ours = `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@${context ? ` ${context}` : ''}`;
        expect(ours, `line ${at + 1}`).toBe(gitHeaders(old, changed)[0]);
        compared++;
        if (context) named++;
      }
      expect(compared).toBeGreaterThan(10);
      expect(named).toBeGreaterThan(5);
    });
  }
});
