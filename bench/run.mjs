// `npm run bench`: every benchmark under bench/, one table: figure, median, min–max, target, met.
// Benchmarks measure; tests never time anything (the machines are shared and noisy).
import { cpus, totalmem } from 'node:os';

const benches = ['./rename.mjs'];
const rows = [];
for (const path of benches) {
  const bench = await import(path);
  rows.push(...(await bench.figures()));
}
const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`hunkwise benchmarks, ${new Date().toISOString().slice(0, 10)}, ${machine}\n`);
const table = [
  ['figure', 'median', 'min–max', 'target', 'met'],
  ...rows.map((row) => [row.figure, `${row.value.toFixed(0)} ms`, `${row.min.toFixed(0)}–${row.max.toFixed(0)} ms`, `≤ ${row.target} ms`, row.value <= row.target ? 'yes' : 'NO']),
];
const widths = table[0].map((_, col) => Math.max(...table.map((row) => row[col].length)));
for (const row of table) console.log(row.map((cell, col) => cell.padEnd(widths[col])).join('  '));
