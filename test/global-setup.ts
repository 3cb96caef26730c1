import { spawnSync } from 'node:child_process';
import { installed, OPTIONAL_TOOLS } from './helpers/optional-tools.js';

/**
 * What the suite needs of the machine, checked once before any test: a missing tool fails here with
 * what to install, not later as a confusing assertion. Optional tools are only named: the tests
 * that need them are skipped and say so in their titles (HUNKWISE_TEST_TOOLS=required, as .ci/run
 * sets it, makes them required; see helpers/optional-tools.ts).
 */
export default function checkMachine(): void {
  const missing: string[] = [];
  const git = spawnSync('git', ['--version'], { encoding: 'utf8' });
  const version = /(\d+)\.(\d+)/.exec(git.stdout ?? '');
  if (git.status !== 0 || !version) missing.push('git 2.38 or newer (apt-get install git)');
  else if (Number(version[1]) * 1000 + Number(version[2]) < 2038) missing.push(`git 2.38 or newer (this one is ${version[0]})`);
  if (process.platform === 'linux' && !has('bwrap')) missing.push('bubblewrap, for the command sandbox tests (apt-get install bubblewrap)');
  if (missing.length > 0) throw new Error(`The tests need: ${missing.join('; ')}.`);
  const skipped = Object.keys(OPTIONAL_TOOLS).filter((command) => !installed(command));
  if (skipped.length > 0) {
    const packages = skipped.map((command) => OPTIONAL_TOOLS[command]).join(' ');
    process.stderr.write(`Not installed, so the tests that need them are skipped: ${skipped.join(', ')} (apt-get install ${packages}).\n`);
  }
}

const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
