// Peak memory of the `agent` process itself during a task (SPEC section 11): the 50-turn task of
// overhead.mjs, its VmHWM (the kernel's high-water mark of resident memory) read from
// /proc/<pid>/status every ~10 ms until the process exits; the last value read is the peak. Git and
// language servers are processes of their own and are not counted (none starts here anyway). The
// baseline is the same figure for a node process that only waits 300 ms.
import { readFileSync } from 'node:fs';
import { isMain, median, printRows, row, runCount, startFakeOllama, timedRun } from './lib.mjs';
import { runTurns, TURNS, turn } from './overhead.mjs';

const RUNS = runCount('MEMORY', 5);
const POLL_MS = 10;

/** VmHWM of `pid` in MB, or undefined once the process has gone (or become a zombie). */
function peakMB(pid) {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Runs `start(onSpawn)` while polling the spawned process; resolves with its peak in MB. */
async function peakOf(start) {
  let peak = 0;
  let timer;
  try {
    await start((child) => {
      timer = setInterval(() => {
        peak = peakMB(child.pid) ?? peak;
      }, POLL_MS);
    });
  } finally {
    clearInterval(timer);
  }
  if (peak === 0) throw new Error('/proc/<pid>/status was never read: is this Linux?');
  return peak;
}

async function agentPeak() {
  const fake = await startFakeOllama({ script: (_body, index) => turn(index) });
  try {
    return await peakOf((onSpawn) => runTurns(fake, { onSpawn }));
  } finally {
    await fake.close();
  }
}

const nodePeak = () => peakOf((onSpawn) => timedRun(process.execPath, ['-e', 'setTimeout(() => {}, 300)'], { onSpawn }));

export async function figures() {
  const peaks = [];
  const floor = [];
  for (let run = 0; run < RUNS; run++) {
    peaks.push(await agentPeak());
    floor.push(await nodePeak());
  }
  return [row(`peak memory of agent (${TURNS}-turn task)`, peaks, { unit: 'MB', target: 120, baseline: { label: 'node, idle', value: median(floor) } })];
}

if (isMain(import.meta.url)) printRows(await figures());
