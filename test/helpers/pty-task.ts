import { type FakeOllama, type FakeScript, startFakeOllama } from '../fake-ollama/server.js';
import { AGENT_BIN } from './agent.js';
import { type PtySession, spawnPty } from './pty.js';
import { makeRepo, type TestRepo } from './repo.js';
import type { TestState } from './state.js';

/**
 * `agent <args>` in a real terminal, in a new repository of `files`, talking to a fake Ollama that
 * answers `script`; all three kept in `open`, so the test file's afterEach closes them.
 */
export async function startPtyTask(
  open: TestState,
  { files, script, args, cols = 200, rows }: { files: Record<string, string>; script: FakeScript; args: string[]; cols?: number; rows?: number },
): Promise<{ server: FakeOllama; repo: TestRepo; pty: PtySession }> {
  const server = await startFakeOllama({ script });
  open.server = server;
  const repo = makeRepo(files);
  open.repo = repo;
  const pty = spawnPty(process.execPath, [AGENT_BIN, ...args], { cwd: repo.root, env: { ...repo.env, OLLAMA_HOST: server.url }, cols, ...(rows ? { rows } : {}) });
  open.pty = pty;
  return { server, repo, pty };
}
