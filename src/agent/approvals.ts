import type { AgentEvent, TaskIO } from './events.js';
import type { ActionDecision, ActionRequest } from './tool.js';

/** An action allowed for the rest of the task: a class and a pattern of what it may touch. */
export interface Allowance {
  class: 'read' | 'run';
  pattern: string;
}

export interface ActionGateOptions {
  /** Classes approved without asking (`--approve`). */
  approved: ReadonlySet<string>;
  /** Allowances given earlier in this task ("allow for this task"); the gate adds to it. */
  allowances: Allowance[];
  io: TaskIO | undefined;
  emit: (event: AgentEvent) => void;
  /** Called when the user allows something for the rest of the task, so that it is kept. */
  remember: (allowance: Allowance) => void;
}

/** Shell syntax that chains or redirects: what follows a command prefix must have none of it. */
const SHELL_CONTROL = /[;&|<>`$(){}\n\r\\]/;

/**
 * `pattern` covers `subject` when equal, or when the pattern ends in `*` (a prefix: `npm test *`
 * covers `npm test` and `npm test -- --run`, but never `npm test; rm -rf x`: the rest may not chain,
 * substitute or redirect) or `/**` (a folder and everything below it).
 */
export function patternCovers(pattern: string, subject: string): boolean {
  if (pattern.endsWith('/**')) {
    const folder = pattern.slice(0, -3);
    return folder === '' || folder === '.' || subject === folder || subject.startsWith(`${folder}/`);
  }
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    if (subject === prefix.trimEnd()) return true;
    return subject.startsWith(prefix) && !SHELL_CONTROL.test(subject.slice(prefix.length));
  }
  return pattern === subject;
}

/** The approval of reads and runs: rules first, then the person, and without a terminal a refusal. */
export function createActionGate(options: ActionGateOptions): (request: ActionRequest) => Promise<ActionDecision> {
  return async (request) => {
    const ruled =
      options.approved.has(request.class) ||
      options.allowances.some((a) => a.class === request.class && patternCovers(a.pattern, request.subject));
    if (ruled) {
      options.emit({ type: 'approval', request, allowed: true, how: 'rule' });
      return { allowed: true };
    }
    if (!options.io) {
      const automatic = `there is no terminal to ask, and --approve does not include ${request.class}`;
      options.emit({ type: 'approval', request, allowed: false, how: 'no_terminal', reason: automatic });
      return { allowed: false, automatic };
    }
    const answer = await options.io.approveAction(request);
    if (answer.kind === 'refuse') {
      options.emit({ type: 'approval', request, allowed: false, how: 'asked', reason: answer.reason });
      return { allowed: false, reason: answer.reason };
    }
    if (answer.kind === 'task') {
      const allowance = { class: request.class, pattern: answer.pattern };
      options.allowances.push(allowance);
      options.remember(allowance);
    }
    options.emit({
      type: 'approval',
      request,
      allowed: true,
      how: 'asked',
      pattern: answer.kind === 'task' ? answer.pattern : undefined,
    });
    return { allowed: true };
  };
}
