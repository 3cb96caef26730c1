// The rename benchmark of SPEC section 11: a symbol with 200 references in a generated
// 1,000-file TypeScript project, renamed through TypeScript 7's language server. "Cold" is from
// starting the server to the rename's answer (the first question of a task); "warm" is a rename
// asked of a server that has loaded the project. Prints medians with min and max.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLanguageServer } from '../dist/lsp/client.js';
import { findServer } from '../dist/lsp/servers.js';
import { isMain, printRows, row, runCount } from './lib.mjs';

const FILES = 1000;
const USERS = 100; // files that use the symbol, twice each: 200 references
const COLD_RUNS = runCount('COLD', 3);
const WARM_RUNS = runCount('WARM', 7);

/** A project of FILES files: lib.ts declares `target`, USERS files call it twice, the rest are filler. */
export function generateProject(root) {
  mkdirSync(join(root, 'src'), { recursive: true });
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler' }, include: ['src'] }));
  writeFileSync(join(root, 'src', 'lib.ts'), 'export function target(n: number): number {\n  return n * 2;\n}\n');
  for (let i = 1; i < FILES; i++) {
    const body =
      i <= USERS
        ? `import { target } from './lib';\n\nexport function use${i}(n: number): number {\n  return target(n) + target(${i});\n}\n`
        : `export function filler${i}(values: number[]): number {\n  return values.reduce((sum, value) => sum + value * ${i}, 0);\n}\n`;
    writeFileSync(join(root, 'src', `file${i}.ts`), body);
  }
  execFileSync('git', ['init', '-q'], { cwd: root });
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'hunkwise-bench-rename-'));
  try {
    generateProject(root);
    const spec = await findServer('typescript', undefined, root);
    const start = () =>
      startLanguageServer({ language: 'typescript', command: spec.command, args: spec.args, root, seedPaths: ['src/lib.ts'] });
    const position = { line: 0, character: 16 };
    const lib = 'export function target(n: number): number {\n  return n * 2;\n}\n';
    const cold = [];
    let edits = 0;
    for (let run = 0; run < COLD_RUNS; run++) {
      const began = performance.now();
      const client = await start();
      await client.sync('src/lib.ts', lib);
      await client.ready();
      const result = await client.rename('src/lib.ts', position, `renamed${run}`);
      cold.push(performance.now() - began);
      edits = result.reduce((sum, file) => sum + file.edits.length, 0);
      await client.shutdown();
    }
    const client = await start();
    await client.sync('src/lib.ts', lib);
    await client.ready();
    await client.rename('src/lib.ts', position, 'warmup');
    const warm = [];
    for (let run = 0; run < WARM_RUNS; run++) {
      const began = performance.now();
      await client.rename('src/lib.ts', position, `again${run}`);
      warm.push(performance.now() - began);
    }
    await client.shutdown();
    return [
      row(`rename, 200 call sites (${edits} edits), ${FILES} files, cold`, cold, { target: 3000 }),
      row(`rename, 200 call sites (${edits} edits), ${FILES} files, warm`, warm, { target: 200 }),
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export const figures = main;

if (isMain(import.meta.url)) printRows(await main());
