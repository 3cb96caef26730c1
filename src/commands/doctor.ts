import type { Check } from '../doctor/check.js';
import { runDoctor } from '../doctor/run.js';
import { AgentError } from '../errors.js';
import { parseModelName } from '../model/model-name.js';
import { type Colors, createColors } from '../ui/color.js';

export interface DoctorCommandOptions {
  /** Check this model instead of the configured one (the one way to check a remote one). */
  model?: string;
  json?: boolean;
}

/**
 * Prints one line per check, each problem followed by what fixes it. Any `fail` makes the command
 * fail (exit 1) after the report is printed; warnings do not.
 */
export async function doctorCommand(options: DoctorCommandOptions): Promise<void> {
  // A malformed --model is bad usage, said before anything is checked.
  if (options.model !== undefined) parseModelName(options.model);
  const checks = await runDoctor({ cwd: process.cwd(), model: options.model });
  process.stdout.write(options.json ? `${JSON.stringify({ checks })}\n` : renderChecks(checks, createColors(process.stdout)));
  const failed = checks.filter((check) => check.status === 'fail');
  if (failed.length > 0) {
    throw new AgentError(`${failed.length === 1 ? 'A check' : `${failed.length} checks`} failed: ${failed.map((c) => c.name).join(', ')}.`, {
      hint: 'Each ✗ says what fixes it; then run agent doctor again.',
    });
  }
}

/** `✓ name  detail`, further lines of the detail and the fix indented under the detail. */
function renderChecks(checks: Check[], colors: Colors): string {
  const symbols = { ok: colors.green('✓'), warn: colors.yellow('!'), fail: colors.red('✗') };
  const width = Math.max(...checks.map((check) => check.name.length));
  const indent = ' '.repeat(width + 4);
  return checks
    .map((check) => {
      const [first, ...rest] = check.detail.split('\n');
      const lines = [`${symbols[check.status]} ${check.name.padEnd(width)}  ${first}`, ...rest.map((line) => indent + line)];
      if (check.fix) lines.push(`${indent}${colors.dim('fix:')} ${check.fix}`);
      return `${lines.join('\n')}\n`;
    })
    .join('');
}
