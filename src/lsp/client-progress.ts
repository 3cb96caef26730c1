import type { ProgressToken, WorkDoneProgressBegin, WorkDoneProgressEnd, WorkDoneProgressReport } from 'vscode-languageserver-protocol';

type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

/**
 * Whether a server is still loading, from its `$/progress` begin/end pairs, the first requests
 * that make it load, and, for servers that report no progress while they load (pyright), a log line
 * that marks the end of loading. Any of these restarts the settle time.
 */
export class ProgressTracker {
  private readonly active = new Set<ProgressToken>();
  private lastActivity = Date.now();
  private logSeen: boolean;
  private holds = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly readyLog?: RegExp) {
    this.logSeen = readyLog === undefined;
  }

  /** A `$/progress` notification; values that are not work-done progress are ignored. */
  progress(token: ProgressToken, value: unknown): void {
    const kind = typeof value === 'object' && value !== null ? (value as ProgressValue).kind : undefined;
    if (kind === 'begin') this.active.add(token);
    else if (kind === 'end') this.active.delete(token);
    else if (kind !== 'report') return;
    this.touch();
  }

  log(message: string): void {
    if (!this.logSeen && this.readyLog?.test(message)) {
      this.logSeen = true;
      this.touch();
    }
  }

  /** Counts as loading until `work` settles (a first request that makes the server load the project). */
  hold(work: Promise<unknown>): void {
    this.holds += 1;
    this.touch();
    const release = (): void => {
      this.holds -= 1;
      this.touch();
    };
    work.then(release, release);
  }

  touch(): void {
    this.lastActivity = Date.now();
    for (const listener of [...this.listeners]) listener();
  }

  get busy(): boolean {
    return this.active.size > 0 || this.holds > 0 || !this.logSeen;
  }

  /**
   * Resolves true once nothing is in progress and `settleMs` passed since the last activity;
   * false when `capMs` passes first, or `signal` aborts. Never waits longer than `capMs`.
   */
  async ready(capMs: number, settleMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + capMs;
    for (;;) {
      const now = Date.now();
      const quietFor = now - this.lastActivity;
      if (!this.busy && quietFor >= settleMs) return true;
      if (now >= deadline || signal?.aborted) return false;
      const wait = this.busy ? deadline - now : Math.min(settleMs - quietFor, deadline - now);
      await this.changeOrTimeout(wait, signal);
    }
  }

  private changeOrTimeout(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.listeners.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
