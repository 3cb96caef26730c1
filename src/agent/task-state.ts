import { faultPoint } from '../fault.js';
import { saveTask, type TaskRecord, type TaskStatus } from '../git/task-store.js';
import { addUsage, type ModelUsage } from '../git/trailers.js';
import type { ChatMessage } from '../model/types.js';
import type { Allowance } from './approval-policy.js';
import type { Conversation } from './conversation.js';
import { clearJournal, readJournal, type StepJournal, writeJournal } from './step-journal.js';
import { formatTranscript } from './transcript.js';

/**
 * A running task's state, and the one place it is saved. The loop records messages, begins and
 * ends steps and counts usage through it; it writes the task record and the step journal when and
 * where a kill must find them: a step's journal before anything of the step is written, gone once
 * the step's result is in the conversation (so nothing approved is lost and no step is made twice).
 */
export class TaskState {
  /** The journal of a step not yet answered in the conversation: read once, here, not per message. */
  private journal: StepJournal | undefined;

  constructor(
    readonly commonDir: string,
    readonly task: TaskRecord,
    readonly conversation: Conversation,
  ) {
    this.journal = readJournal(commonDir, task.id);
  }

  /**
   * Appends a message. A tool result ends the command that was running, if one was; the first
   * message after a journaled step ends that step: its journal goes, and the next step's note and
   * usage start here.
   */
  record(message: ChatMessage): void {
    this.conversation.append(message);
    if (message.role === 'tool' && this.task.commandStarted) {
      delete this.task.commandStarted;
      this.save();
    }
    if (!this.journal) return;
    faultPoint('step:recorded');
    this.dropJournal();
    this.task.noteFrom = this.conversation.messages.length;
    this.task.usage = undefined;
    this.save();
  }

  /** A step approved: its journal is written before anything of it is. */
  beginStep(journal: StepJournal): void {
    writeJournal(this.commonDir, this.task.id, journal);
    this.journal = journal;
  }

  /** The step journaled before a kill, still to be committed or answered. */
  pendingStep(): StepJournal | undefined {
    return this.journal;
  }

  stepCommitted(step: number): void {
    this.task.steps = step;
    this.save();
  }

  /** The step will not be made (the branch moved under it), or its result was already recorded. */
  dropJournal(): void {
    clearJournal(this.commonDir, this.task.id);
    this.journal = undefined;
  }

  /** An allowed command starts: a kill from here on means it may have run (see resume.ts). */
  commandStarting(): void {
    this.task.commandStarted = true;
    this.save();
  }

  /** "For the rest of the task": kept for a resume. */
  allow(allowance: Allowance): void {
    this.task.allowances = [...(this.task.allowances ?? []), allowance];
    this.save();
  }

  /** What a turn used; saved with the step that ends the usage (its Agent-Usage trailer). */
  countUsage(usage: ModelUsage): void {
    this.task.usage = addUsage(this.task.usage, usage);
  }

  /** The messages the context window shortened: they stay shortened, also after a resume. */
  shortened(indexes: ReadonlySet<number>): void {
    if (indexes.size === (this.task.shortened?.length ?? 0)) return;
    this.task.shortened = [...indexes].sort((a, b) => a - b);
    this.save();
  }

  /** The model does not call tools natively: its tools are described in the prompt from now on. */
  useTextProtocol(): void {
    this.task.toolProtocol = 'text';
    this.save();
  }

  /** The conversation since the last step, for the next step's git note. */
  transcript(): string {
    return formatTranscript(this.conversation.messages.slice(this.task.noteFrom ?? 0));
  }

  usage(): ModelUsage | undefined {
    return this.task.usage;
  }

  /** The task is over for now: saved with its status (`ready` once the model finished). */
  close(status?: TaskStatus): void {
    if (status) this.task.status = status;
    this.save();
  }

  private save(): void {
    saveTask(this.commonDir, this.task);
  }
}
