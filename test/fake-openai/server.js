// A fake OpenAI-compatible server for tests: real HTTP on 127.0.0.1, the chat completions wire
// format (SSE when streaming), scripted answers, every request recorded. Plain ESM with no
// dependencies so a person can run it by hand:
//   node test/fake-openai/server.js --port 8080 --script turns.json [--record log.jsonl]
// Routes live under /v1 (the base URL is `${url}/v1`). Types: server.d.ts.
import { runWhenInvoked, sendJson, splitContent, startScriptedServer } from '../fake-http.js';

export const DEFAULT_MODELS = [{ id: 'qwen2.5-coder-7b-instruct' }];

export { splitContent };

/** Starts the server; resolves once it listens. `close()` ends it and every open connection. */
export async function startFakeOpenAI(options = {}) {
  const models = (options.models ?? DEFAULT_MODELS).map((m) => ({ tools: true, ...m }));
  let nextId = 1;

  async function route(entry, res, answers) {
    const { method, path, body } = entry;
    if (options.apiKey !== undefined && entry.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendError(res, 401, 'Incorrect API key provided.', 'invalid_api_key');
    }
    if (method === 'GET' && path === '/v1/models') {
      const data = models.map(({ tools: _tools, ...m }) => ({ object: 'model', created: 1700000000, owned_by: 'fake', ...m }));
      return sendJson(res, 200, { object: 'list', data });
    }
    if (method === 'POST' && path === '/v1/chat/completions') {
      if (body === null || typeof body !== 'object') return sendError(res, 400, 'missing request body', null);
      const model = models.find((m) => m.id === body.model);
      if (!model) return sendError(res, 404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'model_not_found');
      if (Array.isArray(body.tools) && body.tools.length > 0 && !model.tools) {
        return sendError(res, 400, `${body.model} does not support tools`, null);
      }
      const { turn, index } = await answers.next(body);
      if (!turn) return sendError(res, 500, `fake openai: no scripted turn left for request ${index + 1}`, 'server_error');
      return answerChat(body, turn, `chatcmpl-fake${nextId++}`, answers.open(entry, res), res);
    }
    return sendError(res, 404, `fake openai: no route for ${method} ${path}`, null);
  }

  async function answerChat(body, turn, id, answer, res) {
    if (turn.delayMs && !(await answer.wait(turn.delayMs))) return;
    if (turn.error) {
      answer.done();
      return sendJson(res, turn.error.status, turn.error.body);
    }
    if (turn.raw) {
      answer.done();
      res.writeHead(turn.raw.status ?? 200, { 'content-type': turn.raw.contentType ?? 'text/event-stream' });
      return res.end(turn.raw.body);
    }
    const content = turn.content ?? '';
    const calls = (turn.toolCalls ?? []).map((c, i) => ({
      id: `call_fake${i + 1}`,
      name: c.name,
      text: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
    }));
    const finishReason = calls.length ? 'tool_calls' : 'stop';
    const usage = usageOf(body, turn, content);
    const base = { id, created: Math.floor(Date.now() / 1000), model: body.model };
    if (body.stream !== true) {
      if (turn.cutAfter !== undefined) return answer.cut();
      const toolCalls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.text } }));
      const message = { role: 'assistant', content: content || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
      answer.done();
      return sendJson(res, 200, { ...base, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: finishReason }], usage });
    }
    const chunk = (choice) => ({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }] });
    const chunks = [chunk({ delta: { role: 'assistant', content: '' } })];
    for (const piece of splitContent(content, turn.chunkSize)) chunks.push(chunk({ delta: { content: piece } }));
    for (const [index, c] of calls.entries()) {
      // The first fragment names the call; its arguments follow as JSON text in pieces.
      const head = { index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } };
      chunks.push(chunk({ delta: { tool_calls: [head] } }));
      for (const piece of splitContent(c.text, Math.ceil(c.text.length / 3))) chunks.push(chunk({ delta: { tool_calls: [{ index, function: { arguments: piece } }] } }));
    }
    if (!turn.noFinish) {
      chunks.push(chunk({ delta: {}, finish_reason: finishReason }));
      if (body.stream_options?.include_usage) chunks.push({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    }
    return answer.stream(turn, {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      items: chunks,
      encode: (data) => `data: ${JSON.stringify(data)}\n\n`,
      delayMs: turn.chunkDelayMs,
      end: turn.noFinish ? undefined : 'data: [DONE]\n\n',
    });
  }

  const fake = await startScriptedServer(options, {
    name: 'fake openai',
    chatPath: '/v1/chat/completions',
    host: options.host,
    extra: (req) => ({ headers: { authorization: req.headers.authorization } }),
    route,
    fail: (res, message) => sendError(res, 500, message, 'server_error'),
  });
  return { ...fake, baseUrl: `${fake.url}/v1` };
}

/** Token counts of a turn: deterministic so tests can assert on them. */
function usageOf(body, turn, content) {
  const prompt = turn.promptTokens ?? Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
  const completion = turn.completionTokens ?? Math.max(1, Math.ceil(content.length / 4));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function sendError(res, status, message, code) {
  const type = status === 401 ? 'invalid_request_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(res, status, { error: { message, type, param: null, code } });
}

runWhenInvoked(import.meta.url, { name: 'fake openai', defaultPort: '8080', start: startFakeOpenAI, describe: (fake) => fake.baseUrl });
