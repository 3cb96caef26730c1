import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gitEnv } from '../git/exec.js';
import { CLASS_WIDE, isCommandClass } from '../permissions.js';
import { userStateDir } from './paths.js';
import type { ConfigLayer } from './validate.js';

/**
 * A repository's `.hunkwise/config.json` comes with the repository, so what in it would loosen
 * permissions, name a provider or name a program to run waits for the user's agreement. The
 * answer is kept per repository and content (sha256 of the file) in the user's state: any change
 * asks again, and so does the same file in another repository (a config agreed to in one clone
 * grants nothing to a copy of it elsewhere).
 */

export type TrustAnswer = 'yes' | 'no';

interface TrustEntry {
  answer: TrustAnswer;
  file: string;
  at: string;
}

/** The answers per repository (see `repositoryOf`), then per content hash. */
type Answers = Record<string, Record<string, TrustEntry>>;

/** What a repository's config asks for beyond tightening, and whether it was declined before. */
export interface UntrustedRepoConfig {
  file: string;
  /** The repository the answer is kept for (see `repositoryOf`). */
  repository: string;
  hash: string;
  /** One line per setting, as shown to the user. */
  wants: string[];
  declined: boolean;
}

export const trustFile = (env: NodeJS.ProcessEnv = process.env): string => join(userStateDir(env), 'trusted-configs.json');

export const contentHash = (text: string): string => createHash('sha256').update(text).digest('hex');

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const realOrAsIs = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
};

/**
 * The repository whose answers a checkout shares: the real path of its common git directory, the
 * same for its linked worktrees and through any symbolic link, different for every clone (a
 * repository moved or cloned again is asked again). A checkout that its repository does not list
 * among its worktrees (a `.git` file or link claiming another repository's directory, a separate
 * git directory) and a folder outside git are a repository of their own: their real path. Runs
 * git twice; the loader asks only when a repository's config wants something.
 */
export function repositoryOf(root: string): string {
  const checkout = realOrAsIs(root);
  const run = (...args: string[]): string | undefined => {
    const result = spawnSync('git', args, { cwd: root, env: gitEnv(), encoding: 'utf8' });
    return result.status === 0 ? result.stdout : undefined;
  };
  const commonDir = run('rev-parse', '--git-common-dir')?.replace(/\n$/, '');
  const listed = commonDir ? run('worktree', 'list', '--porcelain', '-z')?.split('\0') : undefined;
  const worktrees = (listed ?? []).filter((field) => field.startsWith('worktree ')).map((field) => realOrAsIs(field.slice('worktree '.length)));
  return commonDir && worktrees.includes(checkout) ? realOrAsIs(resolve(root, commonDir)) : checkout;
}

/** The answers kept; a file of the first format (keyed by content alone, no repository) grants nothing. */
function readAnswers(env: NodeJS.ProcessEnv): Answers {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(trustFile(env), 'utf8'));
  } catch {
    return {};
  }
  const repositories = isRecord(parsed) ? parsed.repositories : undefined;
  if (!isRecord(repositories)) return {};
  return Object.fromEntries(Object.entries(repositories).filter(([, answers]) => isRecord(answers))) as Answers;
}

export function trustAnswer(repository: string, hash: string, env: NodeJS.ProcessEnv = process.env): TrustAnswer | undefined {
  const entry: unknown = readAnswers(env)[repository]?.[hash];
  const answer = isRecord(entry) ? entry.answer : undefined;
  return answer === 'yes' || answer === 'no' ? answer : undefined;
}

/**
 * Records the answer for this content in this repository; written whole through a rename, so
 * never half. Entries of the first format are dropped: they named no repository.
 */
export function recordTrust(untrusted: Pick<UntrustedRepoConfig, 'repository' | 'hash' | 'file'>, answer: TrustAnswer, env: NodeJS.ProcessEnv = process.env): void {
  const repositories = readAnswers(env);
  repositories[untrusted.repository] = {
    ...repositories[untrusted.repository],
    [untrusted.hash]: { answer, file: untrusted.file, at: new Date().toISOString() },
  };
  const target = trustFile(env);
  mkdirSync(userStateDir(env), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ repositories }, null, 2)}\n`);
  renameSync(temporary, target);
}

/**
 * Splits a repository's layer into what applies without asking (tightening: deny rules, asking
 * where nothing is opened, servers turned off) and the lines of what needs agreement.
 */
export function splitRepoLayer(layer: ConfigLayer): { tightening: ConfigLayer; wants: string[] } {
  const wants: string[] = [];
  const permissions = (layer.permissions ?? []).filter((rule) => {
    const opens = rule.decision === 'allow' || (rule.decision === 'ask' && !isCommandClass(rule.class) && rule.pattern !== CLASS_WIDE);
    if (!opens) return true;
    const what =
      rule.pattern === CLASS_WIDE
        ? `every ${rule.class === 'run' ? 'command' : rule.class === 'network' ? 'command with network' : rule.class} without asking`
        : `"${rule.pattern}"${rule.decision === 'allow' ? ' without asking' : ' (asking, even where it holds secrets)'}`;
    wants.push(`permissions.${rule.class}: ${rule.decision} ${what}`);
    return false;
  });
  for (const [name, provider] of Object.entries(layer.providers ?? {})) {
    const key = provider.apiKeyEnv ? `, with the key in $${provider.apiKeyEnv}` : '';
    wants.push(`providers.${name}: send the code to ${provider.baseUrl ?? 'its built-in address'}${key}`);
  }
  const lsp = Object.fromEntries(
    Object.entries(layer.lsp ?? {}).filter(([language, entry]) => {
      if (entry === false) return true;
      wants.push(`lsp.${language}: run the program ${[entry.command, ...(entry.args ?? [])].join(' ')}`);
      return false;
    }),
  );
  return { tightening: { ...layer, permissions, providers: undefined, lsp }, wants };
}
