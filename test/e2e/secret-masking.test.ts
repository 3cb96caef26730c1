import { describe, expect, it } from 'vitest';
import { startFakeOllama } from '../fake-ollama/server.js';
import { startFakeOpenAI } from '../fake-openai/server.js';
import { runAgent } from '../helpers/agent.js';
import { closeAfterEach } from '../helpers/open.js';
import { makeRepo, writeUserConfig } from '../helpers/repo.js';
import { readTask, taskIds } from '../helpers/tasks.js';
import { machineName } from '../helpers/machine-name.js';

const open = closeAfterEach();

/**
 * Keys a model gets to read in a task: the OpenAI project key of gitleaks' openai rule
 * (gitleaks/gitleaks cmd/generate/config/rules/openai.go) and AWS's documented example key pair
 * (IAM User Guide, "Manage access keys for IAM users"). The provider's own key, set in the
 * environment, is xkcd 936's "correct horse battery staple": no credential format knows it, only
 * the environment does.
 */
const OPENAI_KEY =
  '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';
const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const PROVIDER_KEY = 'correcthorsebatterystaple';
const SECRETS = [OPENAI_KEY, AWS_KEY_ID, AWS_SECRET, PROVIDER_KEY];

const FILES = {
  'src/settings.ts':
    `export const openaiKey = '${OPENAI_KEY}';\n` +
    `export const aws = { accessKeyId: '${AWS_KEY_ID}', secretAccessKey: '${AWS_SECRET}' };\n` +
    `// the lab's model server answers to ${PROVIDER_KEY}\n`,
  'README.md': 'hello\n',
};

/** The model reads the file, says what it saw (a model may repeat a key), edits README.md, finishes. */
const SCRIPT = [
  { toolCalls: [{ name: 'read_file', arguments: { path: 'src/settings.ts' } }] },
  {
    content: `src/settings.ts holds ${AWS_KEY_ID}; I leave it alone.`,
    toolCalls: [{ name: 'edit_file', arguments: { path: 'README.md', old_text: 'hello', new_text: 'Hello' } }],
  },
  { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
];


const without = (text: string): string[] => SECRETS.filter((secret) => text.includes(secret));

describe('secrets in a task', () => {
  it('reach neither a remote provider nor the git note of the step', async () => {
    const machine = await machineName();
    const server = open.add(await startFakeOpenAI({ host: machine.address, apiKey: PROVIDER_KEY, script: SCRIPT }));
    const repo = open.add(makeRepo(FILES));
    writeUserConfig(repo, { providers: { lab: { baseUrl: `http://${machine.name}:${server.port}/v1`, apiKeyEnv: 'LAB_KEY' } } });
    const env = { ...repo.env, LAB_KEY: PROVIDER_KEY };
    const run = await runAgent(['task', 'capitalise the readme', '--model', 'lab/qwen2.5-coder-7b-instruct', '--approve', 'all'], {
      cwd: repo.root,
      env,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const bodies = server.chatRequests();
    expect(bodies).toHaveLength(3);
    expect(without(JSON.stringify(bodies))).toEqual([]);
    // The model did read the file, masked: each secret became a marker that names what it was.
    const readResult = bodies[1]?.messages.at(-1)?.content ?? '';
    expect(readResult).toContain("export const openaiKey = '[masked: openai-api-key]';");
    expect(readResult).toContain('accessKeyId: \'[masked: aws-access-token]\'');
    expect(readResult).toContain('[masked: aws-secret-access-key]');
    expect(readResult).toContain('answers to [masked: $LAB_KEY]');
    // What the model said is masked when it goes back, the same way in every later request.
    const said = bodies[2]?.messages.find((message) => message.role === 'assistant' && message.content?.includes('leave it alone'));
    expect(said?.content).toBe('src/settings.ts holds [masked: aws-access-token]; I leave it alone.');
    expect(JSON.stringify(bodies[2]?.messages.slice(0, bodies[1]?.messages.length))).toBe(JSON.stringify(bodies[1]?.messages));
    // The key still goes where it belongs: the provider's Authorization header.
    expect(server.requests.every((request) => request.headers.authorization === `Bearer ${PROVIDER_KEY}`)).toBe(true);

    const task = readTask(repo, taskIds(repo)[0] ?? '');
    const note = repo.git('notes', '--ref=hunkwise', 'show', task.branch);
    expect(note).toContain('[tool read_file]');
    expect(note).toContain('[masked: openai-api-key]');
    expect(without(note)).toEqual([]);
  });

  it('reach no git note of a local task either, while the local model sees the file as it is', async () => {
    const server = open.add(await startFakeOllama({ script: SCRIPT }));
    const repo = open.add(makeRepo(FILES));
    const env = { ...repo.env, OLLAMA_HOST: server.url, LAB_KEY: PROVIDER_KEY };
    const run = await runAgent(['task', 'capitalise the readme', '--approve', 'all'], { cwd: repo.root, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    // Nothing leaves the machine: a local model is sent the file unmasked (SPEC section 5).
    expect(without(JSON.stringify(server.chatRequests()))).toEqual(SECRETS);
    const task = readTask(repo, taskIds(repo)[0] ?? '');
    expect(repo.read('README.md')).toBe('hello\n');
    expect(repo.git('show', `${task.branch}:README.md`)).toBe('Hello\n');
    const note = repo.git('notes', '--ref=hunkwise', 'show', task.branch);
    expect(note).toContain('[tool read_file]');
    expect(note).toContain('[masked: aws-secret-access-key]');
    expect(note).toContain('answers to [masked: $LAB_KEY]');
    expect(without(note)).toEqual([]);
  });
});
