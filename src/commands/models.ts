import { loadConfig } from '../config/load.js';
import { AgentError, usageError } from '../errors.js';
import { openRepo } from '../git/repo.js';
import { type CatalogEntry, type CatalogSource, catalogSource, listModels, missingKey } from '../model/catalog.js';
import { parseModelName } from '../model/model-name.js';
import { ModelError } from '../model/types.js';

export interface ModelsOptions {
  json?: boolean;
}

/** Lists the models of `provider` (default: the configured model's) as a table, or JSON. */
export async function modelsCommand(provider: string | undefined, options: ModelsOptions): Promise<void> {
  const source = await chooseSource(process.cwd(), provider);
  const entries = await listModels(source).catch((error: unknown) => {
    if (error instanceof ModelError) throw new AgentError(error.message, { hint: error.hint, cause: error });
    throw error;
  });
  if (options.json) {
    const rows = entries.map((e) => ({ name: e.name, size: e.size ?? null, contextLength: e.contextLength ?? null, tools: e.tools ?? null, thinks: e.thinks ?? null }));
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  process.stdout.write(entries.length > 0 ? formatTable(entries) : noModels(source));
}

/**
 * The provider to list: the one named, or the configured model's. A remote provider is contacted
 * only when named here (nothing leaves the machine unasked), and only with its key.
 */
async function chooseSource(cwd: string, named: string | undefined): Promise<CatalogSource> {
  const config = loadConfig(await repoRootOf(cwd));
  const source = catalogSource(named ?? parseModelName(config.model).provider, config.providers);
  if (source.locality === 'remote' && named === undefined) {
    throw usageError(
      `The configured model ${config.model} is served from ${source.baseUrl}, which is not this machine: agent models does not contact it unasked.`,
      `Name the provider to list its models: agent models ${source.provider} (or agent models ollama for the local one).`,
    );
  }
  const key = missingKey(source);
  if (key) throw usageError(`${source.provider} needs an API key, and ${key} is not set.`, `export ${key}=... (the key of ${source.baseUrl}), then run the command again.`);
  return source;
}

/** The repository around `cwd`, whose config may name the model; none outside one or without git. */
async function repoRootOf(cwd: string): Promise<string | undefined> {
  try {
    return (await openRepo(cwd)).root;
  } catch (error) {
    if (error instanceof AgentError || (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function noModels(source: CatalogSource): string {
  return source.api === 'ollama'
    ? `Ollama at ${source.baseUrl} has no models. Pull one with: ollama pull qwen2.5-coder:7b\n`
    : `${source.baseUrl} lists no models.\n`;
}

const yesNo = (value: boolean | undefined): string => (value === undefined ? '?' : value ? 'yes' : 'no');

/** TOOLS: `native` calls, or `text` (the tools described in the prompt, the calls read from the answer). */
const toolsColumn = (value: boolean | undefined): string => (value === undefined ? '?' : value ? 'native' : 'text');

function formatTable(entries: CatalogEntry[]): string {
  const rows = [
    ['NAME', 'SIZE', 'CONTEXT', 'TOOLS', 'THINKS'],
    ...entries.map((e) => [e.name, e.size === undefined ? '?' : humanSize(e.size), String(e.contextLength ?? '?'), toolsColumn(e.tools), yesNo(e.thinks)]),
  ];
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0))) ?? [];
  return rows.map((row) => `${row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0))).join('  ')}\n`).join('');
}

/** Bytes in decimal units, as `ollama list` shows them: 4.7 GB, 274 MB. */
function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
