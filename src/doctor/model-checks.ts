import { type Config, taskNumCtx } from '../config/load.js';
import { AgentError } from '../errors.js';
import { type CatalogSource, catalogSource, describeModel, listModels, missingKey, ollamaVersion } from '../model/catalog.js';
import { formatModelName, type ModelName, parseModelName } from '../model/model-name.js';
import { taskThink } from '../model/thinking.js';
import { ModelError } from '../model/types.js';
import type { ThinkSetting } from '../task-model.js';
import { type Check, fail, ok, warn } from './check.js';

/** A small coder model with native tool calls, to suggest when the configured one has none. */
const SUGGESTED_MODEL = 'qwen2.5-coder:7b';

/**
 * The checks of the configured model: its provider's server reachable (Ollama's version), the
 * model there, its tool calling and its context length. A remote provider is contacted only when
 * `named` (`agent doctor --model`): otherwise nothing leaves the machine and the model is reported
 * as remote, which `agent task` refuses as a default. Checks that depend on a failed one are left
 * out, since they could say nothing true.
 */
export async function modelChecks(config: Config, named: boolean): Promise<Check[]> {
  let name: ModelName;
  let source: CatalogSource;
  try {
    name = parseModelName(config.model);
    source = catalogSource(name.provider, config.providers);
  } catch (error) {
    if (error instanceof AgentError) return [fail('model', error.message, error.hint)];
    throw error;
  }
  if (source.locality === 'remote' && !named) return [remoteNotContacted(formatModelName(name), source)];
  const key = missingKey(source);
  if (key) {
    return [fail('provider', `${source.provider} needs an API key, and ${key} is not set.`, `export ${key}=... (the key of ${source.baseUrl})`)];
  }
  const server = await checkServer(source);
  if (server.status === 'fail') return [server];
  try {
    const entry = await describeModel(source, name.model);
    return [
      server,
      ok('model', `${entry.name} is there`),
      checkTools(entry.name, entry.tools),
      checkThinking(entry.name, entry.thinks, config.think),
      checkContext(entry.contextLength, config.contextWindow),
    ];
  } catch (error) {
    if (error instanceof ModelError) return [server, modelProblem(error, name, source)];
    throw error;
  }
}

function remoteNotContacted(model: string, source: CatalogSource): Check {
  return fail(
    'provider',
    `${model} is served from ${source.baseUrl}, which is not this machine: not contacted.\n` +
      'agent task refuses a remote model as the default; it sends code off the machine only for a task that names it.',
    `Name it for one task: agent task --model ${model} "..." (check it with: agent doctor --model ${model}), or set a local "model" in your config.`,
  );
}

/** Ollama: its version (GET /api/version). OpenAI-compatible: that it lists its models. */
async function checkServer(source: CatalogSource): Promise<Check> {
  const where = `${source.baseUrl} (${source.locality})`;
  try {
    if (source.api === 'ollama') return ok('provider', `Ollama ${await ollamaVersion(source)} at ${where}`);
    const count = (await listModels(source)).length;
    return ok('provider', `${where} answers, with ${count} model${count === 1 ? '' : 's'}`);
  } catch (error) {
    if (error instanceof ModelError) return fail('provider', error.message, error.hint);
    throw error;
  }
}

/** Ollama's own hint wraps the pull line in words; the fix is the command itself. */
function modelProblem(error: ModelError, name: ModelName, source: CatalogSource): Check {
  const pull = error.kind === 'model_not_found' && source.api === 'ollama';
  return fail('model', error.message, pull ? `ollama pull ${name.model}` : error.hint);
}

/** Whether the model thinks, and what `think` a task sends it. */
function checkThinking(model: string, thinks: boolean | undefined, setting: ThinkSetting | undefined): Check {
  const think = taskThink(setting, thinks === undefined ? [] : thinks ? ['thinking'] : ['completion'], model);
  if (thinks === true) {
    const sent = think.think === false ? 'think: false is sent (config): it answers without thinking' : `think: ${JSON.stringify(think.think)} is sent${setting === undefined ? '' : ' (config)'}`;
    return ok('thinking', `${model} thinks before it answers; ${sent}. Its thinking is shown folded and never read for tool calls.`);
  }
  if (thinks === false) {
    if (think.notice) return warn('thinking', think.notice, 'Remove "think" from your config, or choose a model that thinks.');
    return ok('thinking', `${model} does not think (no thinking capability)`);
  }
  const sent = setting === undefined ? 'nothing is sent' : typeof setting === 'string' ? `reasoning_effort "${setting}" is sent to OpenAI-compatible servers, think to Ollama` : `think: ${setting} is sent to Ollama`;
  return ok('thinking', `the server does not say whether ${model} thinks; ${sent}. Thinking it writes in <think> tags is shown as thinking.`);
}

function checkTools(model: string, tools: boolean | undefined): Check {
  if (tools === true) return ok('tool calling', 'native tool calls');
  const fallback = 'hunkwise will use its text tool protocol (the tools described in the prompt, the calls read from the answer)';
  if (tools === undefined) return warn('tool calling', `the server does not say whether ${model} calls tools; if it refuses them, ${fallback}.`);
  return warn(
    'tool calling',
    `${model} does not call tools natively: ${fallback}, which small models follow less reliably.`,
    `ollama pull ${SUGGESTED_MODEL}, then agent task --model ollama/${SUGGESTED_MODEL} "..." (or set it as "model" in your config)`,
  );
}

/** The model's maximum, and the one num_ctx every request of a task will send. */
function checkContext(max: number | undefined, contextWindow: number | undefined): Check {
  const numCtx = taskNumCtx(contextWindow, max);
  const chosen = `a task will use num_ctx ${numCtx}${contextWindow === undefined ? '' : ' (contextWindow in the config)'}`;
  if (max === undefined) return ok('context', `the server does not say the model's context length; ${chosen}`);
  if (contextWindow !== undefined && contextWindow > max) {
    return warn('context', `${max} tokens, and contextWindow ${contextWindow} is more than that`, `Set "contextWindow" to at most ${max} in your config.`);
  }
  return ok('context', `${max} tokens; ${chosen}`);
}
