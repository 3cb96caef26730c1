import type { Tool } from './tool.js';
import { type AgentError, isDiskFull, TaskFault, whereDiskFull } from '../errors.js';
import type { TaskRecord } from '../git/task-store.js';
import { worktreeExists } from '../git/worktree.js';

/**
 * Faults that stop a task whatever the model would do next: the disk full, the worktree deleted
 * by hand. The loop hands a tool's failure to the model to correct; these are not the model's to
 * correct, so a guarded tool throws them as a TaskFault, which ends the loop, and the command
 * says what happened and what to do. Nothing approved is lost: the branch holds every whole step,
 * and the call that was stopped runs again on `agent task --resume`.
 */
export interface TaskStop {
  /** The tools, each of which first checks that the worktree is there and stops the task on a fault. */
  guard(tools: Tool[]): Tool[];
  /** Why the task stopped, for an error that ended the loop; undefined when it is none of these faults. */
  explain(error: unknown): AgentError | undefined;
}

export function createTaskStop(task: TaskRecord): TaskStop {
  const guardOne = (tool: Tool): Tool => ({
    ...tool,
    run: async (args, ctx) => {
      if (!worktreeExists(task.worktree)) throw worktreeGoneError(task);
      try {
        return await tool.run(args, ctx);
      } catch (error) {
        throw faultOf(task, error) ?? error;
      }
    },
  });
  return {
    // `finish` touches no file: a task whose worktree is gone can still be done.
    guard: (tools) => tools.map((tool) => (tool.actionClass === 'none' ? tool : guardOne(tool))),
    explain: (error) => (error instanceof TaskFault ? error : faultOf(task, error)),
  };
}

function faultOf(task: TaskRecord, error: unknown): TaskFault | undefined {
  if (error instanceof TaskFault) return error;
  if (isDiskFull(error)) return diskFullError(task, error);
  if (!worktreeExists(task.worktree)) return worktreeGoneError(task);
  return undefined;
}

export function diskFullError(task: TaskRecord, error: unknown): TaskFault {
  return new TaskFault(
    `The disk is full (no space left on device, ${whereDiskFull(error)}), so task ${task.id} stopped. Nothing was half-written: ${task.branch} holds only whole steps, and your checkout was not touched.`,
    {
      hint: `Free some space (df -h shows how much is left where), then continue with agent task --resume ${task.id}; a step you approved that was not committed yet is committed then.`,
      cause: error,
    },
  );
}

export function worktreeGoneError(task: TaskRecord): TaskFault {
  return new TaskFault(
    `The worktree of task ${task.id}, ${task.worktree}, was deleted while the task ran, so the task cannot go on there.`,
    {
      hint: `Nothing approved is lost: every step is on ${task.branch}. Continue with agent task --resume ${task.id}, which makes the worktree again from that branch.`,
    },
  );
}
