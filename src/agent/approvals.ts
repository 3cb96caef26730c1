import { type Allowance, type ApprovalPolicy, decide } from './approval-policy.js';
import type { AgentEvent, TaskIO } from './events.js';
import type { Permissions } from '../permissions.js';
import type { ActionRequest } from './approval-policy.js';
import type { ActionDecision } from './tool.js';

export type { Allowance } from './approval-policy.js';

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
  /** How the task's commands run; asked at the first run (it may probe the sandbox). */
  confinement: () => Promise<ApprovalPolicy['confinement']>;
}

/**
 * The approval of reads and runs: `decide` (approval-policy.ts) rules, and where it asks, the
 * person answers; every outcome is reported as an `approval` event.
 */
export function createActionGate(options: ActionGateOptions): (request: ActionRequest) => Promise<ActionDecision> {
  return async (request) => {
    const policy: ApprovalPolicy = {
      permissions: options.permissions,
      approved: options.approved,
      allowances: options.allowances,
      terminal: options.io !== undefined,
      confinement: request.class === 'run' ? await options.confinement() : 'sandbox',
    };
    const ruling = decide(request, policy);
    if (ruling.kind === 'deny') {
      options.emit({ type: 'approval', request, allowed: false, how: ruling.how, reason: ruling.reason });
      return { allowed: false, automatic: ruling.reason };
    }
    if (ruling.kind === 'allow') {
      options.emit({ type: 'approval', request, allowed: true, how: 'rule', network: request.class === 'run' ? ruling.network : undefined });
      return { allowed: true, network: ruling.network };
    }
    // Only asked when there is a terminal: decide refuses otherwise.
    const answer = await (options.io as TaskIO).approveAction({ ...request, ...ruling });
    if (answer.kind === 'refuse') {
      options.emit({ type: 'approval', request, allowed: false, how: 'asked', reason: answer.reason });
      return { allowed: false, reason: answer.reason };
    }
    const network = policy.confinement === 'sandbox' ? answer.network === true : true;
    if (answer.kind === 'task') {
      const allowance: Allowance = { class: request.class, pattern: answer.pattern, ...(answer.network ? { network: true } : {}) };
      options.allowances.push(allowance);
      options.remember(allowance);
    }
    options.emit({
      type: 'approval',
      request,
      allowed: true,
      how: 'asked',
      pattern: answer.kind === 'task' ? answer.pattern : undefined,
      network: request.class === 'run' ? network : undefined,
    });
    return { allowed: true, network };
  };
}
