// npm run test:runtimes — the packed package, installed by name into a project outside
// the repository, in every runtime DESIGN promises (principles 4 and 5):
//   packaging: tarball contents and the size budget (README "Runtimes"), types per export
//   Node, Node via 'grapheme-train/inline', Deno, Bun, workerd (Miniflare), Chromium:
//     predict + 50 wasm training steps (20 of them timed)
//   determinism: the 50 losses are bit-identical in all of them
// Not part of `npm test` (it packs, installs and starts five runtimes); .ci/run runs it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { assertDistCurrent, packAndInstall, repoRoot, runChromium, runCommandRuntime, runNodeInline, runWorkerd } from './hosts.mjs';
import { EXPRESSION, TOTAL_STEPS } from './probe.mjs';

/** The size budget, also written in README.md (Runtimes): measured 266 kB / 850 kB / 58 kB at bbbcb38, 381 kB / 1.24 MB with the worker replicas (dac0e00), 400 kB / 1.30 MB / 66 kB with record-at-a-time drawing (2026-12-04). */
export const BUDGET = { tarballBytes: 420_000, unpackedBytes: 1_350_000, wasmBytes: 100_000 };

let installed;
const results = new Map();

before(async () => {
  assertDistCurrent();
  installed = await packAndInstall();
});

after(() => {
  if (installed && !process.env.KEEP_RUNTIMES_PROJECT) rmSync(installed.dir, { recursive: true, force: true });
  const rows = [...results.values()].map((r) => `  ${r.runtime.padEnd(12)} create ${r.ms.create.toFixed(0).padStart(5)} ms   20 steps ${r.ms.steps20.toFixed(0).padStart(5)} ms`);
  if (rows.length) console.log(`runtimes (wasm backend, batch 16, level 1):\n${rows.join('\n')}`);
});

test('the tarball holds the bundles, the types, the wasm and the CLI, nothing else', () => {
  const paths = installed.pack.files.map((f) => f.path).sort();
  for (const required of ['dist/node.js', 'dist/browser.js', 'dist/workerd.js', 'dist/inline.js', 'dist/files.js', 'dist/cli.js', 'dist/replica-node.js', 'dist/replica-web.js', 'dist/index.d.ts', 'dist/files.d.ts', 'dist/grapheme.wasm', 'bin/grapheme-train.js', 'package.json', 'examples/quickstart.ts', 'examples/custom-model.ts']) {
    assert.ok(paths.includes(required), `${required} is not in the tarball`);
  }
  const unexpected = paths.filter((p) => !/^(dist\/(chunks\/)?[\w-]+\.js|dist\/(index|files)\.d\.ts|dist\/grapheme\.wasm|bin\/grapheme-train\.js|examples\/[\w-]+\.ts|package\.json|README\.md|LICENSE)$/.test(p));
  assert.deepEqual(unexpected, [], 'files that should not be published');
});

test(`size budget: tarball <= ${BUDGET.tarballBytes} B, unpacked <= ${BUDGET.unpackedBytes} B, wasm <= ${BUDGET.wasmBytes} B`, () => {
  const wasm = installed.pack.files.find((f) => f.path === 'dist/grapheme.wasm');
  console.log(`package: tarball ${installed.pack.size} B, unpacked ${installed.pack.unpackedSize} B, wasm ${wasm.size} B`);
  assert.ok(installed.pack.size <= BUDGET.tarballBytes, `tarball is ${installed.pack.size} B`);
  assert.ok(installed.pack.unpackedSize <= BUDGET.unpackedBytes, `unpacked package is ${installed.pack.unpackedSize} B`);
  assert.ok(wasm.size <= BUDGET.wasmBytes, `grapheme.wasm is ${wasm.size} B`);
});

test('Node imports the package by name: createBackend() with no wasm argument, Trainer', async () => {
  const script = [
    "import { createBackend, Trainer } from 'grapheme-train';",
    "const backend = await createBackend('wasm');",
    "const trainer = await Trainer.create({ seed: 3, backend: 'wasm', levels: [1], steps: 1, batchSize: 4, evalEvery: 0 });",
    'console.log(JSON.stringify({ backend: backend.name, trainer: trainer.backend.name, loss: trainer.trainStep().loss }));',
  ].join('\n');
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: installed.project });
  const out = JSON.parse(stdout);
  assert.equal(out.backend, 'wasm');
  assert.equal(out.trainer, 'wasm');
  assert.ok(Number.isFinite(out.loss) && out.loss > 0, `loss ${out.loss}`);
});

test('every ts block of README.md runs as pasted against the installed package, and so does the shipped custom-model example', async () => {
  const blocks = [...readFileSync(join(repoRoot, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 5, `README.md has ${blocks.length} ts blocks`);
  const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  for (const [i, code] of blocks.entries()) {
    const file = join(installed.project, `readme-${i}.mts`);
    writeFileSync(file, code);
    try {
      await promisify(execFile)(process.execPath, [tsx, file], { cwd: installed.project, timeout: 180_000 });
    } catch (err) {
      assert.fail(`README ts block ${i + 1} failed:\n${code}\n${err.stderr ?? err.message}`);
    }
  }
  const example = join(installed.packageDir, 'examples', 'custom-model.ts');
  const { stdout } = await promisify(execFile)(process.execPath, [tsx, example, join(installed.project, 'runs', 'custom')], { cwd: installed.project, timeout: 180_000 });
  assert.match(stdout, /held-out test: \d+\.\d% within 0\.05/);
});

test('the declarations type-check a consumer of both export paths (and reject a misuse)', async () => {
  writeFileSync(join(installed.project, 'consumer.ts'), [
    "import { createBackend, Trainer, type Backend, type StepMetrics } from 'grapheme-train';",
    "import * as inline from 'grapheme-train/inline';",
    'export async function consume(): Promise<number> {',
    "  const backend: Backend = await createBackend('wasm');",
    '  const trainer: Trainer = await Trainer.create({ seed: 1, backend: backend.name, levels: [1], steps: 1 });',
    '  const metrics: StepMetrics = trainer.trainStep();',
    "  const fallback: Backend = await inline.createBackend('js');",
    '  // @ts-expect-error: there is no such backend',
    "  await createBackend('gpu');",
    '  return metrics.loss + fallback.heap.stats().capacityBytes;',
    '}',
  ].join('\n'));
  // nodenext: resolution through "exports" exactly as Node does; no @types, no lib check skipped
  const compilerOptions = { noEmit: true, strict: true, target: 'es2022', lib: ['es2022', 'dom'], types: [], module: 'nodenext', moduleResolution: 'nodenext' };
  writeFileSync(join(installed.project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', '.'], { cwd: installed.project }).catch((err) => {
    assert.fail(`tsc on the installed package:\n${err.stdout}${err.stderr}`);
  });
});

const runners = {
  node: () => runCommandRuntime('node', installed.project),
  'node-inline': () => runNodeInline(installed.project),
  deno: () => runCommandRuntime('deno', installed.project),
  bun: () => runCommandRuntime('bun', installed.project),
  workerd: () => runWorkerd(installed.project),
  chromium: () => runChromium(installed.project, installed.packageDir),
};

for (const [runtime, runner] of Object.entries(runners)) {
  test(`${runtime}: predict ${EXPRESSION} and ${TOTAL_STEPS} training steps on wasm`, async () => {
    const result = await runner();
    results.set(runtime, result);
    assert.equal(result.backend, 'wasm');
    assert.equal(result.losses.length, TOTAL_STEPS);
    const losses = result.losses.map((hex) => new DataView(new BigUint64Array([BigInt(`0x${hex}`)]).buffer).getFloat64(0, true));
    assert.ok(losses.every((l) => Number.isFinite(l) && l > 0), `non-finite or non-positive loss in ${result.losses}`);
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(losses.slice(-10)) < mean(losses.slice(0, 10)), `the loss did not fall: ${losses.map((l) => l.toFixed(3))}`);
    assert.match(result.predicted, /^-?\d+(\.\d+)?$/, 'predict answers one number');
    assert.match(result.predictedAfter, /^-?\d+(\.\d+)?$/, 'predict answers one number');
    if (['node', 'deno', 'bun'].includes(runtime)) assert.equal(result.entry, 'node_modules/grapheme-train/dist/node.js', `${runtime} resolves the node entry`);
    if (runtime === 'workerd') assert.equal(result.entry, 'node_modules/grapheme-train/dist/workerd.js', 'the workerd condition picks the workerd entry');
    if (runtime === 'chromium') assert.ok(result.served.includes('node_modules/grapheme-train/dist/grapheme.wasm'), 'the browser entry fetched the packaged wasm');
  });
}

test('determinism: the same seed gives bit-identical losses and predictions in every runtime', (t) => {
  const reference = results.get('node');
  assert.ok(reference, 'the node run failed');
  const missing = Object.keys(runners).filter((r) => !results.has(r));
  assert.deepEqual(missing, [], 'runtimes without a result');
  for (const [runtime, result] of results) {
    const firstDiff = result.losses.findIndex((hex, i) => hex !== reference.losses[i]);
    assert.equal(firstDiff, -1, `${runtime} differs from node at step ${firstDiff + 1}: ${result.losses[firstDiff]} vs ${reference.losses[firstDiff]}`);
    assert.equal(result.predicted, reference.predicted, `${runtime} predicts differently before training`);
    assert.equal(result.predictedAfter, reference.predictedAfter, `${runtime} predicts differently after training`);
  }
  t.diagnostic(`first losses (float64 bits): ${reference.losses.slice(0, 3).join(' ')}`);
});
