/** One line of `agent doctor`: what was checked, how it went, and for a problem what fixes it. */

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  /** Short and stable (`git`, `provider`, `lsp python`): scripts read it from `--json`. */
  name: string;
  /** `warn`: hunkwise works, with less; `fail`: something a task needs does not work. */
  status: CheckStatus;
  /** What was found, for a person; may span lines. */
  detail: string;
  /** The command (or config change) that fixes it, when there is a problem to fix. */
  fix?: string;
}

export const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail });

export const warn = (name: string, detail: string, fix?: string): Check =>
  fix ? { name, status: 'warn', detail, fix } : { name, status: 'warn', detail };

export const fail = (name: string, detail: string, fix?: string): Check =>
  fix ? { name, status: 'fail', detail, fix } : { name, status: 'fail', detail };
