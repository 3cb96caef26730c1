import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLanguageServer, type StartedLanguageClient } from '../../../src/lsp/client.js';
import { findServer } from '../../../src/lsp/servers.js';
import { applyTextEdits } from '../../../src/lsp/text-edits.js';
import { LspError } from '../../../src/lsp/types.js';
import { gone, makeProject, type Project } from './project.js';

// The real TypeScript 7 server (`tsc --lsp --stdio` of our own dependency) on a small project.

const FILES: Record<string, string> = {
  'package.json': '{ "type": "module" }\n',
  'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', target: 'es2022', noEmit: true }, include: ['src'] }),
  'src/config.ts': [
    'export class Config {',
    "  name = 'default';",
    '  load(path: string): string {',
    "    return [this.name, path].join(':');",
    '  }',
    '}',
    '',
    '/** parseConfig reads a config. */',
    'export function parseConfig(text: string): Config {',
    '  const config = new Config();',
    '  config.name = text;',
    '  return config;',
    '}',
    '',
  ].join('\n'),
  'src/index.ts': "export { parseConfig } from './config.js';\nexport { Config } from './config.js';\n",
  'src/app.ts': [
    "import { parseConfig as readIt } from './index.js';",
    '',
    "const settings = { parseConfig: 'a property of the same name' };",
    "export const message = 'call parseConfig first';",
    "export const loaded = readIt('app').load(settings.parseConfig);",
    '',
  ].join('\n'),
  'src/shadow.ts': [
    "import { parseConfig } from './config.js';",
    '',
    'export function local(): number {',
    '  const parseConfig = 2;',
    '  return parseConfig;',
    '}',
    "export const made = parseConfig('shadow');",
    '',
  ].join('\n'),
  'src/bad.ts': "export const count: number = 'three';\n",
};

let project: Project;
let client: StartedLanguageClient;
let readyMs = 0;

beforeAll(async () => {
  project = makeProject(FILES);
  const spec = await findServer('typescript');
  if (!spec) throw new Error('typescript 7 is a dependency of hunkwise; it should be found');
  const started = Date.now();
  client = await startLanguageServer({
    language: 'typescript',
    command: spec.command,
    args: spec.args,
    root: project.root,
    settings: spec.settings,
    seedPaths: ['src/app.ts'],
    timeouts: { requestMs: 20_000, readyMs: 20_000, diagnosticsMs: 20_000 },
  });
  expect(await client.ready()).toBe(true);
  readyMs = Date.now() - started;
});

afterAll(async () => {
  await client?.shutdown();
  project?.cleanup();
});

describe('the TypeScript 7 server', () => {
  it('says what it can do, and is ready soon', () => {
    expect(client.capabilities.diagnosticProvider).toBeTruthy();
    expect(client.capabilities.workspaceSymbolProvider).toBeTruthy();
    expect(client.capabilities.renameProvider).toMatchObject({ prepareProvider: true });
    expect(readyMs).toBeLessThan(10_000);
    console.info(`typescript 7 server started and ready in ${readyMs} ms`);
  });

  it('lists a file’s symbols with their containers and whole ranges', async () => {
    const symbols = await client.documentSymbols('src/config.ts');
    const load = symbols.find((s) => s.name === 'load');
    expect(load).toMatchObject({ containers: ['Config'], kind: 'method', path: 'src/config.ts' });
    expect(load?.range).toEqual({ start: { line: 2, character: 2 }, end: { line: 4, character: 3 } });
    expect(load?.selectionRange).toEqual({ start: { line: 2, character: 2 }, end: { line: 2, character: 6 } });
    expect(symbols.find((s) => s.name === 'Config')).toMatchObject({ containers: [], kind: 'class' });
    expect(symbols.find((s) => s.name === 'parseConfig')).toMatchObject({ containers: [], kind: 'function' });
  });

  it('finds symbols across the workspace, with the declaration’s whole range', async () => {
    const found = await client.workspaceSymbols('load');
    const load = found.find((s) => s.name === 'load' && s.path === 'src/config.ts');
    expect(load).toMatchObject({ containers: ['Config'], kind: 'method' });
    expect(load?.range.end.line).toBe(4);
    const parse = (await client.workspaceSymbols('parseConfig')).filter((s) => s.name === 'parseConfig');
    expect(parse.map((s) => s.path)).toContain('src/config.ts');
  });

  it('finds references across files, not the shadowing local nor the property', async () => {
    const refs = await client.references('src/config.ts', { line: 8, character: 17 }, true);
    const where = refs.map((r) => `${r.path}:${r.range.start.line}:${r.range.start.character}`).sort();
    expect(where).toEqual(['src/app.ts:0:9', 'src/app.ts:4:22', 'src/app.ts:0:24', 'src/config.ts:8:16', 'src/index.ts:0:9', 'src/shadow.ts:0:9', 'src/shadow.ts:6:20'].sort());
    const definition = await client.definition('src/app.ts', { line: 4, character: 24 });
    expect(definition.map((d) => d.path)).toContain('src/config.ts');
  });

  it('renames across files through an aliased import and a re-export', async () => {
    const edits = await client.rename('src/config.ts', { line: 8, character: 17 }, 'readConfig');
    expect(edits.map((e) => e.path)).toEqual(['src/app.ts', 'src/config.ts', 'src/index.ts', 'src/shadow.ts']);
    const after = Object.fromEntries(
      edits.map((file) => {
        const result = applyTextEdits(project.read(file.path), file.edits, (old) => (old === 'parseConfig' ? undefined : `replaced ${old}`));
        if (typeof result !== 'string') throw new Error(result.error);
        return [file.path, result];
      }),
    );
    expect(after['src/index.ts']).toBe("export { readConfig } from './config.js';\nexport { Config } from './config.js';\n");
    expect(after['src/app.ts']).toBe(FILES['src/app.ts']!.replace("import { parseConfig as readIt }", 'import { readConfig as readIt }'));
    expect(after['src/shadow.ts']).toBe(
      FILES['src/shadow.ts']!.replace("import { parseConfig }", 'import { readConfig }').replace("made = parseConfig('shadow')", "made = readConfig('shadow')"),
    );
    expect(after['src/config.ts']).toContain('export function readConfig(text: string): Config {');
    expect(after['src/config.ts']).toContain('/** parseConfig reads a config. */');
  });

  it('refuses a rename where there is nothing to rename, with the server’s reason', async () => {
    await expect(client.rename('src/app.ts', { line: 1, character: 0 }, 'x')).rejects.toBeInstanceOf(LspError);
  });

  it('pulls diagnostics, and sees the synced text rather than the disk', async () => {
    const before = await client.diagnostics('src/bad.ts');
    expect(before).toMatchObject({ status: 'ok', diagnostics: [{ path: 'src/bad.ts', severity: 'error', code: '2322', message: "Type 'string' is not assignable to type 'number'." }] });

    await client.sync('src/bad.ts', 'export const count: number = 3;\n');
    expect(await client.diagnostics('src/bad.ts')).toEqual({ status: 'ok', diagnostics: [] });

    // Unsaved content that breaks another file: the disk still has the old, valid config.ts.
    await client.sync('src/config.ts', FILES['src/config.ts']!.replace('load(path: string): string', 'load(path: number): string'));
    const app = await client.diagnostics('src/app.ts');
    expect(app.status).toBe('ok');
    expect(app.status === 'ok' && app.diagnostics.map((d) => d.code)).toEqual(['2345']);

    await client.close('src/config.ts');
    expect(await client.diagnostics('src/app.ts')).toEqual({ status: 'ok', diagnostics: [] });
  });

  it('leaves no process after shutdown, and says so when asked again', async () => {
    const pid = client.pid;
    expect(pid).toBeTypeOf('number');
    await client.shutdown();
    await client.shutdown();
    expect(await gone(pid)).toBe(true);
    await expect(client.documentSymbols('src/config.ts')).rejects.toThrow(/shut down/);
    expect(await client.diagnostics('src/config.ts')).toMatchObject({ status: 'unavailable' });
  });
});
