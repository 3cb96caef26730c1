// What the fake model servers (fake-ollama/, fake-openai/) share: the scripted server itself
// (requests recorded, turns taken in order, answers streamed, cut or held), answering JSON, and
// running one by hand from the command line. Plain ESM, no dependencies. Types: fake-http.d.ts.
import { appendFileSync, readFileSync, realpathSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The parsed JSON body, or null when it is empty or not JSON. */
export function parseJson(raw) {
  if (!raw) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

export function sendJson(res, status, value) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

/**
 * Runs a fake server by hand when `moduleUrl` is the script node was started with:
 * `--port`, `--script <turns.json>`, `--models <models.json>`, `--record <requests.jsonl>`.
 * `start(options)` starts it; `describe(fake)` is the URL to print. Stops on SIGINT and SIGTERM.
 */
export function runWhenInvoked(moduleUrl, { name, defaultPort, start, describe }) {
  let invoked = false;
  try {
    invoked = moduleUrl === pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    invoked = false;
  }
  if (!invoked) return;
  const main = async () => {
    const { values } = parseArgs({
      options: {
        port: { type: 'string', default: defaultPort },
        script: { type: 'string' },
        models: { type: 'string' },
        record: { type: 'string' },
      },
    });
    const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
    const script = values.script ? readJson(values.script) : [];
    if (!Array.isArray(script)) throw new Error(`${values.script}: expected a JSON array of turns`);
    const record = values.record;
    const fake = await start({
      port: Number(values.port),
      script,
      models: values.models ? readJson(values.models) : undefined,
      onRequest: record ? (entry) => appendFileSync(record, `${JSON.stringify(entry)}\n`) : undefined,
    });
    process.stderr.write(`${name} listening on ${describe(fake)}\n`);
    const stop = () => void fake.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  };
  main().catch((error) => {
    process.stderr.write(`${name}: ${error?.message ?? error}\n`);
    process.exitCode = 1;
  });
}

/** Waits, unless the client leaves or `stop` fires first; true when the answer should go on. */
export async function pause(ms, res, stop) {
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once('close', onClose);
  try {
    await sleep(ms, undefined, { signal: AbortSignal.any([gone.signal, stop]) });
  } catch {
    return false;
  } finally {
    res.off('close', onClose);
  }
  return !res.destroyed;
}

/** Listens on `host`, 127.0.0.1 unless told (`port` 0: any free one), and resolves with the port. */
export async function listen(server, port, host = '127.0.0.1') {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, host, () => resolve());
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/**
 * A scripted fake model server on `host` (127.0.0.1 unless told): every request recorded (and
 * passed to `options.onRequest`), then answered by `route(entry, res, answers)`. `answers.next(body)`
 * is the next scripted turn (the script's, or its function's), `answers.open(entry, res)` the way
 * to answer one: wait, end, cut, or stream items with the turn's cuts, holds and delays.
 * `extra(req)` adds fields to each recorded request; `fail(res, message)` answers a route that threw.
 */
export async function startScriptedServer(options, { name, chatPath, host = '127.0.0.1', extra = () => ({}), route, fail }) {
  const requests = [];
  const stopping = new AbortController();
  let script = options.script ?? [];
  let turnIndex = 0;

  const answers = {
    async next(body) {
      const index = turnIndex++;
      const turn = typeof script === 'function' ? await script(body, index) : script[index];
      return { turn, index };
    },
    open(entry, res) {
      let finished = false;
      res.on('close', () => {
        if (!finished && !stopping.signal.aborted) entry.clientClosedEarly = true;
      });
      const done = () => {
        finished = true;
      };
      const cut = () => {
        finished = true;
        res.socket?.destroy();
      };
      return {
        done,
        cut,
        wait: (ms) => pause(ms, res, stopping.signal),
        /** Writes each item as `encode` makes it, then ends with `end`; `turn.cutAfter`/`hangAfter` count items. */
        async stream(turn, { headers, items, encode, delayMs, end }) {
          res.writeHead(200, headers);
          res.flushHeaders();
          for (const [i, item] of items.entries()) {
            if (turn.cutAfter === i) return cut();
            if (turn.hangAfter === i) return; // hold the connection open until the client leaves or close()
            if (i > 0 && delayMs && !(await pause(delayMs, res, stopping.signal))) return;
            if (res.destroyed) return;
            await new Promise((resolve) => res.write(encode(item), resolve));
          }
          done();
          res.end(end);
        },
      };
    },
  };

  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    readBody(req)
      .then(
        (raw) => {
          const entry = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0], ...extra(req), body: parseJson(raw), receivedAt };
          requests.push(entry);
          options.onRequest?.(entry);
          return route(entry, res, answers);
        },
        () => res.destroy(),
      )
      .catch((error) => fail(res, `${name}: ${error?.message ?? error}`));
  });
  const port = await listen(server, options.port, host);
  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    chatRequests: () => requests.filter((r) => r.path === chatPath).map((r) => r.body),
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
