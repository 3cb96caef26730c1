import type { FileChange, Hunk } from '../git/hunk.js';
import type { UntrustedRepoConfig } from '../config/trust.js';
import type { TurnStats } from '../model/types.js';
import type { Locality } from '../task-model.js';
import type { Ruling } from './approval-policy.js';
import type { ActionRequest } from './approval-policy.js';

/**
 * What a running task reports. The terminal view, `--json` and the tests are subscribers; the loop
 * never writes to the terminal itself.
 */
export type AgentEvent =
  | {
      type: 'task_start';
      task: string;
      branch: string;
      worktree: string;
      model: string;
      locality: Locality;
      numCtx: number;
      resumed: boolean;
    }
  | {
      type: 'turn_start';
      turn: number;
      /** The prompt's size as counted, and how much of it the model has not read in an earlier request. */
      promptTokens: number;
      newTokens: number;
      /** The model is not in memory: the server loads it first. */
      loading: boolean;
    }
  | { type: 'text_delta'; text: string }
  /** The model's thinking as it streams. */
  | { type: 'thinking_delta'; text: string }
  /** The whole of a turn's thinking, once it is over (for `--json`: one event per turn). */
  | { type: 'thinking'; text: string }
  | { type: 'tool_call'; tool: string; args: Record<string, unknown>; action: string }
  /** An allowed command starts (its output follows, then its tool_result). */
  | { type: 'command_start' }
  /** What the running command wrote, as it came: stdout and stderr interleaved. */
  | { type: 'command_output'; text: string }
  /** The command is over (its result follows, after any hunks of what it changed). */
  | { type: 'command_end' }
  | { type: 'tool_result'; tool: string; content: string; isError: boolean; details?: string }
  | {
      type: 'approval';
      request: ActionRequest;
      allowed: boolean;
      /** asked: the user answered now; rule: --approve or an earlier "for this task"; no_terminal: refused unasked. */
      how: 'asked' | 'rule' | 'no_terminal';
      reason?: string;
      pattern?: string;
      /** A run allowed: whether it runs with network. */
      network?: boolean;
    }
  | { type: 'step_committed'; step: number; commit: string; action: string; approved: number; refused: number }
  | { type: 'turn_end'; stats: TurnStats; /** From sending the request to the end of the answer. */ ms: number }
  | { type: 'notice'; message: string }
  | { type: 'error'; message: string; hint?: string }
  | { type: 'done'; status: TaskEnd; summary?: string };

export type TaskEnd = 'finished' | 'max_steps' | 'failed' | 'interrupted';

export type InstructionQuestion = { kind: 'follow_up' } | { kind: 'steer' } | { kind: 'repeat'; action: string };

/** One decision of the hunk review: the hunk as finally shown (split parts and edits replace the original). */
export interface HunkDecision {
  path: string;
  hunk: Hunk;
  approved: boolean;
  reason?: string;
  /** The person edited the hunk (`e`): `hunk` is their version, not the model's. */
  edited?: boolean;
}

export type ActionAnswer =
  | { kind: 'once'; network?: boolean }
  | { kind: 'task'; pattern: string; network?: boolean }
  | { kind: 'refuse'; reason?: string };

/** What the person is asked: the request, the patterns offered for the task, whether network is offered. */
export type ActionQuestion = ActionRequest & Omit<Extract<Ruling, { kind: 'ask' }>, 'kind'>;

/** The person at the terminal, as the loop sees them. Absent when there is no terminal. */
export interface TaskIO {
  approveAction(question: ActionQuestion): Promise<ActionAnswer>;
  /**
   * `notes` gives the lines shown under a file's header: the diagnostics the change adds or removes;
   * `context` a hunk's function context for its `@@` line (git's, else the language server's).
   */
  reviewHunks(changes: FileChange[], notes: (path: string) => string[], context?: (path: string, hunk: Hunk) => string): Promise<HunkDecision[]>;
  /**
   * One line of instruction for the model: after it finished (`follow_up`), after Ctrl-C stopped
   * it (`steer`), or when it repeats itself (`repeat`, with what it repeated). '' means stop here.
   */
  askInstruction(question: InstructionQuestion): Promise<string>;
  /** Whether the settings of a repository's config that need agreement may apply (see config/trust.ts). */
  trustRepoConfig(untrusted: UntrustedRepoConfig): Promise<boolean>;
}
