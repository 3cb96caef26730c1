import type { ToolDefinition } from '../../model/types.js';
import type { Tool } from '../tool.js';
import { editFileTool } from './edit-file.js';
import { finishTool } from './finish.js';
import { grepTool } from './grep.js';
import { listFilesTool } from './list-files.js';
import { readFileTool } from './read-file.js';
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
  editFileTool,
  writeFileTool,
  runCommandTool,
  finishTool,
];

/** What the model is told of each tool: name, one-line description, argument schema. */
export function toolDefinitions(list: readonly Tool[] = tools): ToolDefinition[] {
  return list.map(({ name, description, parameters }) => ({ name, description, parameters }));
}

export { editFileTool, finishTool, grepTool, listFilesTool, readFileTool, runCommandTool, writeFileTool };
