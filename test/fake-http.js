// What the fake model servers (fake-ollama/, fake-openai/) share: reading a request, answering
// JSON, and running one by hand from the command line. Plain ESM, no dependencies.
import { appendFileSync, readFileSync, realpathSync } from 'node:fs';
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
