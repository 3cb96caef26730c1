import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fake-ollama/server.js';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

afterEach(closeScriptedTasks);

const FILES = { 'greet.ts': 'export const greet = "hello";\n' };
const EDIT: FakeTurn = {
  content: 'Capitalising.',
  toolCalls: [{ name: 'edit_file', arguments: { path: 'greet.ts', old_text: '"hello"', new_text: '"Hello"' } }],
};
const FINISH: FakeTurn = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

describe('a model server that fails for a moment', () => {
  it('asks again after a 500 and after a stream cut mid-answer, with the same request, and the task completes', async () => {
    const script: FakeTurn[] = [
      { error: { status: 500, error: 'llama runner process has terminated' } },
      { content: 'I will now capitalise the greeting in greet.ts, carefully', cutAfter: 3 },
      EDIT,
      FINISH,
    ];
    const task = await runScriptedTask(FILES, script);
    expect(task.run.stderr).toBe('');
    expect(task.run.code).toBe(0);
    expect(task.run.stdout).toContain('answered 500: llama runner process has terminated. Asking again in 1 s (attempt 2 of 4).');
    expect(task.run.stdout).toMatch(/broke before the answer was complete\. Asking again in 2 s \(attempt 3 of 4\)\./);
    expect(task.repo.git('show', `${task.task.branch}:greet.ts`)).toBe('export const greet = "Hello";\n');
    const [first, second, third] = task.server.chatRequests();
    // Nothing of the failed attempts entered the conversation: the same request three times.
    expect(second?.messages).toEqual(first?.messages);
    expect(third?.messages).toEqual(first?.messages);
    expect(task.server.requests.find((r) => r.path === '/api/chat' && r.clientClosedEarly)).toBeUndefined();
  });

  it('gives up after four attempts: exit 1, what happened, how to resume; the resumed task completes', async () => {
    const cut: FakeTurn = { content: 'Thinking about it', cutAfter: 1 };
    const task = await runScriptedTask(FILES, [cut, cut, cut, cut]);
    expect(task.run.code).toBe(1);
    expect(task.run.stdout).toMatch(/broke before the answer was complete \(asked 4 times; giving up\)/);
    expect(task.run.stdout).toContain(`Continue it with \`agent task --resume ${task.task.id}\``);
    expect(task.server.chatRequests()).toHaveLength(4);

    task.server.setScript([EDIT, FINISH]);
    const resumed = await task.resume();
    expect(resumed.code).toBe(0);
    expect(task.repo.git('show', `${task.task.branch}:greet.ts`)).toBe('export const greet = "Hello";\n');
  });

  it('does not ask again when the server refuses the request (a 4xx)', async () => {
    const task = await runScriptedTask(FILES, [{ error: { status: 401, error: 'unauthorized' } }, EDIT, FINISH]);
    expect(task.run.code).toBe(1);
    expect(task.run.stdout).toContain('answered 401: unauthorized');
    expect(task.server.chatRequests()).toHaveLength(1);
  });
});
