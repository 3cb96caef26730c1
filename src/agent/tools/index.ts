import type { ToolDefinition } from '../../model/types.js';
import type { Tool } from '../tool.js';
import { diagnosticsTool } from './diagnostics.js';
import { editFileTool } from './edit-file.js';
import { findSymbolTool } from './find-symbol.js';
import { finishTool } from './finish.js';
import { grepTool } from './grep.js';
import { listFilesTool } from './list-files.js';
import { readFileTool } from './read-file.js';
import { referencesTool } from './references.js';
import { renameSymbolTool } from './rename-symbol.js';
import { replaceSymbolTool } from './replace-symbol.js';
import { runCommandTool } from './run-command.js';
import { writeFileTool } from './write-file.js';

/**
 * The model's tools, in the order the model sees them. A plain array: a caller that wants fewer
 * tools (no run_command, say) filters it. Arguments reach `run` already checked by validateArgs.
 */
export const tools: Tool[] = [
  readFileTool,
  listFilesTool,
  grepTool,
  findSymbolTool,
  referencesTool,
  renameSymbolTool,
  replaceSymbolTool,
  editFileTool,
  writeFileTool,
  diagnosticsTool,
  runCommandTool,
  finishTool,
];

/** What the model is told of each tool: name, one-line description, argument schema. */
export function toolDefinitions(list: readonly Tool[] = tools): ToolDefinition[] {
  return list.map(({ name, description, parameters }) => ({ name, description, parameters }));
}

export {
  diagnosticsTool,
  editFileTool,
  findSymbolTool,
  finishTool,
  grepTool,
  listFilesTool,
  readFileTool,
  referencesTool,
  renameSymbolTool,
  replaceSymbolTool,
  runCommandTool,
  writeFileTool,
};
