#!/usr/bin/env node
// Launcher: runs the bundled CLI (dist/cli.js, built by rollup). In a source checkout
// (src/ present) it runs src/cli/main.ts through tsx instead when there is no bundle or the
// bundle is older than the sources, so a stale build never answers for changed code.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundled = join(root, 'dist', 'cli.js');
const sources = join(root, 'src');

function newestSourceTime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceTime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const useBundle = existsSync(bundled) && (!existsSync(sources) || statSync(bundled).mtimeMs >= newestSourceTime(sources));

if (useBundle) {
  // run() prints any failure as one line and returns the exit code (src/cli/main.ts)
  const { run } = await import(pathToFileURL(bundled).href);
  process.exitCode = await run(process.argv);
} else {
  const require = createRequire(import.meta.url);
  const tsxCli = join(dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
  const result = spawnSync(process.execPath, [tsxCli, join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
