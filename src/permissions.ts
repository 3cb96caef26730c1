import { posix } from 'node:path';
import { globToRegExp } from './glob.js';

/**
 * The permission rules of the configuration (SPEC sections 5 and 9): per class (`read`, `edit`,
 * `run`) and per pattern (paths for read and edit, command prefixes for run), `allow`, `ask` or
 * `deny`. A matching `deny` always wins; otherwise the most specific matching rule decides, and
 * with none the person is asked. Files that usually hold secrets are denied for read and edit
 * unless a rule names them: a class-wide `"read": "allow"` does not open them.
 */

export type Decision = 'allow' | 'ask' | 'deny';
/** `network`: whether a sandboxed command may reach the network; its patterns are command patterns, as `run`'s. */
export type PermissionClass = 'read' | 'edit' | 'run' | 'network';
export const PERMISSION_CLASSES: readonly PermissionClass[] = ['read', 'edit', 'run', 'network'];

/** Classes whose patterns are command lines rather than paths. */
export const isCommandClass = (cls: PermissionClass): boolean => cls === 'run' || cls === 'network';
export const DECISIONS: readonly Decision[] = ['allow', 'ask', 'deny'];

/** `"*"`: the whole class. */
export const CLASS_WIDE = '*';

export interface PermissionRule {
  class: PermissionClass;
  /** A path glob (read, edit) or a command pattern (run); `*` for the whole class. */
  pattern: string;
  decision: Decision;
  /** The config file it comes from, for messages. */
  source: string;
}

export interface Verdict {
  decision: Decision;
  /** For a deny: why, written so that the model (and the person) know what to do. */
  reason?: string;
}

/**
 * Names of files that usually hold secrets. `id_*` is meant for SSH keys (`id_rsa`, `id_ed25519`):
 * names with a file extension (`id_map.ts`) are code, not keys.
 */
export const SECRET_PATTERNS = ['.env*', '*.pem', '*.key', 'id_*'] as const;

export function secretPattern(path: string): string | undefined {
  const name = posix.basename(path);
  if (name.startsWith('.env')) return '.env*';
  if (name.endsWith('.pem')) return '*.pem';
  if (name.endsWith('.key')) return '*.key';
  if (/^id_[^.]+$/.test(name)) return 'id_*';
  return undefined;
}

/** Whether a path pattern names secret-looking files: its last segment does (`config/.env*`, `**\/*.key`). */
const namesSecretFile = (pattern: string): boolean => pattern !== CLASS_WIDE && secretPattern(pattern.replace(/\/+$/, '')) !== undefined;

export class Permissions {
  constructor(private readonly rules: readonly PermissionRule[]) {}

  /**
   * The verdict for one action: `subject` is the path read or edited ('.' for the whole
   * repository, undefined when the action names no path), or the command line run.
   */
  verdict(cls: PermissionClass, subject: string | undefined): Verdict {
    const matching = this.rules.filter((rule) => rule.class === cls && ruleCovers(rule, subject));
    const denied = matching.find((rule) => rule.decision === 'deny');
    if (denied) return { decision: 'deny', reason: `the config denies it (permissions.${cls} "${denied.pattern}" in ${denied.source})` };
    const secret = !isCommandClass(cls) && subject !== undefined ? secretPattern(subject) : undefined;
    // A secret-looking file is opened only by a rule whose pattern names one (`.env.production`,
    // `config/.env*`, `*.pem`), never by a folder pattern (`config/**`) nor the class-wide `*`.
    const naming = secret ? matching.filter((rule) => namesSecretFile(rule.pattern)) : matching;
    if (secret && naming.length === 0) {
      return {
        decision: 'deny',
        reason: `${subject} looks like a file that holds secrets (${secret}); it is read or edited only where the user's config allows that file by name (permissions.${cls} {"${subject}": "allow"})`,
      };
    }
    // The most specific rule decides, but only a naming rule can make it an allow (no deny is left).
    const best = mostSpecific(matching)?.decision ?? 'ask';
    return { decision: best === 'allow' ? (mostSpecific(naming)?.decision ?? 'ask') : best };
  }

  /**
   * A word of a command line that names a file the model may not read (`cat .env`,
   * `cp id_rsa x`): such a command is never run on a rule or --approve, only when the person
   * says yes to it.
   */
  forbiddenFileIn(command: string): string | undefined {
    const words = command.split(/[\s;&|<>()`'"=]+/).filter((word) => word !== '');
    return words.find((word) => secretPattern(word) !== undefined && this.forbids('read', word.replace(/^\.\//, '')) !== undefined);
  }

  /** The patterns of this class's deny rules (the class-wide one left out: it names no file). */
  deniedPatterns(cls: PermissionClass): string[] {
    return this.rules.filter((rule) => rule.class === cls && rule.decision === 'deny' && rule.pattern !== CLASS_WIDE).map((rule) => rule.pattern);
  }

  /** Why `path` may not be read or edited at all, or undefined when it may (perhaps after asking). */
  forbids(cls: PermissionClass, path: string): string | undefined {
    const verdict = this.verdict(cls, path);
    return verdict.decision === 'deny' ? verdict.reason : undefined;
  }
}

/** The rule that decides among matching ones: the most specific; between equals, the stricter. */
function mostSpecific(rules: PermissionRule[]): PermissionRule | undefined {
  let best: PermissionRule | undefined;
  for (const rule of rules) {
    if (!best) best = rule;
    else {
      const a = specificity(rule.pattern);
      const b = specificity(best.pattern);
      if (a > b || (a === b && rule.decision === 'ask')) best = rule;
    }
  }
  return best;
}

/** The literal characters of a pattern: `src/**` is less specific than `src/config/**`. */
const specificity = (pattern: string): number => (pattern === CLASS_WIDE ? -1 : pattern.replace(/[*?]/g, '').length);

function ruleCovers(rule: PermissionRule, subject: string | undefined): boolean {
  if (rule.pattern === CLASS_WIDE) return true;
  if (subject === undefined) return false;
  if (!isCommandClass(rule.class)) return pathPatternCovers(rule.pattern, subject);
  // A deny covers a command anywhere in a command line (`make && rm -rf x` is an `rm`); an allow
  // or an ask only the whole line, so nothing can be chained behind an allowed prefix.
  if (rule.decision === 'deny') return commandsOf(subject).some((command) => commandDenied(rule.pattern, command));
  return patternCovers(rule.pattern, subject);
}

/**
 * Path globs, in the dialect of glob.ts (`*`, `?`, `**`, `[abc]`, `{a,b}`). A pattern without `/`
 * matches a name at any depth (`*.pem`, `.env*`); one with `/` matches from the repository root
 * (`src/**`, `docs/*.md`). `folder/**` also covers the folder itself.
 */
export function pathPatternCovers(pattern: string, path: string): boolean {
  const clean = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
  if (!clean.includes('/')) return globToRegExp(clean).test(posix.basename(path));
  if (clean.endsWith('/**') && path === clean.slice(0, -3)) return true;
  return globToRegExp(clean).test(path);
}

/** Shell syntax that chains or redirects: what follows a command prefix must have none of it. */
const SHELL_CONTROL = /[;&|<>`$(){}\n\r\\]/;

/**
 * `pattern` covers the command `subject` when equal, or when the pattern ends in `*` (a prefix:
 * `npm test *` covers `npm test` and `npm test -- --run`, but never `npm test; rm -rf x`: the rest
 * may not chain, substitute or redirect) or `/**` (a folder and everything below it).
 */
export function patternCovers(pattern: string, subject: string): boolean {
  if (pattern.endsWith('/**')) {
    const folder = pattern.slice(0, -3);
    return folder === '' || folder === '.' || subject === folder || subject.startsWith(`${folder}/`);
  }
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    if (subject === prefix.trimEnd()) return true;
    return subject.startsWith(prefix) && !SHELL_CONTROL.test(subject.slice(prefix.length));
  }
  return pattern === subject;
}

/**
 * The simple commands of a command line, as far as a deny rule needs them: split at `;`, `&`,
 * `|`, newlines, subshells and substitutions, without leading variable assignments or a leading
 * `sudo`/`env`/`command`/`exec`. A guard against mistakes, not a sandbox: the person still
 * approves what runs.
 */
export function commandsOf(line: string): string[] {
  return line
    .split(/\$\(|[;&|\n\r()`{}]/)
    .map((part) => part.trim().replace(/^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:(?:sudo|env|command|exec|nohup|time)\s+)*/, ''))
    .filter((part) => part !== '');
}

/**
 * A deny pattern matches a command and its arguments: `git push` and `git push *` both deny
 * `git push origin main`; `rm*` (no space) denies every command that starts with `rm`.
 */
function commandDenied(pattern: string, command: string): boolean {
  if (pattern.endsWith('*') && !pattern.endsWith(' *')) return command.startsWith(pattern.slice(0, -1));
  const prefix = pattern.replace(/ \*$/, '');
  return command === prefix || command.startsWith(`${prefix} `);
}
