#!/usr/bin/env node
// Launcher: runs the bundled CLI (dist/cli.js, built by rollup). In a source checkout
// (src/ present) it runs src/cli/main.ts through tsx instead when there is no bundle or the
// bundle is older than the sources, so a stale build never answers for changed code.
//
// Both run with V8's young generation at 64 MB semi-spaces (YOUNG_GENERATION; the default is
// 16 MB): training and decoding make many objects that live for one update or one answer,
// and with the default size they survive a scavenge or two and are copied; with two workers
// the two threads' collectors then compete for the cores. Measured on npm start's weights:
// a level-5 evaluation 2.8 → 2.3 s on one worker, 2.4 → 1.5 s on two; level-5 updates on two
// workers 7.2 → 6.4 ms in one pair of runs (docs/experiments.md). A size the user set
// (NODE_OPTIONS or node's own arguments) is kept; the flag reaches this process through
// NODE_OPTIONS, so on Node the launcher starts itself again once (with its own node flags)
// when it is missing.
import { spawn } from 'node:child_process';
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

const YOUNG_GENERATION = '--max-semi-space-size=64';
const SIZE_FLAG = /--max[-_]semi[-_]space[-_]size/;
// Node only: Bun and Deno take other flags (they run the bundle in-process as before)
const onNode = process.versions.bun === undefined && typeof globalThis.Deno === 'undefined';
const youngSet = !onNode || SIZE_FLAG.test(process.env.NODE_OPTIONS ?? '') || process.execArgv.some((a) => SIZE_FLAG.test(a));
const env = youngSet ? process.env : { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${YOUNG_GENERATION}`.trim() };

/**
 * Runs a child node with this process's own node flags and `args`, and ends as it ends (its
 * exit code, or the signal that ended it). Ctrl-C reaches the child through the process group
 * (it stops after its update and writes its checkpoint) while this launcher waits; a SIGTERM or
 * SIGHUP sent to the launcher alone is passed on.
 */
function runChild(args) {
  const child = spawn(process.execPath, [...process.execArgv, ...args], { stdio: 'inherit', env });
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    console.error(`grapheme-train: could not start ${process.execPath}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}

if (useBundle && youngSet) {
  // run() prints any failure as one line and returns the exit code (src/cli/main.ts)
  const { run } = await import(pathToFileURL(bundled).href);
  process.exitCode = await run(process.argv);
} else if (useBundle) {
  runChild([fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
} else {
  const require = createRequire(import.meta.url);
  const tsxCli = join(dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
  runChild([tsxCli, join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)]);
}
