import { setTimeout as sleep } from 'node:timers/promises';
import { TaskFault } from '../errors.js';
import { faultPoint } from '../fault.js';
import { finishStep, type PreparedStep, prepareStep, restoreFromHead, writeStepCommit } from '../git/commit-step.js';
import { gitOut } from '../git/exec.js';
import { addNote, gitDate, rewriteNote } from '../git/notes.js';
import {
  gcSettled,
  isGcLoss,
  MissingObjectsError,
  requireStepObjects,
  resetIndexToHead,
  type WrittenStep,
} from '../git/step-objects.js';
import type { AgentEvent } from './events.js';
import type { StepJournal } from './step-journal.js';
import type { TaskState } from './task-state.js';
import { ask, stepOfCommit } from '../git/queries.js';

/** How many times a step is written again, when a `git gc` took objects of it, before the task stops. */
const ATTEMPTS = 5;

export interface JournalContext {
  state: TaskState;
  emit: (event: AgentEvent) => void;
}

/**
 * Commits a journaled step, or completes one a kill interrupted: when the branch already holds
 * the step, only the worktree and the note are brought in line. Then, once a `git gc` running
 * meanwhile is over, every object the step added is checked; what a gc took is written again from
 * the journal (the same objects), up to five times. When that still fails, the worktree's index is
 * set back to the branch tip (no index names a lost object: the user's `git gc` works) and the
 * task stops with a TaskFault; the journal stays, and `agent task --resume` commits the step.
 */
export async function commitJournal(ctx: JournalContext, journal: StepJournal): Promise<string> {
  const { commonDir, task } = ctx.state;
  const worktree = task.worktree;
  const date = journal.date ?? gitDate(new Date());
  let written: WrittenStep | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      if (written) await rewriteStep(worktree, journal, date, written);
      else written = await commitOnce(ctx, journal, date);
      await gcSettled(commonDir);
      await requireStepObjects(worktree, written);
      break;
    } catch (error) {
      if (!isGcLoss(error)) throw error;
      if (attempt === ATTEMPTS) throw await stopped(ctx, journal, error);
      await gcSettled(commonDir);
      await sleep(10 + Math.random() * 40);
    }
  }
  await restoreFromHead(worktree, journal.restore);
  ctx.state.stepCommitted(journal.step);
  ctx.emit({
    type: 'step_committed',
    step: journal.step,
    commit: written.commit,
    action: journal.action,
    approved: journal.approved,
    refused: journal.refused,
  });
  return written.commit;
}

const prepared = (worktree: string, journal: StepJournal, date: string): Promise<PreparedStep> =>
  prepareStep(worktree, journal.files, {
    branch: journal.branch,
    parent: journal.parent,
    message: journal.message,
    note: journal.note,
    date,
  });

async function commitOnce(ctx: JournalContext, journal: StepJournal, date: string): Promise<WrittenStep> {
  const worktree = ctx.state.task.worktree;
  const tip = await gitOut(['rev-parse', 'HEAD'], { cwd: worktree });
  if (tip === journal.parent) {
    const step = await prepared(worktree, journal, date);
    faultPoint('step:prepared');
    const { commit, note } = await finishStep(worktree, step);
    faultPoint('step:committed');
    return { commit, parent: journal.parent, note };
  }
  let found: { parents: string; step: string };
  try {
    found = await ask(stepOfCommit(tip), { cwd: worktree });
  } catch (error) {
    if (!isGcLoss(error)) throw error;
    // The tip itself was lost (a gc after the branch moved): the step made again is that very
    // commit, or the tip is not this step.
    if ((await writeStepCommit(worktree, await prepared(worktree, journal, date))) !== tip) throw error;
    found = { parents: journal.parent, step: String(journal.step) };
  }
  if (found.parents !== journal.parent || found.step !== String(journal.step)) {
    ctx.state.dropJournal();
    throw new Error(`the task branch ${journal.branch} moved while step ${journal.step} was being committed; the step was not made`);
  }
  const note = await addNote(worktree, tip, journal.note, { date });
  await restoreFromHead(
    worktree,
    journal.files.map((file) => file.path),
  );
  return { commit: tip, parent: journal.parent, note };
}

/** Writes the objects of a committed step and its note again, from the journal: the same objects. */
async function rewriteStep(worktree: string, journal: StepJournal, date: string, written: WrittenStep): Promise<void> {
  const commit = await writeStepCommit(worktree, await prepared(worktree, journal, date));
  const note = await rewriteNote(worktree, written.commit, journal.note, written.note, { date });
  if (commit !== written.commit || note !== written.note.commit) {
    throw new MissingObjectsError(`step ${journal.step} was written again as ${commit} (note ${note}), not as ${written.commit} (note ${written.note.commit})`);
  }
}

async function stopped(ctx: JournalContext, journal: StepJournal, error: unknown): Promise<TaskFault> {
  await resetIndexToHead(ctx.state.task.worktree).catch(() => {});
  return new TaskFault(
    `Step ${journal.step} of task ${ctx.state.task.id} could not be committed: objects git had just written for it were deleted, ${ATTEMPTS} times over (a git gc --prune=now or git prune while the task ran?).`,
    {
      hint: `Nothing approved is lost: the step waits in the task's journal. Once no git gc runs, continue with agent task --resume ${ctx.state.task.id}; it commits the step first.`,
      cause: error,
    },
  );
}
