// `npm run bench`: every benchmark under bench/, one after the other (never two measured processes
// at once), then one table: figure, median, min–max, runs, baseline, target, met; the notes below it.
// `--markdown` prints the same as Markdown (for the README). Progress goes to stderr.
// Benchmarks measure; tests never time anything (the machines are shared and noisy).
import { cpus, totalmem } from 'node:os';
import { bound, format } from './lib.mjs';

const BENCHES = ['prompt', 'prefix', 'startup', 'staging', 'overhead', 'memory', 'rename', 'sandbox', 'parse'];
const markdown = process.argv.includes('--markdown');

const began = performance.now();
const rows = [];
for (const name of BENCHES) {
  const start = performance.now();
  process.stderr.write(`bench/${name}.mjs ... `);
  try {
    const bench = await import(`./${name}.mjs`);
    rows.push(...(await bench.figures()));
    process.stderr.write(`${seconds(performance.now() - start)}\n`);
  } catch (error) {
    // One broken benchmark must not hide the others' figures; the exit code still says it failed.
    process.stderr.write(`FAILED: ${error instanceof Error ? error.stack : error}\n`);
    process.exitCode = 1;
  }
}

const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const header = ['figure', 'median', 'min–max', 'runs', 'baseline (ratio)', 'target', 'met'];
const table = rows.map((r) => [
  r.figure,
  `${format(r.value)} ${r.unit}`,
  `${format(r.min)}–${format(r.max)}`,
  String(r.runs),
  r.baseline ? `${r.baseline.label}: ${format(r.baseline.value)} ${r.unit} (×${(r.value / r.baseline.value).toFixed(2)})` : '',
  r.target === undefined ? '—' : `${bound(r)}${r.targetHere === undefined ? '' : ` (here ${format(r.targetHere)} ${r.unit})`}`,
  r.met === undefined ? '—' : r.met ? 'yes' : r.metHere ? 'NO (yes here)' : 'NO',
]);
const notes = rows.filter((r) => r.note).map((r) => `${r.figure.trim()}: ${r.note}`);
const title = `hunkwise benchmarks, ${new Date().toISOString().slice(0, 10)}, ${machine}; ${seconds(performance.now() - began)} in all`;

if (markdown) {
  console.log(`${title}\n`);
  // Markdown drops leading spaces, so the indented sub-rows (per tool) keep their indent as nbsp.
  const cell = (text) => text.replace(/^ +/, (spaces) => '\u00a0'.repeat(spaces.length)).replaceAll('|', '\\|');
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, col) => (col === 0 ? '---' : '---:')).join('|')}|`);
  for (const line of table) console.log(`| ${line.map(cell).join(' | ')} |`);
  console.log(`\n${notes.map((note) => `- ${cell(note)}`).join('\n')}`);
} else {
  console.log(`${title}\n`);
  const all = [header, ...table];
  const widths = header.map((_, col) => Math.max(...all.map((line) => line[col].length)));
  for (const line of all) console.log(line.map((cell, col) => cell.padEnd(widths[col])).join('  ').trimEnd());
  console.log(`\n${notes.join('\n')}`);
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
