import type { AgentEvent, TaskIO } from './events.js';
import { type Permissions, patternCovers } from './permissions.js';
import type { ActionDecision, ActionRequest } from './tool.js';

/** An action allowed for the rest of the task: a class and a pattern of what it may touch. */
export interface Allowance {
  class: 'read' | 'run';
  pattern: string;
}

export interface ActionGateOptions {
  /** The config's rules: a deny refuses without asking, an allow allows. */
  permissions: Permissions;
  /** Classes approved without asking (`--approve`). */
  approved: ReadonlySet<string>;
  /** Allowances given earlier in this task ("allow for this task"); the gate adds to it. */
  allowances: Allowance[];
  io: TaskIO | undefined;
  emit: (event: AgentEvent) => void;
  /** Called when the user allows something for the rest of the task, so that it is kept. */
  remember: (allowance: Allowance) => void;
}

/**
 * The approval of reads and runs: the config's rules first (deny wins over everything, also over
 * --approve), then --approve and what was allowed for this task, then the person, and without a
 * terminal a refusal.
 */
export function createActionGate(options: ActionGateOptions): (request: ActionRequest) => Promise<ActionDecision> {
  return async (request) => {
    const verdict = options.permissions.verdict(request.class, request.class === 'run' ? request.subject : request.path);
    if (verdict.decision === 'deny') {
      const automatic = verdict.reason ?? 'the config denies it';
      options.emit({ type: 'approval', request, allowed: false, how: 'rule', reason: automatic });
      return { allowed: false, automatic };
    }
    const secret = request.class === 'run' ? options.permissions.forbiddenFileIn(request.subject) : undefined;
    const ruled =
      !secret &&
      (verdict.decision === 'allow' ||
        options.approved.has(request.class) ||
        options.allowances.some((a) => a.class === request.class && patternCovers(a.pattern, request.subject)));
    if (ruled) {
      options.emit({ type: 'approval', request, allowed: true, how: 'rule' });
      return { allowed: true };
    }
    if (!options.io) {
      const automatic = secret
        ? `it names ${secret}, a file that holds secrets, and there is no terminal to ask`
        : `there is no terminal to ask, and --approve does not include ${request.class}`;
      options.emit({ type: 'approval', request, allowed: false, how: 'no_terminal', reason: automatic });
      return { allowed: false, automatic };
    }
    const answer = await options.io.approveAction(secret ? { ...request, warning: `it names ${secret}, a file that holds secrets` } : request);
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
