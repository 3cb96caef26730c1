// The fixed prompt of SPEC section 11: the system prompt and every tool definition, as the agent
// really sends them in the first request of a task (taken from what the fake Ollama received, not
// from the source), counted in o200k tokens with gpt-tokenizer and in characters. The text is the
// same on every run, so one run is enough.
import { encode } from 'gpt-tokenizer';
import { FINISH, isMain, makeRepo, printRows, row, runAgent, startFakeOllama } from './lib.mjs';

const TARGET_TOKENS = 1000;

// A tool description may mention `<|endoftext|>`-like text; count it as text, never throw.
const tokens = (text) => encode(text, { disallowedSpecial: new Set() }).length;

/** The system message and the tools array of the first /api/chat request of a fresh task. */
async function firstRequest() {
  const fake = await startFakeOllama({ script: [FINISH] });
  const repo = makeRepo({ 'README.md': '# demo\n' }, { ollama: fake.url });
  try {
    await runAgent(['task', 'say hello', '--approve', 'all'], { cwd: repo.root, env: repo.env });
    const [first] = fake.chatRequests();
    const system = first.messages[0];
    if (system?.role !== 'system') throw new Error(`the first message is a ${system?.role} message, not the system prompt`);
    return { system: system.content, tools: first.tools ?? [] };
  } finally {
    await fake.close();
    repo.cleanup();
  }
}

export async function figures() {
  const { system, tools } = await firstRequest();
  // The tools as they travel: JSON, which is also how Ollama's templates put them in the prompt.
  const toolsJson = JSON.stringify(tools);
  const total = tokens(system) + tokens(toolsJson);
  const chars = system.length + toolsJson.length;
  return [
    row('fixed prompt: system + all tools', [total], {
      unit: 'tokens',
      target: TARGET_TOKENS,
      note: `${chars.toLocaleString('en-US')} chars; system prompt ${tokens(system)} tokens (${system.length.toLocaleString('en-US')} chars), ${tools.length} tools ${tokens(toolsJson)} tokens (${toolsJson.length.toLocaleString('en-US')} chars)`,
    }),
    ...tools.map((tool) => {
      const json = JSON.stringify(tool);
      return row(`  tool ${tool.function.name} (${json.length} chars)`, [tokens(json)], { unit: 'tokens' });
    }),
  ];
}

if (isMain(import.meta.url)) printRows(await figures());
