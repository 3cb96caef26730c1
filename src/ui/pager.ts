import { spawn } from 'node:child_process';
import { ask, gitVar } from '../git/queries.js';

/**
 * Shows text through the pager git would use (GIT_PAGER, core.pager, PAGER, then `less` with
 * LESS=FRX so that short output prints and exits) when `output` is a terminal; otherwise, or when
 * that pager is not installed, writes it as it is.
 */
export async function page(text: string, cwd: string, output: NodeJS.WriteStream = process.stdout): Promise<void> {
  if (!output.isTTY) {
    output.write(text);
    return;
  }
  const pager = (await ask(gitVar('GIT_PAGER'), { cwd })) || 'less';
  if (pager === 'cat' || pager === '') {
    output.write(text);
    return;
  }
  await new Promise<void>((resolve) => {
    const child = spawn('sh', ['-c', pager], {
      stdio: ['pipe', output, 'inherit'],
      env: { ...process.env, LESS: process.env.LESS ?? 'FRX', LV: process.env.LV ?? '-c' },
    });
    child.on('error', () => {
      output.write(text);
      resolve();
    });
    // A pager that is not installed (sh: 127): the text is written as it is, not lost.
    child.on('close', (code) => {
      if (code === 127) output.write(text);
      resolve();
    });
    child.stdin.on('error', () => {});
    child.stdin.end(text);
  });
}
