// `npm start`: a short training run on the numeric curriculum levels, through the real
// `grapheme-train train` command (src/cli/train.ts), into runs/start/ (git-ignored).
// The step budget was measured to finish in about 2-4 minutes on the wasm backend on a
// 2-core machine (90000 updates: 3m23s at load ~1-2, held-out accuracy 100 / 48.5 / 27.5 / 11.5%
// on levels 1 / 2 / 3 / 4). Extra arguments are passed on (e.g. `npm start -- --steps 500`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'runs', 'start');
const steps = 90000;
const config = {
  seed: 0,
  backend: 'wasm',
  levels: [1, 2, 3, 4],
  steps,
  batchSize: 64,
  learningRate: 3e-2,
  optimizer: { name: 'adam' },
  // cosine to a small rate: with a constant rate the held-out accuracy swings widely between
  // evaluations. The 'power' unit is left out: with it the loss spiked to ~1e3 and level 1-4
  // held-out accuracy stayed under 10% (measured, 20000 updates), without it 7-26% at 10000.
  schedule: { kind: 'cosine', totalSteps: steps, minLr: 1e-4 },
  evalEvery: 15000,
  evalSize: 800,
  model: { hidden: 32, valueScale: 100, binaryUnits: ['product', 'ratio'] },
};

mkdirSync(out, { recursive: true });
const configPath = join(out, 'config.json');
writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n');

console.log('grapheme-train: the curriculum (issue "Trainer") and the symbolic decoder are not built yet,');
console.log('so npm start trains the numeric levels only: a fixed uniform mix of levels 1-4, no level');
console.log('schedule, no symbolic answers (level 5). Levels 6 and 7 also train: add `-- --levels 1-4,6,7`.');
console.log(`config: ${configPath}\n`);

const tsxCli = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');
// Ctrl-C reaches the trainer too (same process group): it stops after the current update and
// writes its checkpoint; this launcher stays to report how it ended instead of dying first.
process.on('SIGINT', () => {});
const started = Date.now();
const result = spawnSync(
  process.execPath,
  [tsxCli, join(root, 'src', 'cli', 'main.ts'), 'train', '--config', configPath, '--out', out, ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: root },
);
console.log(`\nnpm start: ${((Date.now() - started) / 1000).toFixed(1)} s wall time`);
process.exit(result.status ?? 1);
