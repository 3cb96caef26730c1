import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';

/** The `sandbox` settings: checked like every key, and what would loosen it is the user's alone. */

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(user: object, repo: object): { root: string; env: NodeJS.ProcessEnv } {
  const base = mkdtempSync(join(tmpdir(), 'hunkwise-config-'));
  made.push(base);
  const root = join(base, 'repo');
  mkdirSync(join(root, '.hunkwise'), { recursive: true });
  mkdirSync(join(base, 'config', 'hunkwise'), { recursive: true });
  writeFileSync(join(base, 'config', 'hunkwise', 'config.json'), JSON.stringify(user));
  writeFileSync(join(root, '.hunkwise', 'config.json'), JSON.stringify(repo));
  return { root, env: { XDG_CONFIG_HOME: join(base, 'config'), XDG_STATE_HOME: join(base, 'state') } };
}

describe('the sandbox settings', () => {
  it('are on by default, and reported all at once when wrong', () => {
    const { root, env } = setup({}, {});
    expect(loadConfig(root, {}, env).sandbox).toEqual({ enabled: true, hide: [], passEnv: [] });
    const { problems } = validateConfig({ sandbox: { enabled: 'no', hide: ['.ssh'], passEnv: ['A-B'], net: true } }, 'c.json');
    expect(problems).toEqual([
      'c.json: sandbox.enabled: must be true or false',
      'c.json: sandbox.hide: must be a list of paths, each absolute or under ~/, e.g. ["~/.config/mytool"]',
      'c.json: sandbox.passEnv: must be a list of environment variable names, e.g. ["GITHUB_TOKEN"]',
      'c.json: sandbox.net: unknown key (known keys: enabled, hide, passEnv)',
    ]);
  });

  it('may be turned off and loosened in the user\'s own config; a repository\'s may only hide more', () => {
    const { root, env } = setup({ sandbox: { enabled: false, passEnv: ['GITHUB_TOKEN'], hide: ['~/.a'] } }, { sandbox: { hide: ['~/.b'] } });
    expect(loadConfig(root, {}, env).sandbox).toEqual({ enabled: false, hide: ['~/.a', '~/.b'], passEnv: ['GITHUB_TOKEN'] });
    const cloned = setup({}, { sandbox: { enabled: false, passEnv: ['GITHUB_TOKEN'] } });
    expect(() => loadConfig(cloned.root, {}, cloned.env)).toThrow(
      /sandbox\.enabled: only your own config may turn the command sandbox off[\s\S]*sandbox\.passEnv: only your own config may give commands secret-looking variables/,
    );
  });

  it('take network rules as command patterns, and a repository that allows network asks first', () => {
    const { root, env } = setup({}, { permissions: { network: { 'npm install *': 'allow' } } });
    const config = loadConfig(root, {}, env);
    expect(config.permissions.filter((rule) => rule.class === 'network')).toEqual([]);
    expect(config.untrusted?.wants).toEqual(['permissions.network: allow "npm install *" without asking']);
  });
});
