import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processesUnder } from '../helpers/processes.js';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

afterEach(closeScriptedTasks);

describe('run_command at its limits, through the agent', () => {
  it('stops a command that prints forever and one that never ends, at the config limits, leaving no process', async () => {
    const task = await runScriptedTask(
      { 'a.txt': 'a\n' },
      [
        {
          toolCalls: [
            { name: 'run_command', arguments: { command: 'yes hunkwise' } },
            { name: 'run_command', arguments: { command: 'sleep 600 & echo started; wait' } },
          ],
        },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ],
      { config: { run: { timeout: 1, outputLimit: 2000 } } },
    );
    expect(task.run.code).toBe(0);
    const [forever, endless] = task.server.chatRequests()[1]?.messages.filter((m) => m.role === 'tool').map((m) => m.content) ?? [];
    expect(forever).toMatch(/^Timed out after 1 s; the command and its child processes were killed\. Run something that ends/);
    expect(forever).toMatch(/\[\.\.\. \d+ bytes cut \.\.\.\]/);
    expect(Buffer.byteLength(forever ?? '')).toBeLessThan(2_500);
    expect(endless).toMatch(/^Timed out after 1 s;[^\n]*\nstarted/);
    expect(processesUnder('sleep 600', dirname(task.repo.root))).toEqual([]);
    expect(processesUnder('yes hunkwise', dirname(task.repo.root))).toEqual([]);
  });
});
