#!/usr/bin/env node
// `agent --version` is answered before anything else is loaded; everything else runs the bundle
// (one file and its lazily loaded chunks: `npm run build` makes it from dist/).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { main } = await import('../bundle/cli.js');
  await main(args);
}
