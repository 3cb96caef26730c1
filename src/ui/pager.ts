import { spawn } from 'node:child_process';
import { git } from '../git/exec.js';

/**
 * Shows text through the pager git would use (GIT_PAGER, core.pager, PAGER, then `less` with
 * LESS=FRX so that short output prints and exits) when standard output is a terminal; otherwise
 * writes it as it is.
 */
export async function page(text: string, cwd: string): Promise<void> {
  if (!process.stdout.isTTY) {
    process.stdout.write(text);
    return;
  }
  const pager = (await git(['var', 'GIT_PAGER'], { cwd, okCodes: [128] })).stdout.trim() || 'less';
  if (pager === 'cat' || pager === '') {
    process.stdout.write(text);
    return;
  }
  await new Promise<void>((resolve) => {
    const child = spawn('sh', ['-c', pager], {
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { ...process.env, LESS: process.env.LESS ?? 'FRX', LV: process.env.LV ?? '-c' },
    });
    child.on('error', () => {
      process.stdout.write(text);
      resolve();
    });
    child.on('close', () => resolve());
    child.stdin.on('error', () => {});
    child.stdin.end(text);
  });
}
