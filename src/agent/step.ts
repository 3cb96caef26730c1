import { faultPoint } from '../fault.js';
import { type ApprovedFile, addNote, finishStep, prepareStep, restoreFromHead } from '../git/commit-step.js';
import { gitOut } from '../git/exec.js';
import { applyHunks, diffFile, type FileChange, formatHunkHeader, type Hunk, splitHunk } from '../git/hunks.js';
import { readFilesAt } from '../git/read-files.js';
import { saveTask, type TaskRecord } from '../git/task-store.js';
import { decodeText, isBinary } from '../git/text.js';
import { stepCommitMessage } from '../git/trailers.js';
import type { Locality } from '../model/types.js';
import type { AgentEvent, HunkDecision, TaskIO } from './events.js';
import { clearJournal, type StepJournal, writeJournal } from './step-journal.js';
import type { Proposal, ProposalOutcome } from './tool.js';

/**
 * An edit proposal's way to the task branch: the hunks against the branch tip, the person's
 * decisions, then the approved hunks — and only they — committed as one step. The worktree
 * equals the commit afterwards: refused hunks are not left behind.
 */

export interface StepContext {
  commonDir: string;
  task: TaskRecord;
  model: string;
  locality: Locality;
  io: TaskIO | undefined;
  /** `--approve edit`: every hunk staged without asking. */
  approveEdits: boolean;
  emit: (event: AgentEvent) => void;
  /** The conversation since the last step, as text for the step's git note. */
  transcript: () => string;
}

interface Refusal {
  path: string;
  index: number;
  total: number;
  hunk: Hunk;
  reason?: string;
}

export async function proposeStep(ctx: StepContext, proposal: Proposal, explanation: string): Promise<ProposalOutcome> {
  const worktree = ctx.task.worktree;
  const paths = proposal.files.map((file) => file.path);
  const [head, parent] = await Promise.all([
    readFilesAt(worktree, 'HEAD', paths),
    gitOut(['rev-parse', 'HEAD'], { cwd: worktree }),
  ]);
  const changes: FileChange[] = [];
  const problems: string[] = [];
  for (const file of proposal.files) {
    const before = head.get(file.path) ?? null;
    const oldText = before === null ? null : decodeText(before);
    if (before !== null && (isBinary(before) || oldText === null)) {
      problems.push(`${file.path} is a binary or non-UTF-8 file: hunkwise does not edit it.`);
      continue;
    }
    if (file.content?.includes('\0')) {
      problems.push(`${file.path}: the new content has NUL bytes (binary): hunkwise only writes text.`);
      continue;
    }
    if (oldText === null && file.content === null) continue;
    const change = diffFile(file.path, oldText, file.content);
    if (change.hunks.length > 0) changes.push(change);
  }
  if (changes.length === 0) {
    await restoreFromHead(worktree, paths);
    const unchanged = problems.length ? '' : 'No change: the new content equals the current content of the file.';
    return { content: [...problems, unchanged].filter(Boolean).join('\n') };
  }

  const decisions = await decide(ctx, changes);
  const approvedFiles: ApprovedFile[] = [];
  const refusals: Refusal[] = [];
  const edited: string[] = [];
  for (const change of changes) {
    const mine = decisions.filter((decision) => decision.path === change.path);
    const approved = mine.filter((decision) => decision.approved).map((decision) => decision.hunk);
    mine.forEach((decision, index) => {
      if (!decision.approved) {
        refusals.push({ path: change.path, index: index + 1, total: mine.length, hunk: decision.hunk, reason: decision.reason });
      } else if (!isProposedHunk(change, decision.hunk)) {
        edited.push(`${change.path} hunk ${index + 1}`);
      }
    });
    if (approved.length === 0) continue;
    const content = applyHunks(change.oldContent, approved);
    // A deletion stays one only when every line goes (an edited deletion hunk may keep some).
    approvedFiles.push({ path: change.path, content: change.kind === 'delete' && content === '' ? null : content });
  }
  const approvedCount = decisions.filter((decision) => decision.approved).length;
  const refusedCount = decisions.length - approvedCount;
  const restore = paths.filter((path) => !approvedFiles.some((file) => file.path === path));

  if (approvedFiles.length === 0) {
    await restoreFromHead(worktree, restore);
    return { content: [nothingApplied(ctx, refusals), ...problems].join('\n') };
  }

  const step = ctx.task.steps + 1;
  const outcome = describeOutcome(step, approvedFiles, refusals, edited, problems);
  const journal: StepJournal = {
    step,
    branch: ctx.task.branch,
    parent,
    files: approvedFiles,
    message: stepCommitMessage(
      {
        task: ctx.task.id,
        step,
        model: ctx.model,
        locality: ctx.locality,
        action: proposal.action,
        approved: approvedCount,
        refused: refusedCount,
      },
      explanation,
    ),
    note: `${ctx.transcript()}\n[step ${step} result]\n${outcome}\n`,
    outcome,
    action: proposal.action,
    approved: approvedCount,
    refused: refusedCount,
    restore,
  };
  writeJournal(ctx.commonDir, ctx.task.id, journal);
  faultPoint('step:journaled');
  const commit = await commitJournal(ctx, journal);
  return { content: outcome, commit };
}

/**
 * Commits a journaled step, or completes one a kill interrupted: when the branch already holds
 * the step, only the worktree and the note are brought in line.
 */
export async function commitJournal(ctx: Pick<StepContext, 'commonDir' | 'task' | 'emit'>, journal: StepJournal): Promise<string> {
  const worktree = ctx.task.worktree;
  const tip = await gitOut(['rev-parse', 'HEAD'], { cwd: worktree });
  let commit: string;
  if (tip === journal.parent) {
    const prepared = await prepareStep(worktree, journal.files, {
      branch: journal.branch,
      parent: journal.parent,
      message: journal.message,
      note: journal.note,
    });
    faultPoint('step:prepared');
    commit = await finishStep(worktree, prepared);
    faultPoint('step:committed');
  } else {
    const [parent = '', step = ''] = (
      await gitOut(['log', '-1', '--format=%P%x00%(trailers:key=Agent-Step,valueonly)', tip], { cwd: worktree })
    ).split('\0');
    if (parent !== journal.parent || step.trim() !== String(journal.step)) {
      clearJournal(ctx.commonDir, ctx.task.id);
      throw new Error(
        `the task branch ${journal.branch} moved while step ${journal.step} was being committed; the step was not made`,
      );
    }
    commit = tip;
    await addNote(worktree, commit, journal.note);
    await restoreFromHead(
      worktree,
      journal.files.map((file) => file.path),
    );
  }
  await restoreFromHead(worktree, journal.restore);
  ctx.task.steps = journal.step;
  saveTask(ctx.commonDir, ctx.task);
  ctx.emit({
    type: 'step_committed',
    step: journal.step,
    commit,
    action: journal.action,
    approved: journal.approved,
    refused: journal.refused,
  });
  return commit;
}

async function decide(ctx: StepContext, changes: FileChange[]): Promise<HunkDecision[]> {
  const all = (approved: boolean, reason?: string): HunkDecision[] =>
    changes.flatMap((change) => change.hunks.map((hunk) => ({ path: change.path, hunk, approved, reason })));
  if (ctx.approveEdits) return all(true);
  if (!ctx.io) {
    const reason = 'there is no terminal to ask, and --approve does not include edit';
    ctx.emit({ type: 'notice', message: `Edit refused: ${reason}.` });
    return all(false, reason);
  }
  return ctx.io.reviewHunks(changes);
}

/** Whether an approved hunk is one the model proposed (or a split part of one), not edited by the user. */
function isProposedHunk(change: FileChange, hunk: Hunk): boolean {
  const key = (h: Hunk): string => `${h.oldStart}:${h.lines.map((line) => line.kind + line.text).join('')}`;
  const wanted = key(hunk);
  return change.hunks.some((proposed) => [proposed, ...splitHunk(proposed)].some((part) => key(part) === wanted));
}

const MAX_REFUSED_LINES = 12;

function describeRefusal(refusal: Refusal): string {
  const reason = refusal.reason ? ` Reason: ${refusal.reason}` : '';
  const changed = refusal.hunk.lines.filter((line) => line.kind !== ' ');
  const shown = changed.slice(0, MAX_REFUSED_LINES).map((line) => `  ${line.kind}${line.text.replace(/\r?\n$/, '')}`);
  if (changed.length > shown.length) shown.push(`  (${changed.length - shown.length} more lines)`);
  return `- ${refusal.path} hunk ${refusal.index}/${refusal.total} ${formatHunkHeader(refusal.hunk)}.${reason}\n${shown.join('\n')}`;
}

function nothingApplied(ctx: StepContext, refusals: Refusal[]): string {
  if (!ctx.io && !ctx.approveEdits) {
    return 'Nothing was applied: there is no terminal to ask for approval and edits are not pre-approved (--approve edit). Do not retry the edit; call finish and say what you would change.';
  }
  return `The user refused every hunk; nothing was changed.\n${refusals.map(describeRefusal).join('\n')}\nAdjust your approach to the reasons given before proposing again.`;
}

function describeOutcome(
  step: number,
  applied: ApprovedFile[],
  refusals: Refusal[],
  edited: string[],
  problems: string[],
): string {
  const lines = [`Step ${step} committed. Applied: ${applied.map((file) => (file.content === null ? `${file.path} (deleted)` : file.path)).join(', ')}.`];
  if (refusals.length) lines.push(`Refused by the user (not applied):\n${refusals.map(describeRefusal).join('\n')}`);
  if (edited.length) lines.push(`The user edited before applying: ${edited.join(', ')}. Read those files before changing them again.`);
  lines.push(...problems);
  lines.push('The files now hold exactly what was applied.');
  return lines.join('\n');
}
