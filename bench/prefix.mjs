// Prefix stability (SPEC sections 6 and 11): in a scripted 20-turn task, the share of requests after
// the first that begin with the previous request's messages unchanged (deep equal), with the same
// tools and the same options.num_ctx, so that Ollama can reuse its cache of the prompt and never
// reloads the model. With the default window nothing needs shortening in 20 small turns, so every
// request should qualify.
import { isDeepStrictEqual } from 'node:util';
import { call, FINISH, isMain, makeRepo, printRows, row, runAgent, runCount, startFakeOllama } from './lib.mjs';

const RUNS = runCount('PREFIX', 3);

const FILES = {
  'README.md': '# inventory\n\nA small inventory tool. TODO: document the export format.\n',
  'docs/guide.md': '# Guide\n\nRun `inventory add <item>` to add an item.\nTODO: describe removal.\n',
  'docs/export.md': '# Export\n\nItems are exported one per line.\n',
  'data/items.txt': 'apples 3\npears 5\nplums 0\n',
  'scripts/count.sh': '#!/bin/sh\n# Counts the items.\nwc -l data/items.txt\n',
  'CHANGELOG.md': '# Changes\n\n## 0.1.0\n\n- First release.\n',
};

/** Twenty turns: reads, searches, listings, two edits and a new file, then finish. */
const TURNS = [
  call('list_files'),
  call('read_file', { path: 'README.md' }),
  call('read_file', { path: 'docs/guide.md' }),
  call('grep', { pattern: 'TODO' }),
  call('read_file', { path: 'docs/export.md' }),
  call('list_files', { path: 'docs' }),
  call('read_file', { path: 'data/items.txt' }),
  call('grep', { pattern: 'items', path: 'scripts' }),
  call('read_file', { path: 'scripts/count.sh' }),
  call('edit_file', { path: 'README.md', old_text: 'TODO: document the export format.', new_text: 'See docs/export.md for the export format.' }),
  call('read_file', { path: 'README.md' }),
  call('read_file', { path: 'CHANGELOG.md' }),
  call('edit_file', { path: 'CHANGELOG.md', old_text: '- First release.', new_text: '- First release.\n- Export format documented.' }),
  call('list_files', { pattern: '*.md' }),
  call('write_file', { path: 'docs/remove.md', content: '# Removal\n\nRun `inventory remove <item>`.\n' }),
  call('grep', { pattern: 'remove' }),
  call('read_file', { path: 'docs/guide.md', start_line: 3, end_line: 4 }),
  call('edit_file', { path: 'docs/guide.md', old_text: 'TODO: describe removal.', new_text: 'See docs/remove.md.' }),
  call('read_file', { path: 'docs/remove.md' }),
  FINISH,
];

/** Why `next` is not a pure extension of `previous`, or undefined when it is one. */
function breakOf(previous, next) {
  if (previous.options?.num_ctx !== next.options?.num_ctx) return `num_ctx ${previous.options?.num_ctx} → ${next.options?.num_ctx}`;
  if (!isDeepStrictEqual(previous.tools, next.tools)) return 'tools changed';
  if (next.messages.length <= previous.messages.length) return 'no new message';
  const changed = previous.messages.findIndex((message, i) => !isDeepStrictEqual(message, next.messages[i]));
  return changed === -1 ? undefined : `message ${changed} (${previous.messages[changed].role}) changed`;
}

async function once() {
  const fake = await startFakeOllama({ script: TURNS });
  const repo = makeRepo(FILES, { ollama: fake.url });
  try {
    await runAgent(['task', 'document the export format and removal', '--approve', 'all'], { cwd: repo.root, env: repo.env });
    const requests = fake.chatRequests();
    if (requests.length !== TURNS.length) throw new Error(`the task sent ${requests.length} requests, not ${TURNS.length}`);
    const breaks = [];
    for (let i = 1; i < requests.length; i++) {
      const why = breakOf(requests[i - 1], requests[i]);
      if (why) breaks.push(`request ${i + 1}: ${why}`);
    }
    return { share: (100 * (requests.length - 1 - breaks.length)) / (requests.length - 1), breaks };
  } finally {
    await fake.close();
    repo.cleanup();
  }
}

export async function figures() {
  const shares = [];
  const breaks = new Set();
  for (let run = 0; run < RUNS; run++) {
    const result = await once();
    shares.push(result.share);
    for (const why of result.breaks) breaks.add(why);
  }
  const note = breaks.size ? `not extended: ${[...breaks].join('; ')}` : `${TURNS.length - 1} of ${TURNS.length - 1} requests extended the previous one`;
  return [row(`requests extending the previous one (${TURNS.length}-turn task)`, shares, { unit: '%', target: 100, atLeast: true, note })];
}

if (isMain(import.meta.url)) printRows(await figures());
