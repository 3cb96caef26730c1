import type { ParameterSchema } from '../../model/types.js';
import type { ActionRequest } from '../approval-policy.js';
import type { ActionClass, Tool, ToolContext, ToolResult } from '../tool.js';
import { askApproval } from './shared.js';

/**
 * A tool stated once: its name, class and argument schema are written in one place, its argument
 * type is derived from the schema (as pi-mono's `Static<typeof schema>`), and the approval it asks
 * for and the action it records carry its own name and class.
 */

type ParameterValue<P> = P extends { type: 'string' } ? string : P extends { type: 'integer' } ? number : P extends { type: 'boolean' } ? boolean : never;

type RequiredName<S extends ParameterSchema> = S['required'] extends readonly (infer Name)[] ? Name & keyof S['properties'] : never;

/** The arguments a schema describes: the required ones present, the others optional. */
export type ArgsOf<S extends ParameterSchema> = {
  [Name in keyof S['properties'] as Name extends RequiredName<S> ? Name : never]: ParameterValue<S['properties'][Name]>;
} & {
  [Name in keyof S['properties'] as Name extends RequiredName<S> ? never : Name]?: ParameterValue<S['properties'][Name]>;
};

/** What a tool's run is given besides its arguments and context: itself, for what it asks and records. */
export interface ToolUse {
  name: string;
  /** `read_file src/a.ts`: the tool's name and what it acts on, as the Agent-Action trailer says it. */
  action(subject: string): string;
  /** The approval request for this tool's read or run of `subject` (`path`: what a read touches). */
  request(subject: string, path?: string): ActionRequest;
  /** Asks for it: undefined when allowed, else the refusal to return. */
  ask(subject: string, path?: string): Promise<ToolResult | undefined>;
}

export interface ToolSpec<S extends ParameterSchema> {
  name: string;
  description: string;
  parameters: S;
  actionClass: ActionClass;
  /** What a call acts on, after the tool's name: `src/a.ts` of `read_file src/a.ts` ('' for nothing). */
  subject(args: ArgsOf<S>): string;
  run(args: ArgsOf<S>, ctx: ToolContext, use: ToolUse): Promise<ToolResult>;
}

export function defineTool<const S extends ParameterSchema>(spec: ToolSpec<S>): Tool<ArgsOf<S>> {
  const { name, actionClass } = spec;
  const action = (subject: string): string => (subject ? `${name} ${subject}` : name);
  const request = (subject: string, path?: string): ActionRequest => {
    // Only reads and runs are asked about; an edit's hunks are what the person approves.
    if (actionClass !== 'read' && actionClass !== 'run') throw new Error(`${name} (${actionClass}) asks no approval`);
    return { class: actionClass, tool: name, subject, ...(path === undefined ? {} : { path }) };
  };
  return {
    name,
    description: spec.description,
    parameters: spec.parameters,
    actionClass,
    describe: (args) => action(spec.subject(args)),
    run: (args, ctx) =>
      spec.run(args, ctx, {
        name,
        action,
        request,
        ask: (subject, path) => askApproval(ctx, request(subject, path)),
      }),
  };
}
