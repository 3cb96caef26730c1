import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLASS_WIDE, isCommandClass } from '../permissions.js';
import { userStateDir } from './paths.js';
import type { ConfigLayer } from './validate.js';

/**
 * A repository's `.hunkwise/config.json` comes with the repository, so what in it would loosen
 * permissions, name a provider or name a program to run waits for the user's agreement. The
 * answer is kept per content (sha256 of the file) in the user's state: any change asks again.
 */

export type TrustAnswer = 'yes' | 'no';

interface TrustEntry {
  answer: TrustAnswer;
  file: string;
  at: string;
}

/** What a repository's config asks for beyond tightening, and whether it was declined before. */
export interface UntrustedRepoConfig {
  file: string;
  hash: string;
  /** One line per setting, as shown to the user. */
  wants: string[];
  declined: boolean;
}

export const trustFile = (env: NodeJS.ProcessEnv = process.env): string => join(userStateDir(env), 'trusted-configs.json');

export const contentHash = (text: string): string => createHash('sha256').update(text).digest('hex');

function readEntries(env: NodeJS.ProcessEnv): Record<string, TrustEntry> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(trustFile(env), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, TrustEntry>) : {};
  } catch {
    return {};
  }
}

export function trustAnswer(hash: string, env: NodeJS.ProcessEnv = process.env): TrustAnswer | undefined {
  const answer = readEntries(env)[hash]?.answer;
  return answer === 'yes' || answer === 'no' ? answer : undefined;
}

/** Records the answer for this content; written whole through a rename, so never half. */
export function recordTrust(hash: string, answer: TrustAnswer, file: string, env: NodeJS.ProcessEnv = process.env): void {
  const entries = readEntries(env);
  entries[hash] = { answer, file, at: new Date().toISOString() };
  const target = trustFile(env);
  mkdirSync(userStateDir(env), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(entries, null, 2)}\n`);
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
