// Start-up (SPEC section 11), every figure from spawning a real `node bin/agent.js` process:
//   - `agent --version` to its exit; `node -e 0`, measured in the same loop, is every figure's baseline;
//   - `agent list` to its exit, in a repository with 20 tasks;
//   - `agent task "..."` from the spawn to the arrival of its first /api/chat request at the fake
//     (the fake's `receivedAt`), in a small repository and in one of 50,000 files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_BIN, FINISH, format, isMain, makeRepo, median, printRows, row, runAgent, runCount, SPEC_NODE_MS, startFakeOllama, timedRun } from './lib.mjs';

const RUNS = runCount('STARTUP', 11);
const BIG_RUNS = runCount('BIG', 3);
const LISTED_TASKS = 20;

const SMALL = {
  'README.md': '# demo\n',
  'src/main.js': 'console.log("hello");\n',
  'src/util.js': 'export const twice = (n) => 2 * n;\n',
  'test/util.test.js': 'import { twice } from "../src/util.js";\n',
};

/** `agent --version` and `node -e 0`, one after the other in each round so that both see the same machine. */
async function version() {
  const agent = [];
  const node = [];
  // One unmeasured round: the first spawn also pays for reading node and the agent's files from disk.
  for (let run = -1; run < RUNS; run++) {
    const a = await timedRun(process.execPath, [AGENT_BIN, '--version']);
    const n = await timedRun(process.execPath, ['-e', '0']);
    if (a.code !== 0) throw new Error(`agent --version exited with ${a.code}: ${a.stderr}`);
    if (run < 0) continue;
    agent.push(a.ms);
    node.push(n.ms);
  }
  return { agent, node };
}

/**
 * The least any `agent list` written for Node does: start, run the one git process that finds the
 * repository and the task branches, print its output. What is over this is hunkwise's own.
 */
const LIST_FLOOR = `
import { spawn } from 'node:child_process';
const git = spawn('git', ['rev-parse', '--show-toplevel', '--git-common-dir', '--git-dir', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD', '--branches=agent/*'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
git.stdout.on('data', (chunk) => (out += chunk));
git.on('close', () => process.stdout.write(out));
`;

/** `agent list` in a repository where 20 tasks ran (each finishing at once), and the floor beside it. */
async function list(baseline, scale) {
  const fake = await startFakeOllama({ script: () => FINISH });
  const repo = makeRepo(SMALL, { ollama: fake.url });
  try {
    for (let n = 1; n <= LISTED_TASKS; n++) await runAgent(['task', `t${n}`, '--approve', 'all'], { cwd: repo.root, env: repo.env });
    const times = [];
    const floors = [];
    let output = '';
    for (let run = -1; run < RUNS; run++) {
      const result = await runAgent(['list'], { cwd: repo.root, env: repo.env });
      const floor = await timedRun(process.execPath, ['--input-type=module', '-e', LIST_FLOOR], { cwd: repo.root, env: repo.env });
      if (floor.code !== 0) throw new Error(`the floor program failed: ${floor.stderr}`);
      output = result.stdout;
      if (run < 0) continue;
      times.push(result.ms);
      floors.push(floor.ms);
    }
    const listed = output.split('\n').filter((line) => /\bt\d+\b/.test(line)).length;
    if (listed !== LISTED_TASKS) throw new Error(`agent list showed ${listed} tasks, not ${LISTED_TASKS}:\n${output}`);
    return [
      row(`agent list, ${LISTED_TASKS} tasks`, times, { target: 150, baseline, scale }),
      row('  an ES module that only runs the git process list needs', floors, { baseline }),
    ];
  } finally {
    await fake.close();
    repo.cleanup();
  }
}

/**
 * From spawning `agent task` to the first /api/chat request arriving, `runs` times in `repo`; the
 * fake then answers `finish` and the task runs to its end (timed too, for the note) before the next.
 */
async function firstRequest(repo, fake, runs) {
  const firsts = [];
  const anys = [];
  const wholes = [];
  let firstPath = '';
  for (let run = -1; run < runs; run++) {
    const before = fake.requests.length;
    const result = await runAgent(['task', `first request ${run + 1}`, '--approve', 'all'], { cwd: repo.root, env: repo.env });
    const requests = fake.requests.slice(before);
    const chat = requests.find((request) => request.path === '/api/chat');
    if (!chat) throw new Error('the task ended without asking the model anything');
    if (run < 0) continue;
    firsts.push(chat.receivedAt - result.spawnedAt);
    anys.push(requests[0].receivedAt - result.spawnedAt);
    firstPath = requests[0].path;
    wholes.push(result.ms);
  }
  // Where the time goes: the first contact with the server (/api/show), and the whole task.
  const note = `first request of any kind (${firstPath}) ${format(median(anys))} ms; whole task (the model finishing at once) ${format(median(wholes))} ms`;
  return { firsts, note };
}

/** 500 folders of 100 small files, committed at once. */
function bigRepo(ollama) {
  const repo = makeRepo({ 'README.md': '# big\n' }, { ollama });
  for (let d = 0; d < 500; d++) {
    const dir = join(repo.root, `pkg${d}`);
    mkdirSync(dir);
    for (let f = 0; f < 100; f++) writeFileSync(join(dir, `file${f}.txt`), `package ${d}, file ${f}\n`);
  }
  repo.git('add', '-A');
  repo.git('commit', '-q', '-m', '50,000 files');
  return repo;
}

async function firstRequests(baseline, scale) {
  const fake = await startFakeOllama({ script: () => FINISH });
  const small = makeRepo(SMALL, { ollama: fake.url });
  let big;
  try {
    const s = await firstRequest(small, fake, RUNS);
    big = bigRepo(fake.url);
    const b = await firstRequest(big, fake, BIG_RUNS);
    return [
      row('agent task → first model request, small repo', s.firsts, { target: 250, baseline, scale, note: s.note }),
      row('agent task → first model request, 50,000 files', b.firsts, { baseline, note: b.note }),
    ];
  } finally {
    await fake.close();
    small.cleanup();
    big?.cleanup();
  }
}

export async function figures() {
  const { agent, node } = await version();
  // Every start-up figure is shown next to the floor: node starting and doing nothing. The SPEC's
  // targets assume a machine where that takes 60 ms; they are also shown scaled to this one.
  const baseline = { label: 'node -e 0', value: median(node) };
  const scale = baseline.value / SPEC_NODE_MS;
  return [
    row('agent --version', agent, { target: 100, baseline, scale }),
    row('  node -e 0 (the baseline)', node),
    ...(await list(baseline, scale)),
    ...(await firstRequests(baseline, scale)),
  ];
}

if (isMain(import.meta.url)) printRows(await figures());
