import { describe, expect, it } from 'vitest';
import { type ApprovalPolicy, commandPrefixPattern, decide, folderPattern } from '../../src/agent/approval-policy.js';
import { Permissions } from '../../src/permissions.js';
import type { ActionRequest } from '../../src/agent/approval-policy.js';
import { validateConfig } from '../../src/config/validate.js';

/** The one approval decision, as a table: each case a request, a policy, and the ruling. */

const rules = (permissions: object) => validateConfig({ permissions }, 'user.json').layer.permissions ?? [];

const policy = (overrides: Partial<ApprovalPolicy> & { rules?: object } = {}): ApprovalPolicy => ({
  permissions: new Permissions(rules(overrides.rules ?? {})),
  approved: overrides.approved ?? new Set(),
  allowances: overrides.allowances ?? [],
  terminal: overrides.terminal ?? true,
  confinement: overrides.confinement ?? 'sandbox',
});

const run = (subject: string): ActionRequest => ({ class: 'run', tool: 'run_command', subject });
const read = (path: string): ActionRequest => ({ class: 'read', tool: 'read_file', subject: path, path });

describe('decide', () => {
  it('lets a deny win over --approve, an allowance and the person', () => {
    const denying = { rules: { run: { 'git push *': 'deny' }, read: { 'private/**': 'deny' } } };
    expect(decide(run('make && git push origin'), policy({ ...denying, approved: new Set(['run']), allowances: [{ class: 'run', pattern: 'make *' }] }))).toEqual({
      kind: 'deny',
      reason: 'the config denies it (permissions.run "git push *" in user.json)',
      how: 'rule',
    });
    expect(decide(read('private/plan.md'), policy({ ...denying, approved: new Set(['read']) }))).toMatchObject({ kind: 'deny', how: 'rule' });
  });

  it('allows what a rule, --approve or an allowance covers; asks otherwise, with the patterns it offers', () => {
    expect(decide(run('npm test -- --run'), policy({ rules: { run: { 'npm test *': 'allow' } } }))).toEqual({ kind: 'allow', network: false, by: 'config' });
    expect(decide(read('src/a.ts'), policy({ approved: new Set(['read']) }))).toEqual({ kind: 'allow', network: false, by: 'approve' });
    expect(decide(read('src/a.ts'), policy({ allowances: [{ class: 'read', pattern: 'src/**' }] }))).toEqual({ kind: 'allow', network: false, by: 'task' });
    expect(decide(read('src/lib/a.ts'), policy())).toEqual({
      kind: 'ask',
      offers: [
        { pattern: 'src/lib/a.ts', scope: 'exact' },
        { pattern: 'src/lib/**', scope: 'folder' },
      ],
      network: false,
    });
    expect(decide(run('npm test -- --run'), policy())).toEqual({
      kind: 'ask',
      offers: [
        { pattern: 'npm test -- --run', scope: 'exact' },
        { pattern: 'npm test *', scope: 'prefix' },
      ],
      network: true,
    });
  });

  it('refuses without a terminal what it would ask, and says why', () => {
    expect(decide(run('ls'), policy({ terminal: false }))).toEqual({
      kind: 'deny',
      reason: 'there is no terminal to ask, and --approve does not include run',
      how: 'no_terminal',
    });
  });

  it('gives a sandboxed command network only by a rule, an allowance with network, or the person', () => {
    const approved = { approved: new Set(['run']) };
    expect(decide(run('npm install'), policy(approved))).toEqual({ kind: 'allow', network: false, by: 'approve' });
    expect(decide(run('npm install'), policy({ ...approved, rules: { network: { 'npm install *': 'allow' } } }))).toEqual({ kind: 'allow', network: true, by: 'approve' });
    expect(decide(run('npm install'), policy({ allowances: [{ class: 'run', pattern: 'npm install', network: true }] }))).toEqual({ kind: 'allow', network: true, by: 'task' });
    expect(decide(run('npm install'), policy({ allowances: [{ class: 'run', pattern: 'npm install' }] }))).toEqual({ kind: 'allow', network: false, by: 'task' });
    // A network deny takes the choice out of the question.
    expect(decide(run('curl x'), policy({ rules: { network: 'deny' } }))).toMatchObject({ kind: 'ask', network: false });
    expect(decide(run('curl x'), policy({ ...approved, terminal: false }))).toEqual({ kind: 'allow', network: false, by: 'approve' });
  });

  it('asks every command where no sandbox can run, whatever --approve and the rules say', () => {
    const unconfined = { confinement: 'unavailable' as const, approved: new Set(['run']), rules: { run: 'allow' } };
    expect(decide(run('npm test'), policy(unconfined))).toEqual({
      kind: 'ask',
      offers: [{ pattern: 'npm test', scope: 'exact' }, { pattern: 'npm test *', scope: 'prefix' }],
      network: false,
      warning: 'no sandbox can run here: this command runs with your rights, on your files',
    });
    expect(decide(run('npm test'), policy({ ...unconfined, terminal: false }))).toEqual({
      kind: 'deny',
      reason: 'no sandbox can run here, so every command is asked, and there is no terminal to ask',
      how: 'no_terminal',
    });
    // Reads are not commands: the sandbox does not come into them.
    expect(decide(read('a.ts'), policy(unconfined))).toMatchObject({ kind: 'ask' });
  });

  it('with the sandbox turned off by the user, runs by the rules, and asks a command naming a withheld file', () => {
    const off = { confinement: 'off' as const, approved: new Set(['run']) };
    expect(decide(run('npm test'), policy(off))).toEqual({ kind: 'allow', network: true, by: 'approve' });
    expect(decide(run('cat .env'), policy(off))).toMatchObject({ kind: 'ask', warning: 'it names .env, a file that holds secrets', network: false });
    // In the sandbox the file is hidden from the command: no word filter, the rules decide.
    expect(decide(run('cat .env'), policy({ approved: new Set(['run']) }))).toEqual({ kind: 'allow', network: false, by: 'approve' });
  });

  it('decides an edit by the same rules: deny, then an allow or --approve edit, then no terminal, then the hunk review', () => {
    const edit = (path: string) => ({ class: 'edit' as const, path });
    const rules = { edit: { 'docs/**': 'allow', 'package-lock.json': 'deny' } };
    expect(decide(edit('package-lock.json'), policy({ rules, approved: new Set(['edit']) }))).toEqual({
      kind: 'deny',
      reason: 'the config denies it (permissions.edit "package-lock.json" in user.json)',
      how: 'rule',
    });
    expect(decide(edit('docs/a.md'), policy({ rules, terminal: false }))).toEqual({ kind: 'allow', network: false, by: 'config' });
    expect(decide(edit('src/a.ts'), policy({ rules, approved: new Set(['edit']) }))).toEqual({ kind: 'allow', network: false, by: 'approve' });
    expect(decide(edit('src/a.ts'), policy({ rules, terminal: false }))).toEqual({
      kind: 'deny',
      reason: 'there is no terminal to ask, and --approve does not include edit',
      how: 'no_terminal',
    });
    expect(decide(edit('src/a.ts'), policy({ rules }))).toEqual({ kind: 'ask', offers: [], network: false });
    // Secret-looking files are withheld from edits as from reads, whatever --approve says.
    expect(decide(edit('.env'), policy({ approved: new Set(['edit']) }))).toMatchObject({ kind: 'deny', how: 'rule' });
  });
});

describe('the patterns offered', () => {
  it('keeps a tool and its subcommand, or the first word', () => {
    expect(commandPrefixPattern('npm test -- --run')).toBe('npm test *');
    expect(commandPrefixPattern('git status')).toBe('git status *');
    expect(commandPrefixPattern('ls -la')).toBe('ls *');
    expect(commandPrefixPattern('git -C x log')).toBe('git *');
  });

  it('offers a read\'s folder, none at the top level', () => {
    expect(folderPattern('src/config.ts')).toBe('src/**');
    expect(folderPattern('README.md')).toBeUndefined();
  });
});
