import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The built-in language servers, the config's overrides of them (the `lsp` key: per language a
 * command, args, extensions and root markers, or `false` to turn one off), and where their
 * commands are. TypeScript and JavaScript need nothing installed: hunkwise's own `typescript` 7.
 */

export interface LspServerConfig {
  command: string;
  /** Default: the built-in server's args for a built-in language, else none. */
  args?: string[];
  /** With or without the dot: 'ts', '.py'. Default: the built-in's. */
  extensions?: string[];
  rootMarkers?: string[];
}

export type LspOverrides = Record<string, LspServerConfig | false>;

/** A server ready to start: its command resolved to a file that exists. */
export interface ServerSpec {
  language: string;
  command: string;
  args: string[];
  extensions: string[];
  rootMarkers: string[];
  settings?: Record<string, unknown>;
  readyLog?: RegExp;
  /** What to tell the user when it cannot start. */
  installHint: string;
  /**
   * The server runs the project's code: rust-analyzer builds and runs build scripts and procedural
   * macros; a program inside the repository is the project's code itself. Such a server runs in
   * the command sandbox.
   */
  runsProjectCode?: boolean;
  /**
   * The server knows the files it is told of and those its own index lists (clangd: the files of a
   * compile_commands.json): before a rename or a search for references, the files that mention the
   * name are opened for it, so that their uses are renamed and found too.
   */
  openFilesIndex?: boolean;
  /** The server takes the project's compile_commands.json (clangd): the checkout's is moved into the worktree for it. */
  compileCommands?: boolean;
  /**
   * The server reads a project from the folder it is started on (pyright's imports, gopls's module):
   * one is started per project root, the nearest folder above a file with a root marker.
   */
  perProject?: boolean;
}

/** A command found, with what goes before the server's own args (a script, when run by node). */
type Located = { command: string; prefix: string[] };

interface Builtin extends Omit<ServerSpec, 'command'> {
  locate(): Promise<Located | undefined>;
}

const requireHere = createRequire(import.meta.url);

const isExecutable = (path: string): boolean => {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The absolute path of `command` (searched on PATH when it is a bare name), or undefined. */
export function resolveCommand(command: string, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (command.includes('/') || (process.platform === 'win32' && command.includes('\\'))) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    return isExecutable(path) ? path : undefined;
  }
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) if (isExecutable(join(dir, command + ext))) return join(dir, command + ext);
  }
  return undefined;
}

/** TypeScript 7's native binary, from our own dependency, never from the user's project. */
async function locateTypeScript(): Promise<Located | undefined> {
  try {
    const pkg = dirname(requireHere.resolve('typescript/package.json'));
    try {
      const module = (await import(pathToFileURL(join(pkg, 'lib', 'getExePath.js')).href)) as { default: () => string };
      return { command: module.default(), prefix: [] };
    } catch {
      const bin = join(pkg, 'bin', 'tsc');
      return existsSync(bin) ? { command: process.execPath, prefix: [bin] } : undefined;
    }
  } catch {
    return undefined;
  }
}

/** pyright-langserver on PATH, else the one of our own `pyright` package when it is installed. */
async function locatePyright(): Promise<Located | undefined> {
  const onPath = resolveCommand('pyright-langserver');
  if (onPath) return { command: onPath, prefix: [] };
  try {
    const script = join(dirname(requireHere.resolve('pyright/package.json')), 'langserver.index.js');
    return existsSync(script) ? { command: process.execPath, prefix: [script] } : undefined;
  } catch {
    return undefined;
  }
}

const onPath = (command: string) => async (): Promise<Located | undefined> => {
  const path = resolveCommand(command);
  return path ? { command: path, prefix: [] } : undefined;
};

const configHint = (language: string): string =>
  `or set its command in the config ("lsp": { "${language}": { "command": "..." } }, or false to turn it off)`;

/** The LSP language identifier of each extension a built-in server handles, per server. */
const LANGUAGE_IDS = {
  typescript: {
    ts: 'typescript', tsx: 'typescriptreact', mts: 'typescript', cts: 'typescript',
    js: 'javascript', jsx: 'javascriptreact', mjs: 'javascript', cjs: 'javascript',
  },
  python: { py: 'python', pyi: 'python' },
  go: { go: 'go' },
  rust: { rs: 'rust' },
  cpp: { c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', cxx: 'cpp', hh: 'cpp', hpp: 'cpp', hxx: 'cpp' },
};

/** Languages hunkwise has no server of its own for, which a user may configure one for. */
const OTHER_LANGUAGE_IDS: Record<string, string> = {
  json: 'json', java: 'java', rb: 'ruby', php: 'php', cs: 'csharp', swift: 'swift',
  kt: 'kotlin', lua: 'lua', sh: 'shellscript', zig: 'zig', ex: 'elixir', exs: 'elixir',
};

const ALL_LANGUAGE_IDS: Record<string, string> = Object.assign({}, ...Object.values(LANGUAGE_IDS), OTHER_LANGUAGE_IDS);

/** The LSP language identifier of a file, from its extension (the extension itself when unknown). */
export function languageIdOf(path: string): string {
  const ext = extname(path).slice(1).toLowerCase();
  return ALL_LANGUAGE_IDS[ext] ?? ext;
}

export const BUILTIN_SERVERS: Record<string, Builtin> = {
  typescript: {
    language: 'typescript',
    args: ['--lsp', '--stdio'],
    extensions: Object.keys(LANGUAGE_IDS.typescript),
    rootMarkers: ['tsconfig.json', 'jsconfig.json', 'package.json'],
    // Rename the re-exports and aliased imports too, rather than keeping the old name as an alias.
    // No automatic type acquisition: it runs npm install from the registry into ~/.cache/typescript,
    // unconfined, and a task contacts no host other than its model's (SPEC section 6).
    settings: {
      'js/ts': { preferences: { useAliasesForRenames: false }, tsserver: { automaticTypeAcquisition: { enabled: false } } },
      typescript: { disableAutomaticTypeAcquisition: true },
    },
    installHint: `hunkwise's own typescript package is missing: reinstall hunkwise (npm install -g hunkwise), ${configHint('typescript')}.`,
    locate: locateTypeScript,
  },
  python: {
    language: 'python',
    args: ['--stdio'],
    extensions: Object.keys(LANGUAGE_IDS.python),
    rootMarkers: ['pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'pyrightconfig.json'],
    readyLog: /Found \d+ source files?|No source files found/,
    perProject: true,
    installHint: `Install pyright (npm install -g pyright, or pip install pyright), ${configHint('python')}.`,
    locate: locatePyright,
  },
  go: {
    language: 'go',
    args: [],
    extensions: Object.keys(LANGUAGE_IDS.go),
    rootMarkers: ['go.mod', 'go.work'],
    perProject: true,
    installHint: `Install gopls (go install golang.org/x/tools/gopls@latest), ${configHint('go')}.`,
    locate: onPath('gopls'),
  },
  rust: {
    language: 'rust',
    args: [],
    extensions: Object.keys(LANGUAGE_IDS.rust),
    rootMarkers: ['Cargo.toml'],
    installHint: `Install rust-analyzer (rustup component add rust-analyzer), ${configHint('rust')}.`,
    locate: onPath('rust-analyzer'),
    runsProjectCode: true,
  },
  cpp: {
    language: 'cpp',
    args: [],
    extensions: Object.keys(LANGUAGE_IDS.cpp),
    rootMarkers: ['compile_commands.json', 'compile_flags.txt', 'CMakeLists.txt', '.clangd'],
    installHint: `Install clangd (apt install clangd, brew install llvm), ${configHint('cpp')}.`,
    locate: onPath('clangd'),
    openFilesIndex: true,
    compileCommands: true,
  },
};

const normalizeExt = (ext: string): string => ext.replace(/^\./, '').toLowerCase();

/** The language (server) a file belongs to: configured extensions first, then the built-in ones. */
export function languageOf(path: string, overrides?: LspOverrides): string | undefined {
  const ext = normalizeExt(extname(path));
  if (!ext) return undefined;
  for (const [language, config] of Object.entries(overrides ?? {})) {
    if (config !== false && config.extensions?.map(normalizeExt).includes(ext)) return language;
  }
  return Object.values(BUILTIN_SERVERS).find((server) => server.extensions.includes(ext))?.language;
}

/** How to get a language's server, for a message when there is none. */
export function installHintOf(language: string): string {
  return BUILTIN_SERVERS[language]?.installHint ?? `Install its language server, ${configHint(language)}.`;
}

/**
 * The server for a language with its command found, or undefined when it is turned off, unknown,
 * or its command is nowhere (not on PATH, not installed with hunkwise). `root` resolves a configured
 * relative command (`./node_modules/.bin/x`).
 */
export async function findServer(language: string, overrides?: LspOverrides, root?: string): Promise<ServerSpec | undefined> {
  const override = overrides?.[language];
  if (override === false) return undefined;
  const builtin = BUILTIN_SERVERS[language];
  const base = { language, installHint: installHintOf(language) };
  if (override) {
    const command = resolveCommand(override.command, root);
    if (!command) return undefined;
    return {
      ...base,
      ...(builtin?.settings ? { settings: builtin.settings } : {}),
      ...(builtin?.readyLog ? { readyLog: builtin.readyLog } : {}),
      command,
      args: override.args ?? builtin?.args ?? [],
      extensions: (override.extensions ?? builtin?.extensions ?? []).map(normalizeExt),
      rootMarkers: override.rootMarkers ?? builtin?.rootMarkers ?? [],
      runsProjectCode: builtin?.runsProjectCode === true || (root !== undefined && isInside(command, root)),
      ...(builtin?.openFilesIndex ? { openFilesIndex: true } : {}),
      ...(builtin?.compileCommands ? { compileCommands: true } : {}),
      ...(builtin?.perProject ? { perProject: true } : {}),
    };
  }
  if (!builtin) return undefined;
  const located = await builtin.locate();
  if (!located) return undefined;
  const { locate: _, ...rest } = builtin;
  return { ...rest, command: located.command, args: [...located.prefix, ...builtin.args] };
}

const isInside = (path: string, folder: string): boolean => {
  const rel = relative(resolve(folder), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/**
 * The folder to start a server on for `file`: the nearest one from the file up to `root` holding a
 * root marker, else `root`. Never above `root`.
 */
export function findServerRoot(file: string, root: string, rootMarkers: string[]): string {
  const top = resolve(root);
  let dir = dirname(resolve(top, file));
  while (!relative(top, dir).startsWith('..')) {
    if (rootMarkers.some((marker) => existsSync(join(dir, marker)))) return dir;
    if (dir === top) break;
    dir = dirname(dir);
  }
  return top;
}
