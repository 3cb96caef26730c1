import type { LanguageServers } from '../lsp/registry.js';
import type { ParameterSchema } from '../model/types.js';
import type { ActionRequest } from './approval-policy.js';
import type { TaskSandbox } from './command-sandbox.js';
import type { Permissions } from '../permissions.js';

/**
 * The contract between the loop and a tool. A tool never prompts and never writes a file itself:
 * it asks through `ctx.approve` (reads and runs) and proposes edits through `ctx.propose`, which
 * shows the hunks, stages the approved ones and commits the step.
 */

export type ActionClass = 'read' | 'edit' | 'run' | 'none';

export interface ToolResult {
  /** For the model: short and actionable. */
  content: string;
  /** True when the call failed; the content says how to correct it. */
  isError?: boolean;
  /** For the terminal: a longer rendering (the diff, counts), never sent to the model. */
  details?: string;
  /** Set by `finish`: the task is done. */
  finished?: boolean;
}

export type ActionDecision =
  | { allowed: true; /** A run: with network (in the sandbox; an unconfined command always has it). */ network?: boolean }
  | { allowed: false; reason?: string; /** why nobody was asked, e.g. no terminal */ automatic?: string };

/** One file of an edit proposal: its whole new content, or null to delete it. */
export interface ProposedFile {
  path: string;
  content: string | null;
}

export interface Proposal {
  /** The Agent-Action trailer, e.g. `edit_file src/config.ts`. */
  action: string;
  files: ProposedFile[];
}

export interface ProposalOutcome {
  /** What the model is told: what was applied, what was refused and why. */
  content: string;
  /** The step commit, when anything was approved. */
  commit?: string;
}

export interface ToolContext {
  /** Absolute path of the task's worktree; every path a tool takes is inside it. */
  root: string;
  /** The commit the task started from. */
  base: string;
  signal: AbortSignal;
  approve(request: ActionRequest): Promise<ActionDecision>;
  propose(proposal: Proposal): Promise<ProposalOutcome>;
  run: { timeoutMs: number; outputLimit: number };
  /** The config's permission rules: edits of denied files are refused before anything is read. */
  permissions: Permissions;
  /** The task's language servers; undefined where none may run (the symbol tools then say so). */
  servers?: LanguageServers;
  /** How commands run: the sandbox, and the clean environment. */
  sandbox: TaskSandbox;
  /**
   * Called right before a command starts, once it is allowed: from then on a task stopped before
   * its result was kept cannot know whether it ran. Before it, a stop (Ctrl-C at the question)
   * leaves the call to be asked again on resume.
   */
  commandStarting(): void;
  /** What a running command writes, as it comes (decoded text): the user sees it while it runs. */
  commandOutput(text: string): void;
}

export interface Tool<Args = Record<string, unknown>> {
  name: string;
  description: string;
  parameters: ParameterSchema;
  actionClass: ActionClass;
  /** The tool and its main argument, e.g. `read_file src/a.ts`: the Agent-Action trailer. */
  describe(args: Args): string;
  run(args: Args, ctx: ToolContext): Promise<ToolResult>;
}
