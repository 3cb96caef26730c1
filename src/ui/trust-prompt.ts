import type { UntrustedRepoConfig } from '../config/trust.js';
import { createColors } from './color.js';
import { askChoice, type PromptIO } from './key-prompt.js';
import { visible } from './render-hunk.js';

/**
 * Asks whether the settings of a repository's config that need agreement may apply: each one
 * shown as it is written, then yes or no. The answer is kept for this repository and this content
 * of the file.
 */
export async function askTrust(untrusted: UntrustedRepoConfig, io: PromptIO = {}): Promise<boolean> {
  const output = io.output ?? process.stderr;
  const colors = createColors(output);
  output.write(`${colors.bold(`This repository's ${visible(untrusted.file)} asks for more than your own config allows:`)}\n`);
  for (const want of untrusted.wants) output.write(`  • ${visible(want)}\n`);
  output.write(colors.dim('The answer is remembered for this repository and this content of the file; a change to it asks again.\n'));
  return askChoice(
    {
      message: 'Apply these settings?',
      choices: [
        { key: 'y', label: 'Yes, apply them for this repository', value: true },
        { key: 'n', label: 'No, run without them', value: false },
      ],
      colors,
    },
    { ...io, output },
  );
}
