import { changedPaths } from '../git/read-files.js';
import { AgentError } from '../errors.js';
import { commitJournal, type JournalContext } from './commit-journal.js';
import type { AgentEvent } from './events.js';
import type { TaskState } from './task-state.js';
import type { Tool, ToolContext } from './tool.js';
import { proposeWorktreeChanges } from './worktree-changes.js';

/**
 * What a task killed or stopped anywhere left behind, settled before it goes on: the worktree's
 * index repaired, a journaled step committed, changes no step holds reviewed, and a command that
 * was running answered as lost (never run twice).
 */

export interface ResumeContext extends JournalContext {
  state: TaskState;
  emit: (event: AgentEvent) => void;
  /** Leftover changes can be reviewed: a terminal to ask, or `--approve edit`. */
  canReview: boolean;
  tools: readonly Tool[];
  /** The tools' context for reviewing leftover changes as a step. */
  toolContext: ToolContext;
}

export async function settleInterrupted(ctx: ResumeContext): Promise<void> {
  await repairWorktree(ctx);
  await finishInterruptedStep(ctx);
  const leftover = await reviewLeftoverChanges(ctx);
  answerInterruptedCommand(ctx, leftover);
}

/**
 * Before anything else: a worktree index that names objects git no longer has (a `git gc
 * --prune=now` took them during a step) is set back to the branch tip, so that the step can be
 * committed again and the user's own `git gc` works; temporary notes refs of killed processes go.
 */
async function repairWorktree(ctx: ResumeContext): Promise<void> {
  const { task } = ctx.state;
  const { repairIndex, isGcLoss } = await import('../git/step-objects.js');
  try {
    const lost = await repairIndex(task.worktree);
    if (lost.length > 0) {
      const named = lost.length > 3 ? `${lost.slice(0, 3).join(', ')} and ${lost.length - 3} more` : lost.join(', ');
      ctx.emit({
        type: 'notice',
        message: `The worktree's index named objects git no longer has (${named}; a git gc while the task ran?): it is set back to ${task.branch}.`,
      });
    }
  } catch (error) {
    // The branch tip itself lost: the interrupted step, made again from its journal, is that commit.
    if (!isGcLoss(error)) throw error;
  }
  await (await import('../git/notes.js')).pruneNoteTemps(task.worktree);
}

/** A step journaled before a kill is committed (or found committed) and its result recorded. */
async function finishInterruptedStep(ctx: ResumeContext): Promise<void> {
  const journal = ctx.state.pendingStep();
  if (!journal) return;
  await commitJournal(ctx, journal);
  ctx.emit({ type: 'notice', message: `Step ${journal.step} was approved before the task stopped; it is committed.` });
  const pending = ctx.state.conversation.pendingCalls();
  if (pending.calls.length > 0) ctx.state.record({ role: 'tool', toolName: pending.calls[0]?.name ?? 'tool', content: journal.outcome });
  else ctx.state.dropJournal();
}

/**
 * Changes in the worktree that no step holds (a command killed before its changes were reviewed,
 * or edits made there by hand) are reviewed as hunks before the task goes on. Without a terminal
 * they are left alone and the task does not start: nothing is thrown away unasked.
 */
async function reviewLeftoverChanges(ctx: ResumeContext): Promise<string | undefined> {
  const { task } = ctx.state;
  const paths = await changedPaths(task.worktree);
  if (paths.length === 0) return undefined;
  if (!ctx.canReview) {
    throw new AgentError(`The task's worktree has changes that are not on its branch: ${paths.join(', ')}.`, {
      hint: `Review them in a terminal (agent task --resume ${task.id}), or commit or discard them in ${task.worktree}.`,
    });
  }
  ctx.emit({ type: 'notice', message: `The worktree has changes no step holds (${paths.join(', ')}): review them.` });
  const outcome = await proposeWorktreeChanges(ctx.toolContext, 'review changes found in the worktree', paths);
  if (outcome) ctx.emit({ type: 'notice', message: outcome });
  return outcome;
}

/**
 * A command the task stopped at (while asking, while it ran, or before its changes were reviewed)
 * is not run again: it may have done its work, and a second run could do it twice. The model is
 * told what it left in the worktree and may call it again.
 */
function answerInterruptedCommand(ctx: ResumeContext, leftover: string | undefined): void {
  const [first] = ctx.state.conversation.pendingCalls().calls;
  if (!first || ctx.tools.find((tool) => tool.name === first.name)?.actionClass !== 'run') return;
  // Stopped at the question (Ctrl-C), before the command started: it is asked again.
  if (!ctx.state.task.commandStarted) return;
  const content = `Not run again: the task was stopped before this command's result was kept (it may or may not have run), so its output is lost. ${leftover ?? 'The worktree held no change of it.'} Call it again if you still need it.`;
  ctx.emit({ type: 'tool_result', tool: first.name, content, isError: true });
  ctx.state.record({ role: 'tool', toolName: first.name, content });
}
