import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN, runAgent } from '../helpers/agent.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';
import { runTaskToEnd } from '../helpers/tasks.js';
import { missingNote, toolHere } from '../helpers/optional-tools.js';

/**
 * The completion scripts run in the real shells (installed by .ci/run): `agent` on PATH, the script
 * loaded as the user loads it, and the shell's own completion entry point called for a command line.
 */

const FINISH = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

let repo: TestRepo;
let env: NodeJS.ProcessEnv;
let ids: string[];
/** A task aborted: shown by show and review, never offered to merge, undo, abort or resume. */
let aborted: string;

beforeAll(async () => {
  const server = await startFakeOllama({ script: [FINISH, FINISH, FINISH] });
  try {
    repo = makeRepo({ 'a.txt': 'a\n' });
    const bin = join(repo.root, '..', 'bin');
    mkdirSync(bin);
    symlinkSync(AGENT_BIN, join(bin, 'agent'));
    env = { ...repo.env, OLLAMA_HOST: server.url, PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH}` };
    const first = await runTaskToEnd(repo, env, 'rename parse to load');
    const second = await runTaskToEnd(repo, env, 'add a test');
    ids = [first.task.id, second.task.id];
    const third = await runTaskToEnd(repo, env, 'drop me');
    aborted = third.task.id;
    expect((await runAgent(['abort', aborted], { cwd: repo.root, env })).code).toBe(0);
  } finally {
    await server.close();
  }
});

afterAll(() => repo.cleanup());

/** Runs `script` in `shell` in the repository; its standard output. */
function inShell(shell: string, script: string): string {
  const run = spawnSync(shell, ['-c', script], { cwd: repo.root, env, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return run.stdout;
}


/** What bash's completion offers for the words, the last one being completed. */
function bash(...words: string[]): string[] {
  const array = words.map((w) => `'${w}'`).join(' ');
  const out = inShell('bash', `source <(agent completion bash); COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _agent; printf '%s\\n' "\${COMPREPLY[@]}"`);
  return out.split('\n').filter(Boolean);
}

/** What fish's completion offers for the command line, value and description as fish lists them. */
function fish(line: string): string[] {
  return inShell('fish', `agent completion fish | source; complete -C '${line}'`).split('\n').filter(Boolean);
}

/** zsh: the script loaded as a file of its fpath would be, with zsh's _describe only printing what it was given. */
function zsh(...words: string[]): string[] {
  const array = words.map((w) => `'${w}'`).join(' ');
  const script = `compdef() { :; }; _describe() { print -rl -- "\${(@P)4}"; }; source <(agent completion zsh); words=(${array}); CURRENT=${words.length}; _agent`;
  return inShell('zsh', script).split('\n').filter(Boolean);
}

describe('shell completion', () => {
  it('bash: commands, options, option values and task ids', () => {
    expect(bash('agent', 're')).toEqual(['review']);
    expect(bash('agent', 'task', '--re')).toEqual(['--resume']);
    expect(bash('agent', 'task', '--approve', '')).toEqual(['read', 'edit', 'run', 'all']);
    expect(bash('agent', 'show', '').sort()).toEqual([...ids, aborted].sort());
    expect(bash('agent', 'merge', ids[0]?.slice(0, 4) ?? '')).toEqual([ids[0]]);
    for (const command of ['merge', 'undo', 'abort']) expect(bash('agent', command, '').sort()).toEqual([...ids].sort());
    expect(bash('agent', 'task', '--resume', '').sort()).toEqual([...ids].sort());
    expect(bash('agent', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(bash('agent', 'help', 'm')).toEqual(['merge', 'models']);
    // An option already given is not offered again; a task already named is not followed by another.
    expect(bash('agent', 'show', '--stat', '--')).not.toContain('--stat');
    expect(bash('agent', 'show', ids[0] ?? '', '')).toEqual([]);
  });

  it.skipIf(!toolHere('fish'))(`fish: the same, with each task described by its instruction${missingNote('fish')}`, () => {
    expect(fish('agent rev')).toEqual([expect.stringMatching(/^review\twhat show shows, and the errors the branch adds/)]);
    expect(fish('agent abort ').sort()).toEqual(
      [`${ids[0]}\tready: rename parse to load`, `${ids[1]}\tready: add a test`].sort(),
    );
    expect(fish('agent list --j')).toEqual([expect.stringMatching(/^--json\tprint JSON/)]);
  });

  it.skipIf(!toolHere('zsh'))(`zsh: the same, values and descriptions as _describe takes them${missingNote('zsh')}`, () => {
    expect(zsh('agent', 'undo', '').sort()).toEqual([`${ids[0]}:ready: rename parse to load`, `${ids[1]}:ready: add a test`].sort());
    expect(zsh('agent', 'stats', '--s')).toEqual(['--since:only commits since this date (as git log --since: 2026-11-01, "2 weeks ago")']);
  });

  it('refuses a shell it does not know, saying which it knows', async () => {
    const run = await runAgent(['completion', 'powershell'], { cwd: repo.root, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("agent: agent completion does not know the shell 'powershell'.\nName one of bash, zsh, fish: agent completion bash\n");
  });

  it('outside a repository: commands and options still, no task ids, nothing on stderr', () => {
    const outside = execFileSync('bash', ['-c', `source <(agent completion bash); COMP_WORDS=(agent show ''); COMP_CWORD=2; _agent; echo "[\${COMPREPLY[*]}]"`], {
      cwd: dirname(repo.root),
      env,
      encoding: 'utf8',
    });
    expect(outside).toBe('[]\n');
  });
});
