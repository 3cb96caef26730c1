import { gitOut } from '../git/exec.js';
import { openRepo } from '../git/repo.js';
import { AUDIT_LOG_FORMAT, type AuditedCommit, parseAuditLog, parseHunkCounts, parseUsage } from '../git/trailers.js';
import { type Colors, createColors } from '../ui/color.js';
import { duration, thousands } from '../ui/numbers.js';
import { page } from '../ui/pager.js';
import { byCodeUnits } from '../order.js';

/**
 * `agent stats`: what the agent did in this repository, read from the audit log itself (the
 * trailers of every task commit still in the history: task branches, merged work, aborted tasks),
 * so it agrees with `git log` whatever happened to the task state.
 */

export interface StatsOptions {
  since?: string;
  json?: boolean;
}

interface Tally {
  tasks: number;
  steps: number;
  approved: number;
  refused: number;
  /** The model's work in the turns that led to the steps (their Agent-Usage trailers). */
  promptTokens: number;
  generatedTokens: number;
  modelMs: number;
}

export interface Stats {
  totals: Tally;
  byModel: Record<string, Tally>;
  byLocality: Record<string, Tally>;
  /** Per day (YYYY-MM-DD, the commit's own date), oldest first. */
  byDay: Array<{ day: string } & Tally>;
}

const empty = (): Tally => ({ tasks: 0, steps: 0, approved: 0, refused: 0, promptTokens: 0, generatedTokens: 0, modelMs: 0 });

export async function readStats(cwd: string, since?: string): Promise<Stats> {
  const repo = await openRepo(cwd);
  // Every ref but the notes, the stash and undone steps (those were taken back).
  const args = ['log', '--exclude=refs/notes/*', '--exclude=refs/stash', '--exclude=refs/hunkwise/undone/*', '--all'];
  const output = await gitOut(
    [...args, '--grep=^Agent-Task: ', AUDIT_LOG_FORMAT, ...(since ? [`--since=${since}`] : [])],
    { cwd: repo.root },
  );
  return tally(parseAuditLog(output));
}

export function tally(commits: AuditedCommit[]): Stats {
  const stats: Stats = { totals: empty(), byModel: {}, byLocality: {}, byDay: [] };
  const days = new Map<string, Tally>();
  const tallies = (commit: AuditedCommit): Tally[] => {
    const model = commit.trailers['Agent-Model'] ?? 'unknown';
    const locality = commit.trailers['Agent-Locality'] ?? 'unknown';
    stats.byModel[model] ??= empty();
    stats.byLocality[locality] ??= empty();
    return [stats.totals, stats.byModel[model], stats.byLocality[locality]];
  };
  const dayOf = (commit: AuditedCommit): Tally => {
    const day = commit.date.slice(0, 10);
    if (!days.has(day)) days.set(day, empty());
    return days.get(day) as Tally;
  };
  for (const commit of commits) {
    const step = Number(commit.trailers['Agent-Step']);
    if (!Number.isInteger(step)) continue;
    if (step === 0) {
      // A task counts on the day it started, as it does in the totals.
      for (const t of [...tallies(commit), dayOf(commit)]) t.tasks++;
      continue;
    }
    const hunks = parseHunkCounts(commit.trailers['Agent-Hunks']);
    const usage = parseUsage(commit.trailers['Agent-Usage']);
    for (const t of [...tallies(commit), dayOf(commit)]) {
      t.steps++;
      t.approved += hunks.approved;
      t.refused += hunks.refused;
      t.promptTokens += usage?.promptTokens ?? 0;
      t.generatedTokens += usage?.generatedTokens ?? 0;
      t.modelMs += usage?.ms ?? 0;
    }
  }
  stats.byDay = [...days.entries()].sort(([a], [b]) => byCodeUnits(a, b)).map(([day, t]) => ({ day, ...t }));
  return stats;
}

export async function statsCommand(options: StatsOptions): Promise<void> {
  const stats = await readStats(process.cwd(), options.since);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(stats)}\n`);
    return;
  }
  await page(renderStats(stats, createColors(process.stdout)), process.cwd());
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const usage = (t: Tally): string =>
  `${thousands(t.promptTokens)} prompt tokens read, ${thousands(t.generatedTokens)} generated, ${duration(t.modelMs)}`;

export function renderStats(stats: Stats, c: Colors): string {
  const { totals } = stats;
  if (totals.tasks === 0 && totals.steps === 0) return 'No agent tasks in this history yet. Start one with: agent task "<instruction>"\n';
  const lines = [
    `${plural(totals.tasks, 'task')}, ${plural(totals.steps, 'step')}, ${plural(totals.approved + totals.refused, 'hunk')}: ` +
      `${totals.approved} approved, ${totals.refused} refused`,
    ...(totals.modelMs > 0 || totals.promptTokens > 0 ? [`The model: ${usage(totals)} in the turns that led to the steps`] : []),
    '',
    c.bold('Per day') + c.dim(`  (${c.green('█')} approved, ${c.red('░')} refused hunks)`),
    ...dayChart(stats.byDay, c),
    '',
    ...breakdown('By model', stats.byModel, c),
    '',
    ...breakdown('By locality', stats.byLocality, c),
  ];
  return `${lines.join('\n')}\n`;
}

/** One bar per day with steps: approved then refused hunks, scaled to at most 40 cells. */
function dayChart(days: Stats['byDay'], c: Colors): string[] {
  const shown = days.slice(-14);
  const max = Math.max(1, ...shown.map((d) => d.approved + d.refused));
  const scale = (n: number): number => (n === 0 ? 0 : Math.max(1, Math.round((n / max) * 40)));
  return shown.map(
    (d) =>
      `  ${d.day}  ${plural(d.steps, 'step').padEnd(9)} ${c.green('█'.repeat(scale(d.approved)))}${c.red('░'.repeat(scale(d.refused)))} ${c.dim(`${d.approved}/${d.refused}`)}`,
  );
}

function breakdown(title: string, groups: Record<string, Tally>, c: Colors): string[] {
  const entries = Object.entries(groups).sort(([, a], [, b]) => b.steps - a.steps || b.tasks - a.tasks);
  const width = Math.max(...entries.map(([name]) => name.length));
  return [
    c.bold(title),
    ...entries.map(
      ([name, t]) =>
        `  ${name.padEnd(width)}  ${plural(t.tasks, 'task')}, ${plural(t.steps, 'step')}, ${t.approved} approved, ${t.refused} refused` +
        (t.modelMs > 0 || t.promptTokens > 0 ? c.dim(`; ${usage(t)}`) : ''),
    ),
  ];
}
