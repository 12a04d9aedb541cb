// `npm start`: the default curriculum, levels 1 → 7, through the real `grapheme-train train`
// command (src/cli/train.ts), into runs/start/ (git-ignored): config.json, checkpoint,
// best.safetensors, metrics.jsonl and report.html.
// Extra arguments are passed on (e.g. `npm start -- --tables`).
// The budgets below and the measured wall time and accuracies are in the README.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'runs', 'start');
/**
 * The preset. Levels 1–4: depth stages (depth 1, ≤ 2, ≤ 3) with these budgets, every unit
 * offered to every kind (product, ratio and power for the two-child kinds), the exact value
 * path (float64 values, learned exact/float type), and exactness: NAU sparsity ramped over each
 * stage, snap-and-freeze at 85% and 100% of each stage, kept only if no trained level falls (the learned
 * kind → unit assignment is in metrics.jsonl and printed with --tables). Levels 5–7: their own
 * budgets (the decoder learns level 5; level 6 the integration head's quadrature weights, by the
 * gradient and by the robust least-squares refit at the snap points; level 7 the root head's
 * start and step sizes: src/model/heads.ts). The value units learn at
 * 3e-2, the state path and the decoder at 3e-3 (groupLr 0.1); the rate decays linearly to 1%
 * over each stage and level; replay 0.3 over the earlier (level, stage) pairs, 4× for a level
 * that fell below its best (the forgetting guard). Measured figures: README, docs/experiments.md.
 */
const config = {
  seed: 0,
  backend: 'wasm',
  levels: [1, 2, 3, 4, 5, 6, 7],
  steps: 30600,
  // 64 records per update as two micro-batches of 32: one per core (workers 'auto', the default)
  batchSize: 32,
  accumulationSteps: 2,
  learningRate: 3e-2,
  groupLr: { state: 0.1, decoder: 0.1 },
  schedule: 'auto',
  maxGradNorm: 1,
  curriculum: {
    mode: 'progressive',
    // a level moves on early only once it is exact on its validation records
    threshold: 1,
    replay: 0.3,
    stages: 'depth',
    stageSteps: { 1: [800], 2: [800, 800, 800], 3: [800, 800, 800], 4: [1200, 1000, 1000] },
    levelSteps: { 5: 16000, 6: 2000, 7: 3000 },
    guard: { drop: 0.01, boost: 4 },
  },
  exactness: { group: 'values', sparsity: 1, ramp: [0.3, 0.7], clamp: 1, snapAt: [0.85, 1], probeSize: 300 },
  // levels 6 and 7 answer through the value stream alone: the decoder and the state path keep
  // what level 5 taught them (measured: without this level 5 ended 2.5–3.4 points below its best);
  // the quadrature weights keep their level-6 fit (measured: Adam's steps on replayed level-6
  // records took level 6 from 98.0% to 5.8% within 1000 updates of level 7)
  freezeGroups: { decoder: 6, state: 6, quadrature: 7 },
  evalEvery: 1000,
  // 500 validation records per level: the drop of a level below its best is measured on them
  // (with 200, one record is half a point)
  evalSize: 500,
  testSize: 500,
  // the best weights by the mean validation accuracy over the levels: the minimum would follow
  // level 5 alone (the lowest) and ignore what the others lose
  selectBy: 'mean-accuracy',
  // 48 wide: level 5's decoder gains 1–3 points over 32 (docs/experiments.md); levels 1–4, 6, 7 read the value stream
  model: { hidden: 48, binaryUnits: ['product', 'ratio', 'power'], exact: true },
  // level 6's integrals of polynomials spike the loss of single updates past 1e6 (clipped, and
  // the run recovers): stop only on losses that no recovery follows
  divergence: { maxLoss: 1e12, maxGradNorm: null, maxSkipped: 10 },
};

mkdirSync(out, { recursive: true });
const configPath = join(out, 'config.json');
writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n');
console.log(`npm start: the default curriculum over levels 1 → 7 (config: ${relative(root, configPath)})\n`);

// Ctrl-C reaches the trainer too (same process group): it stops after the current update and
// writes its checkpoint; this launcher stays to report how it ended instead of dying first.
process.on('SIGINT', () => {});
const started = Date.now();
// through the package's own launcher: the bundle or the sources, whichever is current, with its V8 settings
const result = spawnSync(
  process.execPath,
  [join(root, 'bin', 'grapheme-train.js'), 'train', '--config', configPath, '--out', out, ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: root },
);
const seconds = (Date.now() - started) / 1000;
console.log(`\nnpm start: ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s wall time`);
console.log(`checkpoint: ${relative(root, join(out, 'checkpoint.safetensors'))}   log: ${relative(root, join(out, 'metrics.jsonl'))}   report: ${relative(root, join(out, 'report.html'))}`);
console.log(`score it again: npx grapheme-train eval --checkpoint ${relative(root, join(out, 'best.safetensors'))} --level 2 --samples 1000   (best.safetensors: the weights the held-out test ran on)`);
process.exit(result.status ?? 1);
