import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built executable, as a user runs it (npm test builds dist/ first). */
export const AGENT_BIN = fileURLToPath(new URL('../../bin/agent.js', import.meta.url));

export interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `agent ...` without a terminal (stdin closed, output piped), as CI or a script would. */
export function runAgent(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<AgentRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
