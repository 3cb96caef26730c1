import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { faultPoint } from '../../fault.js';
import type { ToolContext, ToolResult } from '../tool.js';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { SandboxedCommand } from '../../sandbox/sandbox.js';
import { fail, refusal } from './shared.js';
import { defineTool } from './define.js';

/**
 * run_command: `sh -c COMMAND` in the worktree, after a run approval whose subject is the command.
 * The command gets its own process group; on timeout or abort the whole group gets SIGTERM, then
 * SIGKILL after KILL_GRACE_MS; nothing of the group outlives the command's result, nor hunkwise
 * however it ends (WATCHDOG). Standard input is closed; stdout and stderr are kept interleaved as
 * they came, in bounded head and tail buffers (OutputCap). The result starts with the exit code.
 */

const KILL_GRACE_MS = 2_000;
/** How long to wait after SIGKILL for the kernel to end the group. */
const KILL_WAIT_MS = 1_000;
/** How long background processes may keep the output open after the shell itself exited. */
const LINGER_MS = 500;

/**
 * The shell that runs the command ($1) first starts a watchdog in the command's process group: it
 * waits on a pipe from hunkwise (fd 3) and kills the whole group once the pipe closes, that is once
 * the command's result is in or hunkwise has exited, however (even killed with SIGKILL). The
 * command itself does not get the pipe.
 */
const WATCHDOG = '(read -r _ <&3; kill -KILL 0) </dev/null >/dev/null 2>&1 & exec 3<&-; exec sh -c "$1"';

type Stop = 'timeout' | 'abort' | 'linger';

interface Execution {
  code: number | null;
  signal: NodeJS.Signals | null;
  stop: Stop | undefined;
  output: string;
  spawnError?: string;
}

export const runCommandTool = defineTool({
  name: 'run_command',
  description: 'Run a shell command; returns exit code and output.',
  parameters: {
    type: 'object',
    properties: { command: { type: 'string', description: 'sh command line, e.g. npm test' } },
    required: ['command'],
  },
  actionClass: 'run',
  subject: (args) => args.command,
  async run(args, ctx, use) {
    const command = args.command.trim();
    if (command === '') return fail('command is empty; give a shell command line, e.g. npm test.');
    // A process argument cannot hold a NUL: spawning would throw instead of running anything.
    if (command.includes('\0')) return fail('command contains a NUL character, which a shell command line cannot hold; leave it out.');
    const request = use.request(command);
    const decision = await ctx.approve(request);
    if (!decision.allowed) return refusal(request, decision);
    if (ctx.signal.aborted) return fail('The task was cancelled before the command started.');
    const argv = ['sh', '-c', WATCHDOG, 'sh', command];
    const sandboxed = await ctx.sandbox.wrap(argv, decision.network === true);
    ctx.commandStarting();
    let run: Execution;
    try {
      run = await execute(sandboxed ? [sandboxed.file, ...sandboxed.args] : argv, ctx);
    } finally {
      sandboxed?.cleanup();
    }
    faultPoint('run:finished');
    return report(run, ctx.run.timeoutMs, sandboxed && sandboxNote(sandboxed, decision.network === true, command));
  },
});

/**
 * What the model is told of the sandbox, after the status: when it ran without network, and when
 * git in it had no history (so that a failing `git log` is understood, not retried).
 */
function sandboxNote(sandboxed: SandboxedCommand, network: boolean, command: string): string {
  const notes = network ? [] : ['no network'];
  if (!sandboxed.history && /\bgit\b/.test(command)) {
    notes.push("no git history: the repository tracks files you may not read, so git's object store is hidden from commands");
  }
  return notes.length ? ` (sandbox: ${notes.join('; ')})` : '';
}

function report(run: Execution, timeoutMs: number, note = ''): ToolResult {
  const output = run.output === '' ? '(no output)' : run.output;
  if (run.spawnError) return fail(`The command could not be started: ${run.spawnError}`);
  if (run.stop === 'timeout') {
    const head = `Timed out after ${timeoutMs / 1000} s; the command and its child processes were killed. Run something that ends (not a server or a watcher), or a narrower command.`;
    return { content: `${head}\n${output}`, isError: true };
  }
  if (run.stop === 'abort') {
    return { content: `Cancelled; the command and its child processes were killed.\n${output}`, isError: true };
  }
  const status = `${run.code !== null ? `exit code ${run.code}` : `killed by ${run.signal ?? 'a signal'}`}${note}`;
  const linger =
    run.stop === 'linger' ? '\n[background processes still holding the output after the shell exited were killed]' : '';
  return { content: `${status}\n${output}${linger}`, details: status };
}

function execute([file = 'sh', ...args]: string[], ctx: ToolContext): Promise<Execution> {
  return new Promise((resolve) => {
    const cap = new OutputCap(ctx.run.outputLimit);
    const child = spawn(file, args, {
      cwd: ctx.root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...ctx.sandbox.env, GIT_TERMINAL_PROMPT: '0', PAGER: 'cat' },
    });
    // Pipes, as the stdio option says (spawn's types know that only of three-element arrays).
    const [stdout, stderr] = [child.stdout as Readable, child.stderr as Readable];
    let stop: Stop | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
    let spawnError: string | undefined;
    let gaveUp = false;
    let closed = false;
    let done = false;
    let exited = false;
    let outputOpen = 2;
    const timers: NodeJS.Timeout[] = [];

    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // The group is already gone.
      }
    };
    const finish = () => {
      if (done || !closed) return;
      // After a stop, wait while anything of the group is alive: for SIGKILL when it survived
      // SIGTERM, and then until the kernel has ended it (at most KILL_WAIT_MS).
      if (stop && !gaveUp && child.pid !== undefined && groupAlive(child.pid)) return;
      done = true;
      child.stdio[3]?.destroy();
      for (const t of timers) clearTimeout(t);
      ctx.signal.removeEventListener('abort', onAbort);
      resolve({ ...exit, stop, output: cap.text(), ...(spawnError ? { spawnError } : {}) });
    };
    const halt = (why: Stop) => {
      if (stop || done) return;
      stop = why;
      signalGroup('SIGTERM');
      // The group may end at SIGTERM: look again until it has, so that the result comes then and
      // not only at the SIGKILL below.
      const watch = () => {
        if (done || gaveUp) return;
        if (child.pid === undefined || !groupAlive(child.pid)) finish();
        else timers.push(setTimeout(watch, 20));
      };
      watch();
      timers.push(
        setTimeout(() => {
          signalGroup('SIGKILL');
          const deadline = Date.now() + KILL_WAIT_MS;
          const poll = () => {
            if (child.pid !== undefined && groupAlive(child.pid) && Date.now() < deadline) {
              timers.push(setTimeout(poll, 20));
              return;
            }
            gaveUp = true;
            // Something outside the group may still hold the pipes: stop waiting for them.
            close();
          };
          poll();
        }, KILL_GRACE_MS),
      );
    };
    const close = () => {
      closed = true;
      stdout.destroy();
      stderr.destroy();
      finish();
    };
    const onAbort = () => halt('abort');

    // The end of the output and the shell's exit, not the child's 'close': that one would wait
    // for the watchdog's pipe too, which closes only once the result is in.
    const ended = () => {
      if (exited && outputOpen === 0 && !closed) close();
    };
    child.stdio[3]?.on('error', () => {});
    // The user sees the output as it comes; a character split between chunks waits for its rest.
    const decoder = new StringDecoder('utf8');
    const seen = (chunk: Buffer): void => {
      cap.push(chunk);
      const text = decoder.write(chunk);
      if (text) ctx.commandOutput(text);
    };
    stdout.on('data', seen);
    stderr.on('data', seen);
    stdout.on('close', () => {
      outputOpen -= 1;
      ended();
    });
    stderr.on('close', () => {
      outputOpen -= 1;
      ended();
    });
    child.on('error', (error) => {
      spawnError = error.message;
      close();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      exited = true;
      if (!stop) timers.push(setTimeout(() => halt('linger'), LINGER_MS));
      ended();
    });
    timers.push(setTimeout(() => halt('timeout'), ctx.run.timeoutMs));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Whether a process of the group is still running. Zombies do not count: where PID 1 does not
 * reap orphans (some containers), a killed group's members stay zombies, yet signal 0 reaches them.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return entries.some((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return group === String(pgid) && state !== 'Z';
    } catch {
      return false;
    }
  });
}

/**
 * Keeps the first and the last bytes of a stream, `limit` in all, however much goes through it:
 * memory stays bounded by the limit plus one chunk. text() marks the cut, `[... N bytes cut ...]`,
 * and never splits a UTF-8 character at either edge of it.
 */
export class OutputCap {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(limit: number) {
    this.headLimit = Math.ceil(Math.max(0, limit) / 2);
    this.tailLimit = Math.max(0, limit) - this.headLimit;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const taken = rest.subarray(0, this.headLimit - this.headBytes);
      this.head.push(taken);
      this.headBytes += taken.length;
      rest = rest.subarray(taken.length);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    while (this.tail.length > 1 && this.tailBytes - (this.tail[0]?.length ?? 0) >= this.tailLimit) {
      this.tailBytes -= this.tail.shift()?.length ?? 0;
    }
  }

  text(): string {
    const tail = Buffer.concat(this.tail);
    let kept = tail.subarray(Math.max(0, tail.length - this.tailLimit));
    const cut = this.total - this.headBytes - kept.length;
    if (cut === 0) return Buffer.concat([...this.head, kept]).toString('utf8');
    let skip = 0;
    while (skip < kept.length && skip < 3 && ((kept[skip] ?? 0) & 0xc0) === 0x80) skip++;
    kept = kept.subarray(skip);
    const head = new StringDecoder('utf8').write(Buffer.concat(this.head));
    const dropped = this.total - Buffer.byteLength(head) - kept.length;
    return `${head}\n[... ${dropped} bytes cut ...]\n${kept.toString('utf8')}`;
  }
}
