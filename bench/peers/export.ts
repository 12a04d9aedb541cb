/**
 * The train-step peers' input: the exact batches (plan arrays, leaf features, targets) and
 * the initial weights of OUR DagNN, written as JSON so tfjs and PyTorch train the same model
 * on the same batches. Leaf features are computed here with the model's own formulas
 * (src/model/dagnn.ts numberLeaves / symbolLeaves), so the peers' timed step excludes them
 * (ours computes them inside forward: a few scalars per leaf).
 */
import { writeFileSync } from 'node:fs';
import { Tape } from '../../src/autograd/index';
import type { Backend } from '../../src/backend/index';
import { DagNN, type DagNNOptions } from '../../src/model/dagnn';
import type { NumericTarget } from '../../src/model/loss';
import { DagNNModel } from '../../src/model/trainable';
import type { DatasetRecord } from '../../src/data/record';
import { trainStep } from '../../src/train/step';
import { KIND_ARITY, KIND_NAMES, KIND_NUMBER, KIND_SYMBOL, type BatchPlan } from '../../src/model/plan';
import { Adam } from '../../src/optim/index';

export interface PeerGroup {
  depth: number;
  kind: string;
  arity: number;
  start: number;
  count: number;
  /** inner kinds: count·arity global child rows, interleaved per node */
  childRows?: number[];
  /** leaf kinds: count × 4 (numbers) or count × 3 (symbols) features, row-major */
  features?: number[];
  /** leaf kinds: the value stream's start value per node */
  values?: number[];
  /** symbols: embedding row per node */
  symbolRows?: number[];
}

export interface PeerBatch {
  nodeCount: number;
  groups: PeerGroup[];
  rootRows: number[];
  targetTypes: number[];
  targetValues: number[];
}

export interface PeerWorkload {
  hidden: number;
  lr: number;
  /** GED value term τ and the auxiliary scale (numericLoss defaults) */
  tau: number;
  auxScale: number;
  /** unit order: binary [product, ratio], unary [sin, cos, tan, log, exp, sqrt] */
  binaryUnits: string[];
  kinds: { name: string; arity: number }[];
  params: { name: string; shape: number[]; data: number[] }[];
  batches: PeerBatch[];
  /**
   * our model's objective (before each update) over its first training steps, from the
   * initial weights on batches 0, 1, 2, …: the peers reproduce it to show they compute the
   * same model, forward AND backward/update
   */
  lossTrace: number[];
}

function exportBatch(plan: BatchPlan, targets: readonly NumericTarget[], valueScale: number): PeerBatch {
  const groups = plan.groups.map((g): PeerGroup => {
    const base = { depth: g.depth, kind: KIND_NAMES[g.kind], arity: g.arity, start: g.start, count: g.count };
    if (g.kind === KIND_NUMBER) {
      const features: number[] = [];
      for (const x of g.leafValues) features.push(Math.sign(x), Math.log1p(Math.abs(x)) / 4, x / valueScale, Number.isInteger(x) ? 1 : 0);
      return { ...base, features: features.map(Math.fround), values: Array.from(g.leafValues, Math.fround) };
    }
    if (g.kind === KIND_SYMBOL) {
      const features: number[] = [];
      const values: number[] = [];
      for (const x of g.leafValues) {
        const bound = !Number.isNaN(x);
        values.push(bound ? Math.fround(x) : 0);
        features.push(...(bound ? [1, Math.sign(x) * Math.log1p(Math.abs(x)) / 4, x / valueScale] : [0, 0, 0]));
      }
      return { ...base, features: features.map(Math.fround), values, symbolRows: Array.from(g.symbolRows) };
    }
    return { ...base, childRows: Array.from(g.childRows) };
  });
  return {
    nodeCount: plan.nodeCount,
    groups,
    rootRows: Array.from(plan.rootRows),
    targetTypes: targets.map((t) => t.type),
    targetValues: targets.map((t) => t.value),
  };
}

export function peerWorkload(model: DagNN, plans: readonly BatchPlan[], targets: readonly NumericTarget[][], lr: number, lossTrace: number[]): PeerWorkload {
  return {
    hidden: model.hidden,
    lr,
    tau: 10,
    auxScale: 100,
    binaryUnits: ['product', 'ratio'],
    kinds: KIND_NAMES.map((name, k) => ({ name, arity: KIND_ARITY[k] })),
    params: model.parameters().map((p) => ({ name: p.name, shape: [...p.shape], data: Array.from(p.data) })),
    batches: plans.map((p, i) => exportBatch(p, targets[i], model.valueScale)),
    lossTrace,
  };
}

export function writePeerWorkload(path: string, w: PeerWorkload): void {
  writeFileSync(path, JSON.stringify(w));
}

/**
 * One training step per call, the Trainer's own (src/train/step.ts): the DagNN's loss on a
 * batch of records (plan included), backward, gradient norm (no clipping: the peers do not
 * clip), Adam; cycling through `batches`. Returns the objective before the update.
 */
export function makeStepper(backend: Backend, options: DagNNOptions, lr: number, batches: readonly (readonly DatasetRecord[])[]): () => number {
  const model = new DagNNModel(backend, options);
  const parameters = model.parameters();
  const optimizer = new Adam(parameters, { lr });
  const tape = new Tape(backend);
  let i = 0;
  return () => {
    const k = i++ % batches.length;
    return trainStep({ tape, parameters, optimizer, maxGradNorm: null, lossOf: (t) => model.loss(t, batches[k]) }).loss;
  };
}

/** Our objective before each of the first `steps` updates of a fresh model, on batches 0, 1, 2, … */
export function lossTrace(backend: Backend, options: DagNNOptions, lr: number, batches: readonly (readonly DatasetRecord[])[], steps: number): number[] {
  const step = makeStepper(backend, options, lr, batches);
  return Array.from({ length: steps }, () => step());
}
