// A fake Ollama server for tests: real HTTP on 127.0.0.1, Ollama's wire format, scripted answers,
// every request recorded. Plain ESM with no dependencies so a person can run it by hand:
//   node test/fake-ollama/server.js --port 11434 --script turns.json [--models models.json] [--record log.jsonl]
// Types: server.d.ts. Model descriptions (/api/tags, /api/show): models.js.
import { runWhenInvoked, sendJson, splitContent, startScriptedServer } from '../fake-http.js';
import { DEFAULT_MODELS, findModel, listEntry, normalizeModel, showBody } from './models.js';

export { DEFAULT_MODELS, splitContent };

const NS_PER_MS = 1_000_000;

/** Starts the server; resolves once it listens. `close()` ends it and every open connection. */
export async function startFakeOllama(options = {}) {
  const models = (options.models ?? DEFAULT_MODELS).map(normalizeModel);
  const loaded = new Set();

  async function route(entry, res, answers) {
    const { method, path, body } = entry;
    const requested = typeof body?.model === 'string' ? body.model : typeof body?.name === 'string' ? body.name : '';
    if ((method === 'GET' || method === 'HEAD') && path === '/') return sendText(res, 'Ollama is running');
    if (method === 'GET' && path === '/api/version') return sendJson(res, 200, { version: '0.12.6' });
    if (method === 'GET' && path === '/api/tags') return sendJson(res, 200, { models: models.map(listEntry) });
    if (method === 'GET' && path === '/api/ps') {
      const running = models.filter((m) => loaded.has(m.name));
      const expiresAt = new Date(Date.now() + 5 * 60_000).toISOString();
      return sendJson(res, 200, { models: running.map((m) => ({ ...listEntry(m), expires_at: expiresAt, size_vram: m.size })) });
    }
    if (method === 'POST' && path === '/api/show') {
      const model = findModel(models, requested);
      if (!model) return sendJson(res, 404, { error: `model '${requested}' not found` });
      return sendJson(res, 200, showBody(model));
    }
    if (method === 'POST' && path === '/api/chat') {
      if (body === null || typeof body !== 'object') return sendJson(res, 400, { error: 'missing request body' });
      if (!requested) return sendJson(res, 400, { error: 'model is required' });
      const model = findModel(models, requested);
      if (!model) return sendJson(res, 404, { error: `model "${requested}" not found, try pulling it first` });
      if (Array.isArray(body.tools) && body.tools.length > 0 && !model.tools) {
        return sendJson(res, 400, { error: `registry.ollama.ai/library/${requested} does not support tools` });
      }
      if (body.think !== undefined && body.think !== false && !model.thinking) {
        return sendJson(res, 400, { error: `registry.ollama.ai/library/${requested} does not support thinking` });
      }
      loaded.add(model.name);
      const { turn, index } = await answers.next(body);
      if (!turn) return sendJson(res, 500, { error: `fake ollama: no scripted turn left for request ${index + 1}` });
      return answerChat(body, turn, answers.open(entry, res), res);
    }
    return sendJson(res, 404, { error: `fake ollama: no route for ${method} ${path}` });
  }

  async function answerChat(body, turn, answer, res) {
    if (turn.delayMs && !(await answer.wait(turn.delayMs))) return;
    if (turn.error) {
      answer.done();
      return sendJson(res, turn.error.status, { error: turn.error.error });
    }
    if (turn.raw) {
      answer.done();
      res.writeHead(turn.raw.status ?? 200, { 'content-type': turn.raw.contentType ?? 'application/x-ndjson' });
      return res.end(turn.raw.body);
    }
    const content = turn.content ?? '';
    const doneReason = turn.doneReason ?? 'stop';
    const toolCalls = (turn.toolCalls ?? []).map((c) => ({ function: { name: c.name, arguments: c.arguments ?? {} } }));
    const stats = statsOf(body, turn, content);
    const base = () => ({ model: body.model, created_at: new Date().toISOString() });
    if (body.stream === false) {
      if (turn.cutAfter !== undefined) return answer.cut();
      const message = { role: 'assistant', content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
      answer.done();
      return sendJson(res, 200, { ...base(), message, done: true, done_reason: doneReason, ...stats });
    }
    // Thinking comes first, in its own field, when the request did not turn it off (as Ollama streams it).
    const thinking = body.think === false ? '' : (turn.thinking ?? '');
    const lines = [
      ...splitContent(thinking, turn.chunkSize).map((piece) => ({ ...base(), message: { role: 'assistant', content: '', thinking: piece }, done: false })),
      ...splitContent(content, turn.chunkSize).map((piece) => ({ ...base(), message: { role: 'assistant', content: piece }, done: false })),
    ];
    if (toolCalls.length) lines.push({ ...base(), message: { role: 'assistant', content: '', tool_calls: toolCalls }, done: false });
    lines.push({ ...base(), message: { role: 'assistant', content: '' }, done: true, done_reason: doneReason, ...stats });
    return answer.stream(turn, {
      headers: { 'content-type': 'application/x-ndjson' },
      items: lines,
      encode: (line) => `${JSON.stringify(line)}\n`,
      delayMs: turn.lineDelayMs,
    });
  }

  return startScriptedServer(options, {
    name: 'fake ollama',
    chatPath: '/api/chat',
    route,
    fail: (res, message) => sendJson(res, 500, { error: message }),
  });
}

/** Token counts and durations (ns) of a turn: deterministic so tests can assert on them. */
function statsOf(body, turn, content) {
  const promptEvalCount = turn.promptEvalCount ?? Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
  const evalCount = turn.evalCount ?? Math.max(1, Math.ceil(content.length / 4));
  const loadDuration = 2 * NS_PER_MS;
  const promptEvalDuration = promptEvalCount * NS_PER_MS;
  const evalDuration = evalCount * 20 * NS_PER_MS;
  return {
    total_duration: loadDuration + promptEvalDuration + evalDuration + (turn.delayMs ?? 0) * NS_PER_MS,
    load_duration: loadDuration,
    prompt_eval_count: promptEvalCount,
    prompt_eval_duration: promptEvalDuration,
    eval_count: evalCount,
    eval_duration: evalDuration,
  };
}

function sendText(res, text) {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

runWhenInvoked(import.meta.url, { name: 'fake ollama', defaultPort: '11434', start: startFakeOllama, describe: (fake) => fake.url });
