#!/usr/bin/env node
// `agent --version` is answered before anything else is loaded; everything else runs the bundle
// (one file and its lazily loaded chunks: `npm run build` makes it from dist/).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const bundle = new URL('../bundle/cli.js', import.meta.url);
  const { main } = await import(bundle.href).catch((error) => {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !error.message.includes(decodeURIComponent(bundle.pathname))) throw error;
    process.stderr.write(`agent: hunkwise is not built yet (${decodeURIComponent(bundle.pathname)} is missing).\nBuild it in the clone: npm run build\n`);
    process.exit(1);
  });
  await main(args);
}
