import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputCap, runCommandTool } from '../../../src/agent/tools/run-command.js';
import { isRunning, processesUnder } from '../../helpers/processes.js';
import { type ContextOptions, createContext, gitdir, taskSandbox, worktreeOf } from './context.js';

function pidIn(root: string, file: string): number {
  return Number(readFileSync(join(root, file), 'utf8').trim());
}

describe('run_command', () => {
  const root = gitdir({ 'README.md': '# r\n' });

  it('runs in the worktree and gives the exit code first', async () => {
    const ctx = createContext(root);
    const ok = await runCommandTool.run({ command: 'pwd && echo "$PAGER $GIT_TERMINAL_PROMPT"' }, ctx);
    expect(ok.content).toBe(`exit code 0\n${root}\ncat 0\n`);
    expect(ok.isError).toBeUndefined();
    expect(ctx.approvals).toEqual([{ class: 'run', tool: 'run_command', subject: 'pwd && echo "$PAGER $GIT_TERMINAL_PROMPT"' }]);
    expect(ctx.started).toHaveLength(1);
    const failed = await runCommandTool.run({ command: 'echo bad >&2; exit 3' }, createContext(root));
    expect(failed.content).toBe('exit code 3\nbad\n');
    const silent = await runCommandTool.run({ command: 'true' }, createContext(root));
    expect(silent.content).toBe('exit code 0\n(no output)');
  });

  it('interleaves stdout and stderr as they came, with stdin closed', async () => {
    const command = 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; cat; echo "stdin: $?"';
    const result = await runCommandTool.run({ command }, createContext(root));
    expect(result.content).toBe('exit code 0\none\ntwo\nthree\nstdin: 0\n');
  });

  it('reports a command killed by a signal', async () => {
    const result = await runCommandTool.run({ command: 'kill -SEGV $$' }, createContext(root));
    expect(result.content.split('\n')[0]).toBe('killed by SIGSEGV');
  });

  it('cuts long output keeping the head and the tail', async () => {
    const ctx = createContext(root, { outputLimit: 200 });
    const result = await runCommandTool.run({ command: 'seq 1 2000' }, ctx);
    const [status, ...rest] = result.content.split('\n');
    expect(status).toBe('exit code 0');
    const output = rest.join('\n');
    expect(output.startsWith('1\n2\n3\n')).toBe(true);
    expect(output.endsWith('1999\n2000\n')).toBe(true);
    const cut = /\[\.\.\. (\d+) bytes cut \.\.\.\]/.exec(output);
    expect(Number(cut?.[1])).toBe(8893 - 200);
  });

  it('kills a command that never ends at the timeout, with its children', async () => {
    const ctx = createContext(root, { timeoutMs: 500 });
    const started = Date.now();
    const result = await runCommandTool.run({ command: 'sleep 60 & echo $! > child.pid; echo started; wait' }, ctx);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(/^Timed out after 0\.5 s; the command and its child processes were killed\./);
    expect(result.content).toContain('started');
    expect(isRunning(pidIn(root, 'child.pid'))).toBe(false);
  });

  it('kills children that ignore SIGTERM with SIGKILL after the grace period', async () => {
    const ctx = createContext(root, { timeoutMs: 300 });
    const command = 'trap "" TERM; sleep 60 & echo $! > stubborn.pid; wait';
    const started = Date.now();
    const result = await runCommandTool.run({ command }, ctx);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(result.content).toMatch(/^Timed out/);
    expect(isRunning(pidIn(root, 'stubborn.pid'))).toBe(false);
  });

  it('stops a command that prints forever, with bounded output', async () => {
    const ctx = createContext(root, { timeoutMs: 1_000, outputLimit: 1_000 });
    const result = await runCommandTool.run({ command: 'yes hunkwise' }, ctx);
    expect(result.content).toMatch(/^Timed out after 1 s/);
    expect(result.content).toMatch(/\[\.\.\. \d+ bytes cut \.\.\.\]/);
    expect(Buffer.byteLength(result.content)).toBeLessThan(1_400);
  });

  it('kills the command when the task is aborted', async () => {
    const controller = new AbortController();
    const ctx = createContext(root, { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const result = await runCommandTool.run({ command: 'sleep 60 & echo $! > aborted.pid; wait' }, ctx);
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(/^Cancelled; the command and its child processes were killed\./);
    expect(isRunning(pidIn(root, 'aborted.pid'))).toBe(false);
  });

  it('does not hang on background processes that keep the output open', async () => {
    const started = Date.now();
    const result = await runCommandTool.run({ command: 'sleep 60 & echo $! > bg.pid; echo done' }, createContext(root));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.content).toMatch(/^exit code 0\ndone\n/);
    expect(result.content).toContain('background processes');
    expect(isRunning(pidIn(root, 'bg.pid'))).toBe(false);
  });

  it('does not run a refused command', async () => {
    const ctx = createContext(root, { answers: [{ allowed: false, reason: 'not now' }] });
    const result = await runCommandTool.run({ command: 'touch refused.txt' }, ctx);
    expect(result.isError).toBe(true);
    expect(result.content).toContain('run_command touch refused.txt was refused by the user, who said: "not now"');
    expect(existsSync(join(root, 'refused.txt'))).toBe(false);
    // Never started: a stop now would leave it to be asked again.
    expect(ctx.started).toEqual([]);
  });
});

describe('run_command in the sandbox', () => {
  const root = worktreeOf(gitdir({ 'README.md': '# r\n' }));
  const sandboxed = (options: ContextOptions = {}) => createContext(root, { ...options, sandbox: taskSandbox(root, true) });
  /** Processes of this worktree still running `sleep <seconds>` (a pid in the sandbox is not one outside). */
  const left = (seconds: number) => processesUnder(`sleep ${seconds}`, root);

  it('runs in the worktree, and says it had no network', async () => {
    const result = await runCommandTool.run({ command: 'pwd; echo made > made.txt' }, sandboxed());
    expect(result.content).toBe(`exit code 0 (sandbox: no network)\n${root}\n`);
    expect(readFileSync(join(root, 'made.txt'), 'utf8')).toBe('made\n');
    const networked = await runCommandTool.run({ command: 'true' }, sandboxed({ answers: [{ allowed: true, network: true }] }));
    expect(networked.content).toBe('exit code 0\n(no output)');
  });

  it('kills the command and its children at the timeout, SIGKILL for those that ignore SIGTERM', async () => {
    const result = await runCommandTool.run({ command: 'trap "" TERM; sleep 6101 & echo started; wait' }, sandboxed({ timeoutMs: 300 }));
    expect(result.content).toMatch(/^Timed out after 0\.3 s/);
    expect(result.content).toContain('started');
    expect(left(6101)).toEqual([]);
  });

  it('kills the command when the task is aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runCommandTool.run({ command: 'sleep 6102 & wait' }, sandboxed({ signal: controller.signal }));
    expect(result.content).toMatch(/^Cancelled/);
    expect(left(6102)).toEqual([]);
  });

  it('ends what the command left behind, even in a session of its own, once the shell exits', async () => {
    const started = Date.now();
    const result = await runCommandTool.run({ command: 'setsid sleep 6103 > /dev/null 2>&1 & sleep 6104 & echo done' }, sandboxed());
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.content).toMatch(/^exit code 0 \(sandbox: no network\)\ndone\n/);
    expect(left(6103)).toEqual([]);
    expect(left(6104)).toEqual([]);
  });
});

describe('OutputCap', () => {
  it('keeps everything under the limit', () => {
    const cap = new OutputCap(10);
    cap.push(Buffer.from('abc'));
    cap.push(Buffer.from('defg'));
    expect(cap.text()).toBe('abcdefg');
  });

  it('keeps head and tail of many chunks, without splitting UTF-8 characters', () => {
    const cap = new OutputCap(10);
    for (let i = 0; i < 1000; i++) cap.push(Buffer.from('é'.repeat(3)));
    const text = cap.text();
    expect(text).toMatch(/^é+\n\[\.\.\. \d+ bytes cut \.\.\.\]\né+$/);
    expect(text).not.toContain('\uFFFD');
    const cut = Number(/(\d+) bytes cut/.exec(text)?.[1]);
    expect(cut + Buffer.byteLength(text.replace(/\n\[.*\]\n/, ''))).toBe(6000);
  });
});
