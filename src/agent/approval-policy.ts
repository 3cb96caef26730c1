import { posix } from 'node:path';
import { type Decision, type Permissions, patternCovers } from '../permissions.js';

/**
 * The one decision about a read, a run or an edit of the model, as a pure function of the request
 * and the policy: the config's deny first (it wins over everything), then the rules, --approve and
 * what was allowed for this task, then — with no terminal — a refusal, and otherwise the question
 * (for an edit: the hunk review), with the "for this task" patterns it offers. For a run it also decides the network: a sandboxed
 * command has none unless a `network` rule, an allowance with network, or the person gives it.
 * Where no sandbox can run (and the user did not turn it off), nothing confines a command, so
 * every command is asked: no rule or --approve runs one unseen.
 */

/** A read or a run the model asks for, as the policy (and the person) is asked about it. */
export interface ActionRequest {
  class: 'read' | 'run';
  tool: string;
  /** What is read or run, shown to the user: a path, a pattern, a command line. */
  subject: string;
  /** The path a read touches ('.' for everything), matched against the config's path patterns. */
  path?: string;
}

/** An action allowed for the rest of the task: a class and a pattern of what it may touch. */
export interface Allowance {
  class: 'read' | 'run';
  pattern: string;
  /** A run allowed with network. */
  network?: boolean;
}

/** How commands run: in the sandbox, unconfined because the user turned it off, or because none can run here. */
export type Confinement = 'sandbox' | 'off' | 'unavailable';

export interface ApprovalPolicy {
  permissions: Permissions;
  /** Classes approved without asking (`--approve`). */
  approved: ReadonlySet<string>;
  allowances: readonly Allowance[];
  /** Whether a person can be asked. */
  terminal: boolean;
  confinement: Confinement;
}

/** A pattern the question offers to allow for the rest of the task. */
export interface Offer {
  pattern: string;
  /** exact: the path or command itself; prefix: commands starting like it; folder: the path's folder. */
  scope: 'exact' | 'prefix' | 'folder';
}

/** An edit of one file, decided before its hunks are shown. */
export interface EditRequest {
  class: 'edit';
  path: string;
}

export type Ruling =
  | {
      kind: 'allow';
      network: boolean;
      /** config: a rule allows it; approve: --approve; task: an allowance given earlier in the task. */
      by: 'config' | 'approve' | 'task';
    }
  | { kind: 'deny'; reason: string; how: 'rule' | 'no_terminal' }
  | {
      kind: 'ask';
      offers: Offer[];
      /** Whether the question offers running with network (a sandboxed run the rules leave open). */
      network: boolean;
      /** Why this one is asked although a rule or --approve allows it. */
      warning?: string;
    };

export function decide(request: ActionRequest | EditRequest, policy: ApprovalPolicy): Ruling {
  const { permissions } = policy;
  if (request.class === 'edit') return decideEdit(request, policy);
  const run = request.class === 'run';
  const verdict = permissions.verdict(request.class, run ? request.subject : request.path);
  if (verdict.decision === 'deny') return { kind: 'deny', reason: verdict.reason ?? 'the config denies it', how: 'rule' };
  const unconfined = run && policy.confinement !== 'sandbox';
  const network = run && !unconfined ? networkFor(request.subject, policy) : unconfined;
  // Unconfined, a command that names a withheld file (`cat .env`) could read it: always asked.
  // In the sandbox such files are hidden, and a word filter would only be a false comfort.
  const secret = unconfined ? permissions.forbiddenFileIn(request.subject) : undefined;
  const warning = secret
    ? `it names ${secret}, a file that holds secrets`
    : run && policy.confinement === 'unavailable'
      ? 'no sandbox can run here: this command runs with your rights, on your files'
      : undefined;
  const by = allowedBy(verdict.decision, request, policy);
  if (by && warning === undefined) return { kind: 'allow', network: network === true, by };
  if (!policy.terminal) {
    const reason = secret
      ? `it names ${secret}, a file that holds secrets, and there is no terminal to ask`
      : run && policy.confinement === 'unavailable'
        ? 'no sandbox can run here, so every command is asked, and there is no terminal to ask'
        : noTerminal(request.class);
    return { kind: 'deny', reason, how: 'no_terminal' };
  }
  return { kind: 'ask', offers: offers(request), network: network === 'ask', ...(warning ? { warning } : {}) };
}

/** An edit: its hunks are staged unasked (a rule, --approve edit), refused, or reviewed by the person. */
function decideEdit(request: EditRequest, policy: ApprovalPolicy): Ruling {
  const verdict = policy.permissions.verdict('edit', request.path);
  if (verdict.decision === 'deny') return { kind: 'deny', reason: verdict.reason ?? 'the config denies it', how: 'rule' };
  const by = allowedBy(verdict.decision, { class: 'edit', subject: request.path }, policy);
  if (by) return { kind: 'allow', network: false, by };
  if (!policy.terminal) return { kind: 'deny', reason: noTerminal('edit'), how: 'no_terminal' };
  return { kind: 'ask', offers: [], network: false };
}

/** What allows an action without asking, if anything: the config, --approve, or the task's allowances. */
function allowedBy(
  decision: Decision,
  request: { class: ActionRequest['class'] | 'edit'; subject: string },
  policy: ApprovalPolicy,
): Extract<Ruling, { kind: 'allow' }>['by'] | undefined {
  if (decision === 'allow') return 'config';
  if (policy.approved.has(request.class)) return 'approve';
  return policy.allowances.some((a) => a.class === request.class && patternCovers(a.pattern, request.subject)) ? 'task' : undefined;
}

const noTerminal = (cls: string): string => `there is no terminal to ask, and --approve does not include ${cls}`;

/** A sandboxed run's network: granted, refused, or left to the question. */
function networkFor(command: string, policy: ApprovalPolicy): boolean | 'ask' {
  const verdict = policy.permissions.verdict('network', command);
  if (verdict.decision === 'deny') return false;
  if (verdict.decision === 'allow') return true;
  if (policy.allowances.some((a) => a.class === 'run' && a.network === true && patternCovers(a.pattern, command))) return true;
  return policy.terminal ? 'ask' : false;
}

/** The patterns offered to allow for the rest of the task: the exact subject, and a wider one. */
function offers(request: ActionRequest): Offer[] {
  const exact: Offer = { pattern: request.subject, scope: 'exact' };
  const wider = request.class === 'run' ? commandPrefixPattern(request.subject) : folderPattern(request.subject);
  if (wider === undefined || wider === request.subject) return [exact];
  return [exact, { pattern: wider, scope: request.class === 'run' ? 'prefix' : 'folder' }];
}

/** Tools whose second word names what they do (`npm test`, `git status`), kept in a prefix pattern. */
const WITH_SUBCOMMAND = new Set([
  'npm', 'npx', 'pnpm', 'yarn', 'bun', 'deno', 'git', 'cargo', 'go', 'dotnet', 'docker', 'kubectl',
  'pip', 'uv', 'poetry', 'make', 'just', 'gradle', 'mvn', 'bundle', 'rake', 'mix', 'swift', 'composer',
]);

/**
 * The prefix pattern offered for a command: its first word, and its second when the first is a tool
 * with subcommands and the second a plain word: `npm test -- --run` → `npm test *`, `ls -la` → `ls *`.
 * A pattern ending in ` *` covers the prefix alone and anything after it (see permissions.ts).
 */
export function commandPrefixPattern(command: string): string {
  const words = command.trim().split(/\s+/);
  const [first = '', second] = words;
  const keep = second !== undefined && WITH_SUBCOMMAND.has(first) && /^[A-Za-z][\w:.-]*$/.test(second);
  return `${keep ? `${first} ${second}` : first} *`;
}

/** The folder pattern offered for a read (`src/config.ts` → `src/**`); undefined at the top level. */
export function folderPattern(path: string): string | undefined {
  const folder = posix.dirname(path.replace(/\/+$/, ''));
  return folder === '.' || folder === '/' || folder === '' ? undefined : `${folder}/**`;
}
