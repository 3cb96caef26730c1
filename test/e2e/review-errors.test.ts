import { describe, expect, it } from 'vitest';
import { startFakeOllama } from '../fake-ollama/server.js';
import { closeAfterEach } from '../helpers/open.js';
import { runAgent } from '../helpers/agent.js';
import { fixtureFiles } from '../helpers/fixture.js';
import { makeRepo, snapshotCheckout, type TestRepo } from '../helpers/repo.js';

/**
 * A branch that adds a type error (the real TypeScript 7 language server's) is named at review,
 * and not merged unasked: refused without a terminal, merged with --force. An error the base
 * already had is not the branch's.
 */

const open = closeAfterEach();

/** A task that makes Store.total return a string: src/use.ts, which wants a number, then errs. */
async function taskAddingAnError(): Promise<{ id: string; env: NodeJS.ProcessEnv; repo: TestRepo }> {
  const server = open.add(await startFakeOllama({
    script: [
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/store.ts', old_text: 'total(): number {\n    return this.items.reduce((sum, item) => sum + item, 0);', new_text: "total(): string {\n    return this.items.join(',');" } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'total is a string now' } }] },
    ],
  }));
  const r = open.add(makeRepo(fixtureFiles('diag-ts')));
  const env = { ...r.env, OLLAMA_HOST: server.url };
  const run = await runAgent(['task', 'make total a string', '--approve', 'all'], { cwd: r.root, env });
  expect(run.code).toBe(0);
  const id = JSON.parse((await runAgent(['list', '--json'], { cwd: r.root, env })).stdout)[0].id as string;
  return { id, env, repo: r };
}

describe('errors at review and merge', () => {
  it('review names the error the branch adds; merge without a terminal refuses, changing nothing, and --force merges', async () => {
    const { id, env, repo: r } = await taskAddingAnError();
    const review = await runAgent(['review', id], { cwd: r.root, env });
    expect(review.code).toBe(0);
    expect(review.stdout).toContain('errors the branch adds against main: 1');
    expect(review.stdout).toMatch(/ {4}src\/use\.ts:\d+:\d+ error TS2322: Type 'string' is not assignable to type 'number'\./);
    const json = JSON.parse((await runAgent(['review', id, '--json'], { cwd: r.root, env })).stdout);
    expect(json.errors.added).toEqual([expect.stringMatching(/^src\/use\.ts:\d+:\d+ error TS2322/)]);
    // show stays what it was: no language server started.
    expect(JSON.parse((await runAgent(['show', id, '--json'], { cwd: r.root, env })).stdout).errors).toBeUndefined();

    const before = snapshotCheckout(r);
    const refused = await runAgent(['merge', id], { cwd: r.root, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Not merged: agent\/\S+ adds 1 error against main:\n {2}src\/use\.ts:\d+:\d+ error TS2322/);
    expect(refused.stderr).toContain(`agent merge ${id} --force`);
    expect(snapshotCheckout(r)).toBe(before);

    const forced = await runAgent(['merge', id, '--force'], { cwd: r.root, env });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/^Merging all the same \(--force\): agent\/\S+ adds 1 error against main/);
    expect(r.read('src/store.ts')).toContain("return this.items.join(',');");
  });

  it('an error the base already had is not the branch\'s', async () => {
    const server = open.add(
      await startFakeOllama({
        script: [
          { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/store.ts', old_text: 'private items', new_text: 'private readonly items' } }] },
          { toolCalls: [{ name: 'finish', arguments: { summary: 'readonly' } }] },
        ],
      }),
    );
    const files = fixtureFiles('diag-ts');
    const r = open.add(makeRepo({ ...files, 'src/broken.ts': 'export const n: number = "already broken";\n' }));
    const env = { ...r.env, OLLAMA_HOST: server.url };
    expect((await runAgent(['task', 'make items readonly', '--approve', 'all'], { cwd: r.root, env })).code).toBe(0);
    const id = JSON.parse((await runAgent(['list', '--json'], { cwd: r.root, env })).stdout)[0].id as string;
    const review = await runAgent(['review', id], { cwd: r.root, env });
    expect(review.stdout).toContain('errors: no errors added against main (1 changed file checked)');
    const merged = await runAgent(['merge', id], { cwd: r.root, env });
    expect(merged.code).toBe(0);
  });
});
