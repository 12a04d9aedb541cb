/**
 * `npm run bench -- train-step [--json] [--filter TEXT] [--quick]`
 *
 * Samples/s of one DagNN training step — the Trainer's own step (src/train/step.ts: the
 * DagNN's loss on a batch of records, plan included, backward, gradient norm, Adam update) — for
 * batch 64, hidden 64, on the same model (same seed) and the same batches:
 *   - `mixed L1-4`: records of levels 1–4 drawn evenly by the data generator;
 *   - `nodes N`: random expression trees of exactly N = 10, 50, 200 nodes (+ − * / sin,
 *     digits), to see how the cost per node changes with graph size.
 * The records are made once outside the timed step (the data generator's cost is the `data`
 * suite's); building the plan is part of the step, and also a row of its own (`plan` µs per
 * batch). No clipping (the peers do not clip; the norm is computed either way). Backends are measured in alternating short rounds so
 * load from other processes hits both alike; figures are medians over rounds.
 *
 * Rows: samples/s per backend, µs per node, and the ratios wasm/js (unit "x").
 *
 * `learning L1` (the longer run of the level-1 learning check): hidden 64, batch 64, Adam
 * 3e-2 → 1e-4 cosine over 2000 steps on wasm; rows are the training objective and the
 * held-out accuracy (exact GED 0 on the hash-disjoint test split) every 250 steps.
 * PEERS (`mixed L1-4` only; bench/peers/): the same model — our initial weights — on the
 * same batches, exported as JSON to a temp dir (./peers/export.ts), written in
 * @tensorflow/tfjs (tfjs-cpu, and tfjs-wasm tried: a failure becomes a `failed` row and a
 * note listing the kernels wasm lacks; when that is only UnsortedSegmentSum, also
 * `tfjs-wasm+js-segsum`, tfjs-wasm with a plain-JS kernel registered for it) and in PyTorch eager on CPU (Debian's /usr/bin/python3; skipped with a notice when
 * Python or torch is absent), threads: torch's default, 1, and every core. Each peer first
 * replays our first TRACE_STEPS training steps and must reproduce our objective (the
 * `loss check` rows: max |Δ| over the trace). tfjs rounds alternate with wasm rounds in
 * process; the torch subprocess is bracketed by wasm rounds. Ratio rows: wasm/peer (x).
 */
import { createBackend, type Backend, type BackendName } from '../src/backend/index';
import { DataGenerator, splitOf } from '../src/data/index';
import { MathGraph } from '../src/graph/index';
import type { DatasetRecord } from '../src/data/index';
import { buildPlan, DagNN, evaluateRecords, numericTarget, planInput, type BatchPlan, type NumericTarget, type PlanInput } from '../src/model/index';
import { Prng } from '../src/util/prng';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitRecords } from './fit-records';
import { lossTrace, makeStepper, peerWorkload, writePeerWorkload, type PeerWorkload } from './peers/export';
import { runTorchPeer } from './peers/torch';
import { useTfjsWasm } from './tfjs';
import { matches, measureSync, median, Reporter, type Suite, type SuiteOptions } from './util';

const SUITE = 'train-step';
const BATCH = 64;
const HIDDEN = 64;
const NODE_SIZES = [10, 50, 200];
const BACKENDS: BackendName[] = ['wasm', 'js'];
const SEED = 'train-step bench';
const LR = 1e-3;
/** training steps the peers replay to check they compute our model */
const TRACE_STEPS = 3;

interface Workload {
  name: string;
  records: DatasetRecord[][];
  inputs: PlanInput[][];
  targets: NumericTarget[][];
  nodesPerBatch: number;
}

/** A random tree of exactly n nodes over + − * / (binary) and sin (unary), digit leaves. */
function randomTree(prng: Prng, n: number): string {
  if (n === 1) return String(prng.int(0, 9));
  if (n === 2 || prng.chance(0.15)) return `(sin ${randomTree(prng, n - 1)})`;
  const left = prng.int(1, n - 2);
  return `(${prng.pick(['+', '-', '*', '/'])} ${randomTree(prng, left)} ${randomTree(prng, n - 1 - left)})`;
}

function mixedWorkload(batches: number): Workload {
  const gen = new DataGenerator({ seed: SEED });
  const records = Array.from({ length: batches }, () => gen.mixedBatch({ 1: 1, 2: 1, 3: 1, 4: 1 }, BATCH));
  const inputs = records.map((b) => b.map(planInput));
  const nodes = inputs.flat().reduce((s, i) => s + (i.graph as MathGraph).size, 0) / batches;
  return { name: 'mixed L1-4', records, inputs, targets: records.map((b) => b.map(numericTarget)), nodesPerBatch: nodes };
}

function sizedWorkload(size: number, batches: number): Workload {
  const prng = new Prng(`train-step bench nodes ${size}`);
  const polish = Array.from({ length: batches }, () => Array.from({ length: BATCH }, () => randomTree(prng, size)));
  // targets only drive the loss here; any finite value exercises the same kernels
  const records = polish.map((b, k) =>
    b.map((text, i): DatasetRecord => ({
      id: `nodes-${size}-${k}-${i}`, level: 2, polish: text, bindings: {}, graph: MathGraph.fromPolish(text).toJSON(),
      result_numeric: i % 10, result_symbolic: null, result_graph: { nodes: [{ id: 0, type: 'int', value: i % 10 }], edges: [] },
    })),
  );
  return { name: `nodes ${size}`, records, inputs: records.map((b) => b.map(planInput)), targets: records.map((b) => b.map(numericTarget)), nodesPerBatch: size * BATCH };
}

/** One training step per call (the Trainer's trainStep, ./peers/export.ts), cycling through the workload's batches. */
function trainer(backend: Backend, batches: DatasetRecord[][]): () => number {
  return makeStepper(backend, { hidden: HIDDEN, seed: SEED }, LR, batches);
}

const maxAbsDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

/**
 * The peers' rows for one workload (see the header). Returns notes for the table.
 */
async function peerRows(reporter: Reporter, w: Workload, plans: BatchPlan[], wasm: Backend, size: string, rounds: number, sampleMs: number): Promise<string[]> {
  const notes: string[] = [];
  const trace = lossTrace(wasm, { hidden: HIDDEN, seed: SEED }, LR, w.records, TRACE_STEPS);
  const exported = peerWorkload(new DagNN(wasm, { hidden: HIDDEN, seed: SEED }), plans, w.targets, LR, trace);
  const dir = mkdtempSync(join(tmpdir(), 'train-step-peers-'));
  const ours = trainer(wasm, w.records);
  ours(); // warm-up
  const addPeer = (backend: string, oursSeconds: number[], peerSeconds: number[], peerTrace: number[]) => {
    const diff = maxAbsDiff(peerTrace, trace);
    reporter.add({ suite: SUITE, name: `${w.name} loss check (max |Δ| over ${TRACE_STEPS} steps)`, backend, size, value: diff, unit: 'objective' });
    notes.push(`loss check ${backend}: ours [${trace.map((x) => x.toFixed(6)).join(', ')}], peer [${peerTrace.map((x) => x.toFixed(6)).join(', ')}]`);
    reporter.add({ suite: SUITE, name: w.name, backend, size, value: BATCH / median(peerSeconds), unit: 'samples/s' });
    reporter.add({ suite: SUITE, name: `${w.name} wasm/${backend}`, backend: 'wasm', size, value: median(peerSeconds) / median(oursSeconds), unit: 'x' });
  };
  try {
    const path = join(dir, 'workload.json');
    writePeerWorkload(path, exported);
    // PyTorch in a subprocess, bracketed by wasm rounds
    const before = Array.from({ length: rounds }, () => measureSync(ours, 1, sampleMs));
    const torch = runTorchPeer(path, rounds, sampleMs);
    const after = Array.from({ length: rounds }, () => measureSync(ours, 1, sampleMs));
    if ('skipped' in torch) {
      notes.push(`torch peer skipped: ${torch.skipped}`);
      console.error(`train-step: torch peer skipped: ${torch.skipped}`);
    } else {
      for (const r of torch.rows) addPeer(r.backend, [...before, ...after], r.secondsPerStep, torch.check.torch);
      notes.push(`torch ${torch.rows[0]?.torch}: ${torch.rows.map((r) => `${r.backend} = ${r.threads} thread(s)`).join(', ')}; our wasm is single-threaded`);
    }
    // tfjs, in process: cpu, then the wasm backend (a failure is a row and a note); when wasm
    // lacks only UnsortedSegmentSum (tf.gather's gradient), once more with a plain-JS
    // UnsortedSegmentSum registered for it, as a separately named row
    const tf = await import('@tensorflow/tfjs');
    const { TfjsDagNN, registerJsSegmentSumOnWasm } = await import('./peers/tfjs-dagnn');
    /** the kernels one tfjs training step runs (forward and gradients), from the cpu run */
    let stepKernels: string[] = [];
    const runs: { backend: string; setup: () => Promise<void> }[] = [
      { backend: 'tfjs-cpu', setup: async () => void (await tf.setBackend('cpu')) },
      { backend: 'tfjs-wasm', setup: async () => void notes.push(await useTfjsWasm(tf)) },
    ];
    for (let i = 0; i < runs.length; i++) {
      const { backend, setup } = runs[i];
      try {
        await setup();
        const check = new TfjsDagNN(exported as PeerWorkload);
        let peerTrace: number[];
        try {
          peerTrace = Array.from({ length: TRACE_STEPS }, (_, i) => check.step(i % check.batchCount));
          if (backend === 'tfjs-cpu') stepKernels = [...new Set((await tf.profile(() => void check.step(0))).kernelNames)].filter((k) => tf.getKernel(k, 'cpu')).sort();
        } finally {
          check.dispose();
        }
        const peer = new TfjsDagNN(exported);
        const oursSeconds: number[] = [];
        const peerSeconds: number[] = [];
        try {
          let k = 0;
          const step = () => peer.step(k++ % peer.batchCount);
          step(); // warm-up
          const live = tf.memory().numTensors;
          for (let r = 0; r < rounds; r++) {
            oursSeconds.push(measureSync(ours, 1, sampleMs));
            peerSeconds.push(measureSync(step, 1, sampleMs));
          }
          if (tf.memory().numTensors > live) notes.push(`${backend}: tfjs tensors leak (${live} live after the warm-up, ${tf.memory().numTensors} after the rounds)`);
        } finally {
          peer.dispose();
        }
        addPeer(backend, oursSeconds, peerSeconds, peerTrace);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        reporter.add({ suite: SUITE, name: w.name, backend, size: message.slice(0, 60), value: NaN, unit: 'failed' });
        notes.push(`${backend} failed: ${message}`);
        if (backend === 'tfjs-wasm' && stepKernels.length > 0) {
          const missing = stepKernels.filter((k) => !tf.getKernel(k, 'wasm'));
          notes.push(`tfjs-wasm: of the ${stepKernels.length} kernels a tfjs-cpu step runs, not registered on wasm: ${missing.join(', ') || 'none'}`);
          if (missing.length === 1 && missing[0] === 'UnsortedSegmentSum') {
            runs.push({ backend: 'tfjs-wasm+js-segsum', setup: async () => registerJsSegmentSumOnWasm() });
            notes.push('tfjs-wasm+js-segsum: tfjs-wasm with a plain-JS UnsortedSegmentSum kernel registered for it (./peers/tfjs-dagnn.ts), not a stock tfjs backend');
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return notes;
}

/** The level-1 learning curve on wasm: objective and held-out accuracy every `every` steps. */
function learningCurve(reporter: Reporter, backend: Backend, steps: number, every: number): void {
  const records = new DataGenerator({ seed: 'train-step learning L1' }).take(1, 12000);
  const train = records.filter((r) => splitOf(r.polish) === 'train');
  const test = records.filter((r) => splitOf(r.polish) === 'test');
  const model = new DagNN(backend, { hidden: HIDDEN, seed: 'train-step learning L1' });
  fitRecords(backend, model, train, {
    steps,
    batchSize: BATCH,
    peak: 3e-2,
    floor: 1e-4,
    interval: every,
    onInterval: (step, value) => {
      const size = `step ${step}`;
      reporter.add({ suite: SUITE, name: 'learning L1 loss', backend: backend.name, size, value, unit: 'objective' });
      reporter.add({ suite: SUITE, name: 'learning L1 held-out accuracy', backend: backend.name, size, value: 100 * evaluateRecords(model, test).accuracy, unit: `% of ${test.length}` });
    },
  });
}

export const run: Suite = async (opts: SuiteOptions) => {
  const reporter = new Reporter(opts);
  const rounds = opts.quick ? 2 : 7;
  const sampleMs = opts.quick ? 20 : 150;
  const batches = opts.quick ? 2 : 8;
  const backends = Object.fromEntries(await Promise.all(BACKENDS.map(async (b) => [b, await createBackend(b)] as const))) as Record<BackendName, Backend>;
  const workloads = [mixedWorkload(batches), ...NODE_SIZES.map((n) => sizedWorkload(n, batches))].filter((w) => matches(opts, w.name));
  const perNode: Record<string, Record<string, number>> = {};
  const notes: string[] = [];
  for (const w of workloads) {
    let plans: BatchPlan[] = [];
    const planSeconds = measureSync(() => (plans = w.inputs.map(buildPlan)), rounds, sampleMs) / w.inputs.length;
    const steps = Object.fromEntries(BACKENDS.map((b) => [b, trainer(backends[b], w.records)])) as Record<BackendName, () => number>;
    const seconds: Record<string, number[]> = { wasm: [], js: [] };
    for (const b of BACKENDS) steps[b](); // warm-up
    for (let r = 0; r < rounds; r++) for (const b of BACKENDS) seconds[b].push(measureSync(steps[b], 1, sampleMs));
    const size = `${(w.nodesPerBatch / BATCH).toFixed(1)} nodes/graph`;
    reporter.add({ suite: SUITE, name: `${w.name} plan`, backend: 'host', size, value: planSeconds * 1e6, unit: 'µs/batch' });
    for (const b of BACKENDS) {
      const s = median(seconds[b]);
      reporter.add({ suite: SUITE, name: w.name, backend: b, size, value: BATCH / s, unit: 'samples/s' });
      reporter.add({ suite: SUITE, name: `${w.name} per node`, backend: b, size, value: (s / w.nodesPerBatch) * 1e6, unit: 'µs/node' });
      (perNode[b] ??= {})[w.name] = s / w.nodesPerBatch;
    }
    const ratios = seconds.js.map((t, r) => t / seconds.wasm[r]);
    reporter.add({ suite: SUITE, name: `${w.name} wasm/js`, backend: 'wasm', size, value: median(ratios), unit: 'x' });
    if (w.name === 'mixed L1-4') notes.push(...(await peerRows(reporter, w, plans, backends.wasm, size, rounds, sampleMs)));
  }
  for (const b of BACKENDS) {
    const p = perNode[b];
    if (p?.['nodes 10'] !== undefined && p['nodes 200'] !== undefined) {
      reporter.add({ suite: SUITE, name: 'per-node cost 200 vs 10 nodes', backend: b, size: '200/10', value: p['nodes 200'] / p['nodes 10'], unit: 'x' });
    }
  }
  if (matches(opts, 'learning L1')) learningCurve(reporter, backends.wasm, opts.quick ? 20 : 2000, opts.quick ? 10 : 250);
  if (opts.json) for (const n of notes) console.error(`note: ${n}`);
  reporter.printTable(`train-step: DagNN forward + loss + backward + Adam, batch ${BATCH}, hidden ${HIDDEN}`, notes.map((n) => `note: ${n}`));
  return reporter.rows;
};
