import { afterEach, describe, expect, it } from 'vitest';
import { startLanguageServer, type StartedLanguageClient } from '../../../src/lsp/client.js';
import { createLanguageServers } from '../../../src/lsp/registry.js';
import { findServer } from '../../../src/lsp/servers.js';
import { LspError } from '../../../src/lsp/types.js';
import { FAKE_SERVER, gone, makeProject, type Project } from './project.js';

// Servers that are missing, crash, never finish loading or never answer: a clear LspError or a
// plain false/timeout, never a hang, and no process left behind.

let project: Project;
const clients: StartedLanguageClient[] = [];
const pids: number[] = [];

const track = (client: StartedLanguageClient): StartedLanguageClient => {
  clients.push(client);
  if (client.pid) pids.push(client.pid);
  return client;
};

const fake = (mode: string, timeouts = {}, onCrash?: (message: string, final: boolean) => void): Promise<StartedLanguageClient> => {
  project = makeProject({ 'ok.ts': 'hello\n', 'crash.ts': 'boom\n' });
  return startLanguageServer({
    language: 'fake',
    command: process.execPath,
    args: [FAKE_SERVER],
    root: project.root,
    env: { ...process.env, FAKE_LSP_MODE: mode },
    ...(onCrash ? { onCrash } : {}),
    timeouts: { requestMs: 10_000, ...timeouts },
  }).then(track);
};

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.shutdown()));
  for (const pid of pids.splice(0)) expect(await gone(pid)).toBe(true);
  project?.cleanup();
});

describe('a server that cannot start', () => {
  it('rejects at once with a message naming the command and what to do', async () => {
    project = makeProject({ 'a.ts': '' });
    const start = startLanguageServer({ language: 'typescript', command: 'hunkwise-no-such-server', args: ['--stdio'], root: project.root });
    await expect(start).rejects.toBeInstanceOf(LspError);
    await expect(start).rejects.toThrow(/hunkwise-no-such-server --stdio\): hunkwise-no-such-server was not found\. Install it, or set the command in the "lsp" section/);
  });

  it('rejects when the server exits at once, with what it said', async () => {
    project = makeProject({ 'a.ts': '' });
    const start = startLanguageServer({ language: 'x', command: process.execPath, args: ['-e', 'console.error("no licence"); process.exit(4)'], root: project.root });
    await expect(start).rejects.toThrow(/exited with code 4: no licence/);
  });

  it('is reported once by the registry, and the text tools go on (forPath is undefined)', async () => {
    project = makeProject({ 'a.ts': '', 'b.ts': '' });
    const notices: string[] = [];
    const servers = createLanguageServers({
      root: project.root,
      overrides: { typescript: { command: process.execPath, args: ['-e', 'process.exit(1)'] }, python: { command: '/nowhere/pyright-langserver' } },
      onNotice: (message) => notices.push(message),
    });
    const answers = await Promise.all([servers.forPath('a.ts'), servers.forPath('b.ts'), servers.forPath('a.ts')]);
    expect(answers).toEqual([undefined, undefined, undefined]);
    expect(await servers.forPath('b.ts')).toBeUndefined();
    expect(await servers.forPath('c.py')).toBeUndefined();
    expect(await servers.forPath('d.py')).toBeUndefined();
    expect(await servers.forPath('README.md')).toBeUndefined();
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/typescript language server could not be started .*exited with code 1.*text tools/);
    expect(notices[1]).toMatch(/No python language server: its configured command \/nowhere\/pyright-langserver was not found\. Fix "lsp\.python\.command" in your config/);
    expect(servers.started()).toEqual([]);
    await servers.shutdownAll();
  });

  it('a language turned off in the config starts nothing and says nothing', async () => {
    project = makeProject({ 'a.ts': '' });
    const notices: string[] = [];
    const servers = createLanguageServers({ root: project.root, overrides: { typescript: false }, onNotice: (m) => notices.push(m) });
    expect(await servers.forPath('a.ts')).toBeUndefined();
    expect(notices).toEqual([]);
  });
});

describe('a server that crashes', () => {
  it('is restarted once, told the documents again, and a second crash turns it off', async () => {
    const crashes: [string, boolean][] = [];
    const client = await fake('crash', {}, (message, final) => crashes.push([message, final]));
    const first = client.pid!;
    await client.sync('ok.ts', 'unsaved text\nsecond line\n');
    expect((await client.documentSymbols('ok.ts'))[0]?.name).toBe('unsaved text');

    await expect(client.documentSymbols('crash.ts')).rejects.toThrow(/fake language server exited with code 3 while answering textDocument\/documentSymbol/);
    expect((await client.documentSymbols('ok.ts'))[0]?.name).toBe('unsaved text');
    const second = client.pid!;
    pids.push(second);
    expect(second).not.toBe(first);
    expect(await gone(first)).toBe(true);
    expect(crashes).toEqual([[expect.stringMatching(/crashed \(exited with code 3\); restarting it/), false]]);

    await expect(client.documentSymbols('crash.ts')).rejects.toBeInstanceOf(LspError);
    await expect(client.documentSymbols('ok.ts')).rejects.toThrow(/fake language server crashed twice/);
    await expect(client.sync('ok.ts', 'more')).rejects.toThrow(/crashed twice/);
    expect(await client.diagnostics('ok.ts')).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/crashed twice/) });
    expect(await client.ready()).toBe(false);
    expect(crashes.at(-1)?.[1]).toBe(true);
    expect(await gone(second)).toBe(true);
  });

  it('the real TypeScript server, killed, comes back with the unsaved text', async () => {
    project = makeProject({ 'tsconfig.json': '{ "compilerOptions": { "strict": true, "noEmit": true } }', 'a.ts': 'export const n: number = 1;\n' });
    const spec = (await findServer('typescript'))!;
    const client = track(await startLanguageServer({ language: 'typescript', command: spec.command, args: spec.args, root: project.root }));
    await client.sync('a.ts', "export const n: number = 'one';\n");
    process.kill(client.pid!, 'SIGKILL');
    await expect.poll(() => client.pid !== undefined && client.pid !== pids[0], { timeout: 10_000 }).toBe(true);
    pids.push(client.pid!);
    const result = await client.diagnostics('a.ts');
    expect(result.status === 'ok' && result.diagnostics.map((d) => d.code)).toEqual(['2322']);
  });
});

describe('a server that hangs', () => {
  it('never ending its progress: ready() is false at the cap', async () => {
    // Without the progress it would be ready after the settle time (1.5 s), well before the cap.
    const client = await fake('endless-progress', { readyMs: 3000, settleMs: 1500 });
    const started = Date.now();
    expect(await client.ready()).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('an aborted wait ends at once', async () => {
    const client = await fake('endless-progress', { readyMs: 30_000, settleMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    expect(await client.ready(controller.signal)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('never answering: the request fails with a timeout naming the method', async () => {
    const client = await fake('silent', { requestMs: 500 });
    await expect(client.documentSymbols('ok.ts')).rejects.toThrow(
      'The fake language server did not answer textDocument/documentSymbol within 500 ms.',
    );
    expect(await client.ready()).toBe(true);
  });

  it('ignoring shutdown and exit: killed, and gone', async () => {
    const client = await fake('stubborn');
    const pid = client.pid;
    const started = Date.now();
    await client.shutdown();
    expect(Date.now() - started).toBeLessThan(8000);
    expect(await gone(pid)).toBe(true);
  });
});

describe('the registry', () => {
  it('starts one server per language for concurrent callers, and stops it', async () => {
    project = makeProject({ 'tsconfig.json': '{}', 'a.ts': 'export const a = 1;\n', 'b.js': 'export const b = 2;\n' });
    const notices: string[] = [];
    const servers = createLanguageServers({ root: project.root, onNotice: (m) => notices.push(m) });
    const [a, b, c] = await Promise.all([servers.forPath('a.ts'), servers.forPath('b.js'), servers.forPath('a.ts')]);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(servers.started()).toEqual([a]);
    const pid = (a as StartedLanguageClient).pid;
    expect(await a!.ready()).toBe(true);
    expect((await a!.documentSymbols('b.js')).map((s) => s.name)).toEqual(['b']);
    await servers.shutdownAll();
    expect(await gone(pid)).toBe(true);
    expect(await servers.forPath('a.ts')).toBeUndefined();
    expect(notices).toEqual([]);
  });

  it('tells of a crash, and after the second one answers undefined', async () => {
    project = makeProject({ 'ok.fk': 'fine\n', 'crash.fk': 'boom\n' });
    const notices: string[] = [];
    process.env.FAKE_LSP_MODE = 'crash';
    const servers = createLanguageServers({
      root: project.root,
      overrides: { fake: { command: process.execPath, args: [FAKE_SERVER], extensions: ['fk'] } },
      onNotice: (m) => notices.push(m),
    });
    try {
      const client = (await servers.forPath('ok.fk')) as StartedLanguageClient;
      pids.push(client.pid!);
      await expect(client.documentSymbols('crash.fk')).rejects.toBeInstanceOf(LspError);
      expect(await servers.forPath('ok.fk')).toBe(client);
      await client.ready();
      pids.push(client.pid!);
      await expect(client.documentSymbols('crash.fk')).rejects.toBeInstanceOf(LspError);
      await expect.poll(() => notices.length).toBe(2);
      expect(notices[0]).toMatch(/fake language server crashed \(exited with code 3\); restarting it/);
      expect(notices[1]).toMatch(/crashed twice .* text tools/);
      expect(await servers.forPath('ok.fk')).toBeUndefined();
    } finally {
      delete process.env.FAKE_LSP_MODE;
      await servers.shutdownAll();
    }
  });
});
