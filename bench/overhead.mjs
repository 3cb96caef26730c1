// The agent's own overhead per model turn (SPEC section 11), model and language server excluded: a
// 50-turn task against a fake that answers at once, each turn one read_file of a small file. A turn's
// overhead is the time from the fake starting answer n (two NDJSON lines, written at once) to the
// fake having read request n+1 whole: reading the stream, running the tool, recording the turn,
// building and sending the next request. The baseline is the same interval for a bare client (a
// separate node process replaying the same requests with node:http, as the agent sends them): what
// HTTP and JSON cost anyway.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, FINISH, format, isMain, makeRepo, median, printRows, row, runAgent, runCount, startFakeOllama, timedRun } from './lib.mjs';

const RUNS = runCount('OVERHEAD', 5);
export const TURNS = 50;

// Text files only, and the language servers off in the config: no language server ever starts.
const FILES = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`notes/n${i}.txt`, `note ${i}\n${'some words of text\n'.repeat(10)}`]));

/** Turn `index` (0-based): read one of the notes; the last turn finishes; none after it. */
export function turn(index) {
  if (index < TURNS - 1) return call('read_file', { path: `notes/n${index % 5}.txt` });
  return index === TURNS - 1 ? FINISH : undefined;
}

/**
 * A fake whose `intervals()` are, for each request after the first, the milliseconds from the
 * start of the previous answer to this request's arrival (its body read), by the monotonic clock.
 */
async function timedFake() {
  const answered = [];
  const arrived = [];
  const script = (_body, index) => {
    answered.push(performance.now());
    return turn(index);
  };
  const onRequest = (request) => {
    if (request.path === '/api/chat') arrived.push(performance.now());
  };
  const fake = await startFakeOllama({ script, onRequest });
  fake.intervals = () => arrived.slice(1).map((at, i) => at - answered[i]);
  /** Forgets every request and starts the script again from its first turn. */
  fake.reset = () => {
    answered.length = 0;
    arrived.length = 0;
    fake.requests.length = 0;
    fake.setScript(script);
  };
  return fake;
}

/** The 50-turn task, run to its end in a fresh repository; `onSpawn` sees the agent's process. */
export async function runTurns(fake, { onSpawn } = {}) {
  const repo = makeRepo(FILES, { ollama: fake.url });
  try {
    await runAgent(['task', 'read the notes', '--approve', 'all'], { cwd: repo.root, env: repo.env, onSpawn });
    const sent = fake.chatRequests().length;
    if (sent !== TURNS) throw new Error(`the task sent ${sent} model requests, not ${TURNS}`);
  } finally {
    repo.cleanup();
  }
}

/** The bare client: the agent's own requests, replayed one after the other as fast as node:http can. */
const BARE_CLIENT = `
const http = require('node:http');
const { url, bodies } = JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'));
const post = (body) => new Promise((resolve, reject) => {
  const payload = JSON.stringify(body);
  const request = http.request(url + '/api/chat', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (response) => {
    response.on('data', () => {});
    response.on('end', resolve);
  });
  request.on('error', reject);
  request.end(payload);
});
(async () => {
  for (const body of bodies) await post(body);
})();
`;

async function bareClient(fake, bodies, dir) {
  const file = join(dir, 'bodies.json');
  writeFileSync(file, JSON.stringify({ url: fake.url, bodies }));
  fake.reset();
  const run = await timedRun(process.execPath, ['-e', BARE_CLIENT, file]);
  if (run.code !== 0) throw new Error(`the bare client failed: ${run.stderr}`);
  return fake.intervals();
}

export async function figures() {
  const fake = await timedFake();
  const scratch = mkdtempSync(join(tmpdir(), 'hunkwise-bench-'));
  try {
    const perRun = [];
    const all = [];
    let bodies = [];
    for (let run = -1; run < RUNS; run++) {
      fake.reset();
      await runTurns(fake);
      bodies = fake.chatRequests();
      if (run < 0) continue; // unmeasured: the first run also warms the disk cache
      perRun.push(median(fake.intervals()));
      all.push(...fake.intervals());
    }
    const bare = [];
    for (let run = 0; run < RUNS; run++) bare.push(median(await bareClient(fake, bodies, scratch)));
    const sorted = [...all].sort((a, b) => a - b);
    const p90 = sorted[Math.floor(0.9 * (sorted.length - 1))];
    return [
      row(`agent overhead per model turn (${TURNS}-turn task)`, perRun, {
        target: 10,
        baseline: { label: 'bare node:http client', value: median(bare) },
        note: `median of each run's ${TURNS - 1} turns; over all ${all.length} turns: p90 ${format(p90)} ms, max ${format(sorted.at(-1))} ms; minus the bare client ${format(median(perRun) - median(bare))} ms`,
      }),
    ];
  } finally {
    await fake.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) printRows(await figures());
