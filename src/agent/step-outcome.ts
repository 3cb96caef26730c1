import type { ApprovedFile } from '../git/commit-step.js';
import type { Hunk } from '../git/hunk.js';
import { formatHunkHeader } from '../git/hunk-blocks.js';

/** What the model is told after a step: what was applied, what was refused and why. */

export interface Refusal {
  path: string;
  index: number;
  total: number;
  hunk: Hunk;
  reason?: string;
}

const MAX_REFUSED_LINES = 12;

function describeRefusal(refusal: Refusal): string {
  const reason = refusal.reason ? ` Reason: ${refusal.reason}` : '';
  const changed = refusal.hunk.lines.filter((line) => line.kind !== ' ');
  const shown = changed.slice(0, MAX_REFUSED_LINES).map((line) => `  ${line.kind}${line.text.replace(/\r?\n$/, '')}`);
  if (changed.length > shown.length) shown.push(`  (${changed.length - shown.length} more lines)`);
  return `- ${refusal.path} hunk ${refusal.index}/${refusal.total} ${formatHunkHeader(refusal.hunk)}.${reason}\n${shown.join('\n')}`;
}

export function nothingApplied(unasked: boolean, refusals: Refusal[]): string {
  if (unasked) {
    return 'Nothing was applied: there is no terminal to ask for approval and edits are not pre-approved (--approve edit). Do not retry the edit; call finish and say what you would change.';
  }
  const advice = refusals.some((refusal) => refusal.reason)
    ? 'Adjust your approach to the reasons given before proposing again.'
    : 'No reason was given: do not propose the same change again; try another approach, or finish and say what you would change.';
  return `The user refused every hunk; nothing was changed.\n${refusals.map(describeRefusal).join('\n')}\n${advice}`;
}

export function describeOutcome(
  step: number,
  applied: ApprovedFile[],
  refusals: Refusal[],
  edited: string[],
  remarks: string[],
): string {
  const lines = [`Step ${step} committed. Applied: ${applied.map((file) => (file.content === null ? `${file.path} (deleted)` : file.path)).join(', ')}.`];
  if (refusals.length) lines.push(`Refused by the user (not applied):\n${refusals.map(describeRefusal).join('\n')}`);
  if (edited.length) lines.push(`The user edited before applying: ${edited.join(', ')}. Read those files before changing them again.`);
  lines.push(...remarks);
  lines.push('The files now hold exactly what was applied.');
  return lines.join('\n');
}
