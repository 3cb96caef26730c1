// Reading a finished answer (src/agent/turn.ts readAnswer: thinking split, every call form): the
// time for the 134 real answers of test/fixtures/model-outputs, and for a megabyte of adversarial
// text of each form, against a baseline measured in the same run: JSON.parse of the same bytes as
// a JSON string (one pass over every character). The agent reads an answer once, after it ended.
import { readFileSync } from 'node:fs';
import { isMain, median, printRows, row, runCount } from './lib.mjs';

const RUNS = runCount('PARSE', 5);
const { readAnswer } = await import('../dist/agent/turn.js');
const { toolDefinitions } = await import('../dist/agent/tools/index.js');

const corpus = ['a', 'b'].flatMap((part) => JSON.parse(readFileSync(new URL(`../test/fixtures/model-outputs/corpus-${part}.json`, import.meta.url), 'utf8')));
const tools = toolDefinitions();

/** A megabyte of each form opened and never closed, or repeated: the worst a runaway model writes. */
const MB = 1 << 20;
const fill = (unit) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
const ADVERSARIAL = [
  '<tool_call>{',
  '<function=read_file><parameter=path>',
  '[read_file(path="',
  '[TOOL_CALLS]read_file[ARGS]{"path": ',
  '<|channel|>commentary to=functions.read_file<|message|>{',
  '<read_file><path>',
  '<|tool_call>call:read_file{path:',
  '{"name": "read_file", "arguments": {"path": ',
].map(fill);

const read = (text) => readAnswer({ text, thinking: '', calls: [], doneReason: 'stop' }, tools);

function time(work) {
  const started = performance.now();
  work();
  return performance.now() - started;
}

export async function figures() {
  const answers = corpus.map((entry) => entry.output);
  const corpusBytes = answers.reduce((sum, text) => sum + text.length, 0);
  const corpusTimes = [];
  const corpusBase = [];
  const worstTimes = [];
  const worstBase = [];
  for (let run = 0; run < RUNS; run++) {
    corpusTimes.push(time(() => answers.map(read)));
    corpusBase.push(time(() => answers.map((text) => JSON.parse(JSON.stringify(text)))));
    worstTimes.push(Math.max(...ADVERSARIAL.map((text) => time(() => read(text)))));
    worstBase.push(Math.max(...ADVERSARIAL.map((text) => time(() => JSON.parse(JSON.stringify(text))))));
  }
  return [
    row('read the 134 real answers of the corpus', corpusTimes, {
      baseline: { label: 'JSON.parse of the same text', value: median(corpusBase) },
      note: `${corpus.length} answers, ${Math.round(corpusBytes / 1024)} KiB in all`,
    }),
    row('read 1 MiB of adversarial text (slowest form)', worstTimes, {
      baseline: { label: 'JSON.parse of the same text', value: median(worstBase) },
      note: `${ADVERSARIAL.length} forms, each a megabyte of one call opening repeated`,
    }),
  ];
}

if (isMain(import.meta.url)) printRows(await figures());
