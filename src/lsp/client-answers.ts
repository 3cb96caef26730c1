import { ErrorCodes, ResponseError } from 'vscode-jsonrpc/node';
import type { ClientCapabilities, SymbolKind, WorkspaceFolder } from 'vscode-languageserver-protocol';
import { SYMBOL_KIND_NAMES } from './types.js';

/**
 * What the client tells a server it can do (only what hunkwise uses), and its answers to the
 * server's own requests, given at once so that no server stalls waiting for a client.
 */

const SYMBOL_KINDS = SYMBOL_KIND_NAMES.map((_, i) => i + 1) as SymbolKind[];

export const CAPABILITIES: ClientCapabilities = {
  general: { positionEncodings: ['utf-16'] },
  window: { workDoneProgress: true },
  workspace: {
    workspaceEdit: { documentChanges: true, resourceOperations: [] },
    configuration: true,
    workspaceFolders: true,
    symbol: { symbolKind: { valueSet: SYMBOL_KINDS } },
  },
  textDocument: {
    synchronization: { didSave: false, willSave: false },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true, symbolKind: { valueSet: SYMBOL_KINDS } },
    rename: { prepareSupport: true },
    references: {},
    definition: { linkSupport: true },
    diagnostic: { relatedDocumentSupport: false },
    publishDiagnostics: { versionSupport: true },
  },
};

const lookup = (settings: Record<string, unknown> | undefined, section: string | undefined): unknown => {
  if (!settings) return null;
  if (section === undefined) return settings;
  if (section in settings) return settings[section];
  let value: unknown = settings;
  for (const key of section.split('.')) {
    if (typeof value !== 'object' || value === null || !(key in value)) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return value ?? null;
};

/**
 * The answer to a request from the server. `workspace/configuration` is answered from `settings`
 * (null for a section it lacks), edits the server wants applied are declined (hunkwise proposes
 * edits as hunks), and an unknown method gets MethodNotFound.
 */
export function answerServer(method: string, params: unknown, settings: Record<string, unknown> | undefined, folders: WorkspaceFolder[]): unknown {
  switch (method) {
    case 'workspace/configuration': {
      const items = (params as { items?: { section?: string }[] } | undefined)?.items ?? [];
      return items.map((item) => lookup(settings, item.section));
    }
    case 'workspace/workspaceFolders':
      return folders;
    case 'workspace/applyEdit':
      return { applied: false, failureReason: 'hunkwise applies edits itself, as hunks the user approves.' };
    case 'window/showDocument':
      return { success: false };
    case 'window/workDoneProgress/create':
    case 'client/registerCapability':
    case 'client/unregisterCapability':
    case 'window/showMessageRequest':
      return null;
    default:
      if (method.endsWith('/refresh')) return null;
      return new ResponseError(ErrorCodes.MethodNotFound, `hunkwise does not handle ${method}`);
  }
}
