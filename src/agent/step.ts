import { messageOf } from '../errors.js';
import { faultPoint } from '../fault.js';
import { type ApprovedFile, restoreFromHead } from '../git/commit-step.js';
import { gitOut } from '../git/exec.js';
import type { FileChange } from '../git/hunk.js';
import { applyHunks, diffFile } from '../git/hunks.js';
import { ignoredBy, isLfsPointer, pathShapes, shapeRefusal } from '../git/path-shapes.js';
import { readFilesAt } from '../git/read-files.js';
import { gitDate } from '../git/notes.js';
import { decodeText, isBinary } from '../git/text.js';
import { gitMessageText, stepCommitMessage } from '../git/trailers.js';
import type { LanguageServers } from '../lsp/registry.js';
import type { Locality } from '../task-model.js';
import { type DiagnosticsDelta, type DiagnosticsView, describeDelta, emptyDelta, openDiagnosticsView } from './diagnostics-view.js';
import { type ApprovalPolicy, decide as decideAction } from './approval-policy.js';
import type { AgentEvent, HunkDecision, TaskIO } from './events.js';
import { type HunkContext, hunkContexts } from './hunk-context.js';
import type { Permissions } from '../permissions.js';
import { commitJournal } from './commit-journal.js';
import type { StepJournal } from './step-journal.js';
import { describeOutcome, nothingApplied, type Refusal } from './step-outcome.js';
import type { TaskState } from './task-state.js';
import type { Proposal, ProposalOutcome } from './tool.js';

/**
 * An edit proposal's way to the task branch: the hunks against the branch tip, the person's
 * decisions, then the approved hunks — and only they — committed as one step. The worktree
 * equals the commit afterwards: refused hunks are not left behind.
 */

export interface StepContext {
  /** The task, whose state saves the step's journal and its end. */
  state: TaskState;
  model: string;
  locality: Locality;
  io: TaskIO | undefined;
  /** `--approve edit`: every hunk staged without asking (except in files the config denies). */
  approveEdits: boolean;
  /** The config's edit rules: per file, staged without asking, asked, or refused unasked. */
  permissions: Permissions;
  emit: (event: AgentEvent) => void;
  /** The task's language servers: each proposal's diagnostics are shown before it is approved. */
  servers?: LanguageServers;
}


export async function proposeStep(ctx: StepContext, proposal: Proposal, explanation: string): Promise<ProposalOutcome> {
  const { task } = ctx.state;
  const worktree = task.worktree;
  const { changes, remarks, parent, kept, ignored } = await readProposal(worktree, proposal);
  // What hunkwise keeps as it is (a link, a submodule) was never written: nothing to restore there.
  const paths = proposal.files.map((file) => file.path).filter((path) => !kept.has(path));
  if (changes.length === 0) {
    await restoreFromHead(worktree, paths);
    const unchanged = remarks.length ? '' : 'No change: the new content equals the current content of the file.';
    return { content: [...remarks, unchanged].filter(Boolean).join('\n') };
  }

  // The `@@` lines' function context is read from the hunks' old side, before the view shows the new.
  const context = ctx.io ? await hunkContexts(ctx.servers, changes) : undefined;
  const view = await diagnosticsView(ctx, changes);
  const proposed = await view.compare(new Map(changes.map((c) => [c.path, c.kind === 'delete' ? null : c.newContent])));
  faultPoint('step:diagnosed');
  const notes = notesFor(proposed, changes);
  const decisions = await decide(ctx, changes, (path) => [...(ignored.has(path) ? [ignoredNote(ignored.get(path) ?? '')] : []), ...notes(path)], context);
  const approvedFiles: ApprovedFile[] = [];
  const refusals: Refusal[] = [];
  const edited: string[] = [];
  for (const change of changes) {
    const mine = decisions.filter((decision) => decision.path === change.path);
    const approved = mine.filter((decision) => decision.approved).map((decision) => decision.hunk);
    mine.forEach((decision, index) => {
      if (!decision.approved) {
        refusals.push({ path: change.path, index: index + 1, total: mine.length, hunk: decision.hunk, reason: decision.reason });
      } else if (decision.edited) {
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
  // The server's view follows what is committed: refused hunks are taken back out of it.
  const final =
    refusedCount === 0 && edited.length === 0
      ? proposed
      : await view.compare(new Map(changes.map((c) => [c.path, committedContent(c, approvedFiles)])));

  const step = task.steps + 1;
  const unasked = !ctx.io && !ctx.approveEdits;
  // A proposal refused whole is recorded too, as a step that changes nothing: the log is the whole audit.
  const outcome =
    approvedFiles.length === 0
      ? [nothingApplied(unasked, refusals), ...remarks].join('\n')
      : describeOutcome(step, approvedFiles, refusals, edited, [...remarks, ...describeDelta(final).map(diagnosticsRemark)]);
  // The audit log holds no credential: the commit message (the model's explanation, the action of
  // a command line) and the note are masked, here, where both are made (SPEC section 5).
  const { maskSecrets } = await import('../secrets/index.js');
  const journal: StepJournal = {
    step,
    branch: task.branch,
    parent,
    files: approvedFiles,
    message: await maskSecrets(stepCommitMessage(
      {
        task: task.id,
        step,
        model: ctx.model,
        locality: ctx.locality,
        action: proposal.action,
        approved: approvedCount,
        refused: refusedCount,
        usage: ctx.state.usage(),
        refusals: refusals.map((refusal) => refusalTrailer(refusal, unasked)),
      },
      explanation,
    )),
    note: await maskSecrets(gitMessageText(`${ctx.state.transcript()}\n[step ${step} result]\n${outcome}\n`)),
    date: gitDate(new Date()),
    outcome,
    action: proposal.action,
    approved: approvedCount,
    refused: refusedCount,
    restore,
  };
  ctx.state.beginStep(journal);
  faultPoint('step:journaled');
  const commit = await commitJournal(ctx, journal);
  return { content: outcome, ...(approvedFiles.length > 0 ? { commit } : {}) };
}

/** A line of describeDelta as the model reads it after the step. */
const diagnosticsRemark = (line: string): string =>
  /^(adds|removes) /.test(line) ? `Diagnostics: the applied change ${line}` : `Diagnostics: ${line}`;

/** `src/a.ts hunk 2/3: the reason`: one refused hunk, as its Agent-Refused trailer says it. */
function refusalTrailer(refusal: Refusal, unasked: boolean): string {
  const why = refusal.reason ?? (unasked ? 'no terminal to ask, and edits not pre-approved (--approve edit)' : undefined);
  return `${refusal.path} hunk ${refusal.index}/${refusal.total}${why ? `: ${why}` : ''}`;
}

/**
 * The proposal's files as changes against the branch tip, and a remark for the model on each file
 * hunkwise does not write: binary or non-UTF-8 files, Git LFS pointers, submodules and what is
 * inside them, symbolic links and what is beyond them (`kept`: never written, so never restored).
 * `ignored`: new files the repository ignores, with the rule that ignores them.
 */
async function readProposal(
  worktree: string,
  proposal: Proposal,
): Promise<{ changes: FileChange[]; remarks: string[]; parent: string; kept: Set<string>; ignored: Map<string, string> }> {
  const paths = proposal.files.map((file) => file.path);
  const [head, parent, shapes] = await Promise.all([
    readFilesAt(worktree, 'HEAD', paths),
    gitOut(['rev-parse', 'HEAD'], { cwd: worktree }),
    pathShapes(worktree, paths),
  ]);
  const changes: FileChange[] = [];
  const remarks: string[] = [];
  const kept = new Set<string>();
  for (const file of proposal.files) {
    const shape = shapes.get(file.path) ?? { kind: 'plain' };
    const before = head.get(file.path) ?? null;
    const refusal = shapeRefusal(file.path, shape, shape.kind === 'link' && shape.at === file.path && before ? before.toString('utf8') : undefined);
    if (refusal) {
      remarks.push(refusal);
      kept.add(file.path);
      continue;
    }
    const oldText = before === null ? null : decodeText(before);
    if (before !== null && (isBinary(before) || oldText === null)) {
      remarks.push(`${file.path} is a binary or non-UTF-8 file: hunkwise does not edit it.`);
      continue;
    }
    if (oldText !== null && isLfsPointer(oldText)) {
      remarks.push(`${file.path} is a Git LFS pointer (its content is stored by Git LFS): hunkwise does not edit it.`);
      continue;
    }
    if (file.content?.includes('\0')) {
      remarks.push(`${file.path}: the new content has NUL bytes (binary): hunkwise only writes text.`);
      continue;
    }
    if (oldText === null && file.content === null) continue;
    const change = diffFile(file.path, oldText, file.content);
    if (change.hunks.length > 0) changes.push(change);
  }
  const ignored = await ignoredBy(worktree, changes.filter((c) => c.kind === 'create').map((c) => c.path));
  for (const [path, rule] of ignored) remarks.push(`${path} is ignored by the repository (${rule}); a step commits it all the same.`);
  return { changes, remarks, parent, kept, ignored };
}

const ignoredNote = (rule: string): string =>
  `new file the repository ignores (${rule}): committed to the task branch all the same`;

/** What a changed file holds once the step is committed: the approved content, else the old one. */
function committedContent(change: FileChange, approved: ApprovedFile[]): string | null {
  const file = approved.find((candidate) => candidate.path === change.path);
  if (file) return file.content;
  return change.kind === 'create' ? null : change.oldContent;
}

/** The diagnostics view of a proposal; one that does nothing where no server can tell. */
async function diagnosticsView(ctx: StepContext, changes: FileChange[]): Promise<DiagnosticsView> {
  const none: DiagnosticsView = { compare: async () => emptyDelta() };
  if (!ctx.servers) return none;
  try {
    // Diagnostics of files the read rules withhold reach neither the hunk view nor the model: only a count.
    // The baseline is the branch tip: a command may have changed the files on disk already.
    const before = new Map(changes.map((c) => [c.path, c.kind === 'create' ? null : c.oldContent]));
    // The old lines each hunk changes: the declarations there are those whose users are checked too.
    const changedLines = new Map(changes.map((c) => [c.path, c.hunks.map((h) => ({ start: Math.max(0, h.oldStart - 1), end: Math.max(0, h.oldStart - 1 + h.oldLines - 1) }))]));
    const view = await openDiagnosticsView(ctx.servers, ctx.state.task.worktree, changes.map((c) => c.path), ctx.permissions, before, changedLines);
    if (!view) return none;
    return {
      compare: (contents) =>
        view.compare(contents).catch((error: unknown) =>
          emptyDelta([`${changes.map((c) => c.path).join(', ')} (${messageOf(error)})`]),
        ),
    };
  } catch (error) {
    ctx.emit({ type: 'notice', message: `No diagnostics for this edit: ${messageOf(error)}` });
    return none;
  }
}

/** Under each file's header: the diagnostics of that file the change adds or removes; the first file also gets the other files'. */
function notesFor(delta: DiagnosticsDelta, changes: FileChange[]): (path: string) => string[] {
  const inProposal = new Set(changes.map((c) => c.path));
  return (path) => {
    const mine = (d: { path: string }): boolean => d.path === path || (path === changes[0]?.path && !inProposal.has(d.path));
    return describeDelta({
      added: delta.added.filter(mine),
      removed: delta.removed.filter(mine),
      unknown: path === changes[0]?.path ? delta.unknown : [],
      withheld: path === changes[0]?.path ? delta.withheld : emptyDelta().withheld,
      ...(path === changes[0]?.path && delta.unchecked ? { unchecked: delta.unchecked } : {}),
    });
  };
}

/**
 * The decision on every hunk: per file, the approval policy's (the config's edit rules, then
 * --approve edit, then without a terminal a refusal); what it leaves to the person is reviewed.
 */
async function decide(ctx: StepContext, changes: FileChange[], notes: (path: string) => string[], context?: HunkContext): Promise<HunkDecision[]> {
  const all = (change: FileChange, approved: boolean, reason?: string): HunkDecision[] =>
    change.hunks.map((hunk) => ({ path: change.path, hunk, approved, reason }));
  const policy: ApprovalPolicy = {
    permissions: ctx.permissions,
    approved: new Set(ctx.approveEdits ? ['edit'] : []),
    allowances: [],
    terminal: ctx.io !== undefined,
    confinement: 'sandbox',
  };
  const decided: HunkDecision[] = [];
  const asked: FileChange[] = [];
  for (const change of changes) {
    const ruling = decideAction({ class: 'edit', path: change.path }, policy);
    if (ruling.kind === 'deny') {
      ctx.emit({ type: 'notice', message: `Edit of ${change.path} refused: ${ruling.reason}.` });
      decided.push(...all(change, false, ruling.reason));
    } else if (ruling.kind === 'allow') {
      if (ruling.by === 'config') ctx.emit({ type: 'notice', message: `${change.path}: staged without asking (the config allows editing it).` });
      decided.push(...all(change, true));
    } else {
      asked.push(change);
    }
  }
  if (asked.length === 0 || !ctx.io) return decided;
  return [...decided, ...(await ctx.io.reviewHunks(asked, notes, context))];
}
