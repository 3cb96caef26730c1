import { afterEach, describe, expect, it } from 'vitest';
import type { FakeToolCall, FakeTurn } from '../fake-ollama/server.js';
import { closeScriptedTasks, runScriptedTask } from '../helpers/scripted-task.js';

afterEach(closeScriptedTasks);

/**
 * Values that must never reach the model, the audit log or the terminal: they sit in files the
 * read rules withhold. Not in a credential format on purpose, so that masking cannot hide a leak.
 */
const SIGNING_SECRET = 'purple-walrus-0417';
const PIN_SECRET = 'amber-heron-2291';
const TOKEN_SECRET = 'velvet-otter-5863';
const SECRETS = [SIGNING_SECRET, PIN_SECRET, TOKEN_SECRET];

/**
 * A TypeScript project: `secrets/keys.ts` is denied for read and edit by the user's config (and
 * holds a type error whose message quotes a secret), `.env.ts` is withheld as a secret-looking
 * file, both are used from `src/app.ts`.
 */
const FILES: Record<string, string> = {
  'tsconfig.json': `${JSON.stringify({
    compilerOptions: { target: 'es2022', module: 'esnext', moduleResolution: 'bundler', strict: true, noEmit: true },
    include: ['src', 'secrets'],
  })}\n`,
  'src/types.ts': 'export type KeyText = string;\n',
  'secrets/keys.ts': [
    "import type { KeyText } from '../src/types';",
    '',
    `export const SIGNING_KEY: KeyText = '${SIGNING_SECRET}';`,
    `export const KEY_PIN: 'none' | 'set' = '${PIN_SECRET}';`,
    '',
  ].join('\n'),
  '.env.ts': `export const API_TOKEN = '${TOKEN_SECRET}';\n`,
  'src/app.ts': [
    "import { API_TOKEN } from '../.env';",
    "import { SIGNING_KEY } from '../secrets/keys';",
    '',
    'export function sign(body: string): string {',
    "  return body + '.' + SIGNING_KEY.length;",
    '}',
    '',
    'export function authorization(): string {',
    "  return 'Bearer ' + API_TOKEN.length;",
    '}',
    '',
  ].join('\n'),
};

const CONFIG = {
  permissions: {
    read: { 'secrets/**': 'deny' },
    // `.env.local.ts` may be edited by the edit rules, but not read: so it is not edited either.
    edit: { 'secrets/**': 'deny', '.env.local.ts': 'allow' },
  },
};

const call = (name: string, args: Record<string, unknown>): FakeToolCall => ({ name, arguments: args });

const SCRIPT: FakeTurn[] = [
  {
    toolCalls: [
      call('find_symbol', { name: 'SIGNING_KEY' }),
      call('find_symbol', { name: 'API_TOKEN' }),
      call('find_symbol', { name: 'SIGNING_KEY', path: 'secrets/keys.ts' }),
      call('references', { name: 'SIGNING_KEY' }),
      call('references', { name: 'API_TOKEN' }),
      call('references', { name: 'KeyText' }),
      call('diagnostics', { path: 'secrets/keys.ts' }),
      call('diagnostics', { path: '.env.ts' }),
    ],
  },
  {
    toolCalls: [
      call('rename_symbol', { name: 'SIGNING_KEY', new_name: 'SIGNING_SECRET' }),
      call('rename_symbol', { name: 'KeyText', new_name: 'SecretText', path: 'src/types.ts' }),
      call('rename_symbol', { name: 'API_TOKEN', new_name: 'TOKEN', path: '.env.ts' }),
      call('replace_symbol', { name: 'SIGNING_KEY', path: 'src/app.ts', new_text: "export const SIGNING_KEY = 'x';" }),
      call('replace_symbol', { name: 'KEY_PIN', path: 'secrets/keys.ts', new_text: "export const KEY_PIN = 'none';" }),
    ],
  },
  // A new error in secrets/keys.ts (its message would quote SIGNING_KEY's value), then one in a file written but not readable.
  { toolCalls: [call('replace_symbol', { name: 'KeyText', path: 'src/types.ts', new_text: "export type KeyText = 'pk-test' | 'pk-live';" })] },
  { toolCalls: [call('write_file', { path: '.env.local.ts', content: "export const LOCAL_MODE: 'dev' | 'prod' = 'staging';\n" })] },
  {
    toolCalls: [
      call('diagnostics', {}),
      call('rename_symbol', { name: 'sign', new_name: 'signBody' }),
    ],
  },
  { toolCalls: [call('finish', { summary: 'done' })] },
];

describe('the symbol tools keep withheld files withheld', () => {
  it('print no line, diagnostic or change of a denied or secret-looking file, and say how many they left out', async () => {
    const done = await runScriptedTask(FILES, SCRIPT, { config: CONFIG });
    const { repo, server, task, run } = done;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const requests = server.chatRequests();
    const results = (requests.at(-1)?.messages ?? []).filter((message) => message.role === 'tool').map((message) => message.content);
    expect(results).toHaveLength(17);

    // Nothing of the withheld files reached the model, the audit log or the terminal.
    const notes = repo.git('log', '--notes=hunkwise', task.branch);
    expect(notes).toContain('[step 1 result]');
    for (const secret of SECRETS) {
      expect(JSON.stringify(requests), secret).not.toContain(secret);
      expect(notes, secret).not.toContain(secret);
      expect(run.stdout, secret).not.toContain(secret);
    }

    const [findKey, findToken, findInDenied, refsKey, refsToken, refsType, diagDenied, diagEnv] = results;
    expect(findKey).toMatch(/^No declaration named SIGNING_KEY is in a file you may read\.\n\(1 declaration in 1 file you may not read left out\)\n/);
    expect(findToken).toMatch(/^No declaration named API_TOKEN is in a file you may read\.\n\(1 declaration in 1 file you may not read left out\)\n/);
    expect(findInDenied).toMatch(/^find_symbol secrets\/keys\.ts was refused automatically \(the config denies it/);
    // References in readable files are shown; the declaration's own line is counted.
    expect(refsKey).toBe(
      [
        '2 references to SIGNING_KEY:',
        "src/app.ts:2: import { SIGNING_KEY } from '../secrets/keys';",
        "src/app.ts:5: return body + '.' + SIGNING_KEY.length;",
        '(1 reference in 1 file you may not read left out)',
      ].join('\n'),
    );
    expect(refsToken).toMatch(/^2 references to API_TOKEN:\nsrc\/app\.ts:1: import \{ API_TOKEN \} from '\.\.\/\.env';\n.*\n\(1 reference in 1 file you may not read left out\)$/);
    expect(refsType).toBe('1 reference to KeyText:\nsrc/types.ts:1: export type KeyText = string;\n(2 references in 1 file you may not read left out)');
    expect(diagDenied).toMatch(/^diagnostics secrets\/keys\.ts was refused automatically \(the config denies it/);
    expect(diagEnv).toMatch(/^diagnostics \.env\.ts was refused automatically \(\.env\.ts looks like a file that holds secrets/);

    const [renameKey, renameType, renameToken, replaceImported, replaceDenied] = results.slice(8);
    expect(renameKey).toMatch(/^SIGNING_KEY is declared in a file you may not edit, so it cannot be renamed\. Leave the name as it is/);
    expect(renameType).toMatch(
      /^The rename was not proposed: renaming KeyText would change 2 locations in 1 file you may not edit \(and 1 you may edit\), and without them the code would be left broken\. Do not rename it by hand either\./,
    );
    expect(renameToken).toMatch(/^rename_symbol may not change \.env\.ts: \.env\.ts looks like a file that holds secrets/);
    expect(replaceImported).toMatch(/^SIGNING_KEY is declared in a file you may not edit, not in src\/app\.ts; it cannot be replaced\./);
    expect(replaceDenied).toMatch(/^replace_symbol may not change secrets\/keys\.ts: the config denies it \(permissions\.read "secrets\/\*\*"/);

    // The edit that breaks secrets/keys.ts is told as a count, its message (quoting the value) not.
    const [replaceType, writeLocal, diagnostics, renameSign] = results.slice(13);
    expect(replaceType).toMatch(/^Step 1 committed/);
    expect(replaceType).toContain('Diagnostics: the applied change adds 1 diagnostic in 1 file you may not read (not shown)');
    expect(replaceType).not.toContain('TS2322');
    expect(writeLocal).toMatch(/^Editing \.env\.local\.ts is not allowed: \.env\.local\.ts looks like a file that holds secrets/);
    expect(diagnostics).toBe('0 errors, 0 other in 1 file.');
    expect(renameSign).toMatch(/^Step 2 committed/);

    // The withheld files are unchanged on the task branch; the rest of the work went through.
    for (const path of ['secrets/keys.ts', '.env.ts']) expect(repo.git('show', `${task.branch}:${path}`), path).toBe(FILES[path]);
    expect(repo.git('show', `${task.branch}:src/types.ts`)).toBe("export type KeyText = 'pk-test' | 'pk-live';\n");
    expect(repo.git('show', `${task.branch}:src/app.ts`)).toContain('export function signBody(body: string)');
  });
});
