#!/usr/bin/env node
// Launcher: runs the bundled CLI (dist/cli.js, built by rollup) when present; in a source
// checkout without a build it runs src/cli/main.ts through tsx instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundled = join(root, 'dist', 'cli.js');

if (existsSync(bundled)) {
  const { main } = await import(pathToFileURL(bundled).href);
  await main(process.argv);
} else {
  const require = createRequire(import.meta.url);
  const tsxCli = join(dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
  const result = spawnSync(process.execPath, [tsxCli, join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
