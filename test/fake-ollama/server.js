// A fake Ollama server for tests: real HTTP on 127.0.0.1, Ollama's wire format, scripted answers,
// every request recorded. Plain ESM with no dependencies so a person can run it by hand:
//   node test/fake-ollama/server.js --port 11434 --script turns.json [--models models.json] [--record log.jsonl]
// Types: server.d.ts. Model descriptions (/api/tags, /api/show): models.js.
import http from 'node:http';
import { listen, parseJson, pause, readBody, runWhenInvoked, sendJson } from '../fake-http.js';
import { DEFAULT_MODELS, findModel, listEntry, normalizeModel, showBody } from './models.js';

export { DEFAULT_MODELS };

const NS_PER_MS = 1_000_000;

/** Starts the server; resolves once it listens. `close()` ends it and every open connection. */
export async function startFakeOllama(options = {}) {
  const models = (options.models ?? DEFAULT_MODELS).map(normalizeModel);
  const requests = [];
  const loaded = new Set();
  const stopping = new AbortController();
  let script = options.script ?? [];
  let turnIndex = 0;

  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    readBody(req).then(
      (raw) => {
        const entry = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0], body: parseJson(raw), receivedAt };
        requests.push(entry);
        options.onRequest?.(entry);
        return route(entry, res);
      },
      () => res.destroy(),
    ).catch((error) => sendJson(res, 500, { error: `fake ollama: ${error?.message ?? error}` }));
  });

  async function route(entry, res) {
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
      const index = turnIndex++;
      const turn = typeof script === 'function' ? await script(body, index) : script[index];
      if (!turn) return sendJson(res, 500, { error: `fake ollama: no scripted turn left for request ${index + 1}` });
      return answerChat(entry, res, turn);
    }
    return sendJson(res, 404, { error: `fake ollama: no route for ${method} ${path}` });
  }

  async function answerChat(entry, res, turn) {
    const { body } = entry;
    let finished = false;
    res.on('close', () => {
      if (!finished && !stopping.signal.aborted) entry.clientClosedEarly = true;
    });
    if (turn.delayMs && !(await pause(turn.delayMs, res, stopping.signal))) return;
    if (turn.error) {
      finished = true;
      return sendJson(res, turn.error.status, { error: turn.error.error });
    }
    if (turn.raw) {
      finished = true;
      res.writeHead(turn.raw.status ?? 200, { 'content-type': turn.raw.contentType ?? 'application/x-ndjson' });
      return res.end(turn.raw.body);
    }
    const content = turn.content ?? '';
    const doneReason = turn.doneReason ?? 'stop';
    const toolCalls = (turn.toolCalls ?? []).map((c) => ({ function: { name: c.name, arguments: c.arguments ?? {} } }));
    const stats = statsOf(body, turn, content);
    const base = () => ({ model: body.model, created_at: new Date().toISOString() });
    if (body.stream === false) {
      if (turn.cutAfter !== undefined) return cut(res);
      const message = { role: 'assistant', content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
      finished = true;
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

    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.flushHeaders();
    for (const [i, line] of lines.entries()) {
      if (turn.cutAfter === i) return cut(res);
      if (turn.hangAfter === i) return; // hold the connection open until the client leaves or close()
      if (i > 0 && turn.lineDelayMs && !(await pause(turn.lineDelayMs, res, stopping.signal))) return;
      if (res.destroyed) return;
      await new Promise((resolve) => res.write(`${JSON.stringify(line)}\n`, resolve));
    }
    finished = true;
    res.end();

    function cut(r) {
      finished = true;
      r.socket?.destroy();
    }
  }

  const port = await listen(server, options.port);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    chatRequests: () => requests.filter((r) => r.path === '/api/chat').map((r) => r.body),
    setScript(next) {
      script = next;
      turnIndex = 0;
    },
    close() {
      stopping.abort();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
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

/** Pieces of `chunkSize` characters, or of up to three words each (whitespace kept). */
export function splitContent(content, chunkSize) {
  if (!content) return [];
  if (chunkSize && chunkSize > 0) {
    const pieces = [];
    for (let i = 0; i < content.length; i += chunkSize) pieces.push(content.slice(i, i + chunkSize));
    return pieces;
  }
  return content.match(/\s*(?:\S+\s*){1,3}|\s+/g) ?? [content];
}

function sendText(res, text) {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

runWhenInvoked(import.meta.url, { name: 'fake ollama', defaultPort: '11434', start: startFakeOllama, describe: (fake) => fake.url });
