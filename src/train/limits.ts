/**
 * What a run may ask for, checked before any work (DESIGN principle 8: sizes are checked
 * before work starts). Two kinds of bound:
 *
 *  - STATIC bounds, in validateConfig: counts past which a run cannot be meant.
 *    MAX_STEPS: a billion updates; at the fastest update measured (~1 ms, hidden 8, batch 8)
 *    that is 11 days, and step counters stay exact integers far beyond it. A typo like 1e20 is
 *    refused, not run. MAX_RECORDS_PER_PASS: the records of one update (batchSize ×
 *    accumulationSteps) and of one level's held-out set (evalSize, testSize, the CLI's
 *    --level-eval-size and eval --samples). Generating, encoding and scoring a record costs
 *    at least ~0.1 ms (level 1, the cheapest), so 65 536 records are already 6-10 s without a
 *    line of output; a billion were a silent hang of days.
 *
 *  - RESOURCE bounds, in checkResources (Trainer.create, so for a config and for a
 *    checkpoint's metadata alike): the bytes the run needs against what holds them.
 *      heap:    weights, gradients and optimizer state (parameters × bytes each, the
 *               parameter count from the real model built at hidden 1…5, see
 *               parameterCount) plus the step arena of one micro-batch or evaluation chunk
 *               (records × hidden × ARENA_BYTES of the costliest level) against the
 *               backend heap's limit (2 GiB by default, 4 GiB the wasm32 ceiling);
 *      JS heap: the records held at once (one micro-batch and every level's validation and
 *               test set, RECORD_BYTES each) against the engine's heap limit where the
 *               runtime tells it (Node's v8 heap_size_limit, Chrome's performance.memory);
 *      machine: heap + the checkpoint copies the run keeps (encoding, the best weights)
 *               against the machine's memory where the runtime tells it.
 *    The estimates are lower bounds (ARENA_BYTES and RECORD_BYTES sit below what was
 *    measured), so a refused run could not have run; a run that fits still meets
 *    HeapOutOfMemoryError if its batches are unusually large.
 */
import { ArrayBufferLinearMemory, DEFAULT_MAX_BYTES, Heap } from '../backend/heap';
import { bindTwins } from '../backend/js/index';
import type { Level } from '../data/levels';
import { DagNN } from '../model/dagnn';
import type { BinaryPrimitive } from '../model/units';
import { GraphemeError } from '../errors';
import { MAX_HIDDEN, MAX_RECORDS_PER_PASS, MAX_STEPS } from './bounds';
import { TrainingConfigError, type OptimizerConfig, type TrainingConfig } from './config';
import { EVAL_CHUNK } from './held-out'; // records per held-out chunk: what an evaluation holds on the tape at once

export { MAX_HIDDEN, MAX_RECORDS_PER_PASS, MAX_STEPS };

/**
 * Step-arena bytes per record per hidden unit, by level: what a training micro-batch leaves
 * on the tape (activations and the gradients backward reaches). Measured peaks (batch 64,
 * hidden 64 and 16, the lowest of three seeds): 52-65, 160-188, 157-183, 121-145, 4945-5451
 * (the tree decoder), 264-386, 179-215; these are rounded down. (The state path's gradients
 * are not allocated on levels where the loss does not reach it: a VIEW's gradient is
 * allocated only when backward needs it, src/autograd/tensor.ts.)
 */
export const ARENA_BYTES: Readonly<Record<Level, number>> = { 1: 48, 2: 128, 3: 128, 4: 96, 5: 4096, 6: 256, 7: 160 };
/** JS heap bytes of one generated record (its objects, strings and graph JSON; ~4.5 KB measured). */
export const RECORD_BYTES = 4096;

/** What holds a run's memory; absent figures are not checked. */
export interface MemoryBudget {
  /** the backend heap's limit */
  heapBytes: number;
  /** the JS engine's heap limit */
  jsHeapBytes?: number;
  /** the machine's memory */
  machineBytes?: number;
}

/** The budget of this runtime: the given heap limit, and what the runtime says of its JS heap and machine. */
export function runtimeBudget(heapBytes: number = DEFAULT_MAX_BYTES): MemoryBudget {
  const budget: MemoryBudget = { heapBytes };
  const g = globalThis as { process?: { getBuiltinModule?: (id: string) => any }; performance?: { memory?: { jsHeapSizeLimit?: number } }; navigator?: { deviceMemory?: number } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    const v8 = g.process?.getBuiltinModule?.('node:v8');
    const os = g.process?.getBuiltinModule?.('node:os');
    const jsHeap = v8?.getHeapStatistics?.().heap_size_limit ?? g.performance?.memory?.jsHeapSizeLimit;
    const machine = os?.totalmem?.() ?? (g.navigator?.deviceMemory !== undefined ? g.navigator.deviceMemory * 2 ** 30 : undefined);
    if (typeof jsHeap === 'number' && jsHeap > 0) budget.jsHeapBytes = jsHeap;
    if (typeof machine === 'number' && machine > 0) budget.machineBytes = machine;
  } catch {
    // a runtime that will not say: the heap limit alone is checked
  }
  return budget;
}

const counts = new Map<string, (hidden: number) => number>();

/**
 * The model's parameter count at `hidden`, without building it: the DagNN is built at
 * hidden 1…5 on a small scratch heap and the count, a polynomial in hidden (degree 2 today:
 * hidden × hidden kind matrices), is extended by its forward differences (exact for any
 * degree ≤ 3, which is checked).
 */
export function parameterCount(hidden: number, binaryUnits: readonly BinaryPrimitive[] = ['product', 'ratio']): number {
  const key = [...binaryUnits].sort().join(',');
  let count = counts.get(key);
  if (count === undefined) {
    const samples: number[] = [];
    for (let h = 1; h <= 5; h++) {
      const heap = new Heap(new ArrayBufferLinearMemory(1 << 16, 1 << 26), 16);
      const model = new DagNN({ name: 'js', heap, kernels: bindTwins(heap) }, { hidden: h, binaryUnits });
      samples.push(model.parameters().reduce((n, p) => n + p.size, 0));
    }
    // forward differences Δ^k at hidden 1
    const diffs: number[] = [];
    let row = samples;
    while (row.length > 0) {
      diffs.push(row[0]);
      row = row.slice(1).map((v, i) => v - row[i]);
    }
    if (diffs[4] !== 0) throw new GraphemeError(`parameterCount: the parameter count is not a polynomial of degree <= 3 in hidden (${samples.join(', ')})`);
    count = (h: number) => {
      let total = 0;
      let binomial = 1; // C(h - 1, k)
      for (let k = 0; k < 4; k++) {
        total += binomial * diffs[k];
        binomial = (binomial * (h - 1 - k)) / (k + 1);
      }
      return total;
    };
    counts.set(key, count);
  }
  return count(hidden);
}

/** Optimizer buffers per parameter (floats), as the optimizers allocate them. */
export function optimizerStateFloats(optimizer: OptimizerConfig): number {
  const o = optimizer as Record<string, unknown>;
  switch (optimizer.name) {
    case 'adam':
    case 'adamw':
      return o.amsgrad === true ? 3 : 2;
    case 'sgd':
      return ((o.momentum as number) ?? 0) > 0 ? 1 : 0;
    case 'rmsprop':
      return 1 + (((o.momentum as number) ?? 0) > 0 ? 1 : 0) + (o.centered === true ? 1 : 0);
    case 'adagrad':
      return 1;
  }
}

export interface RunBytes {
  parameters: number;
  /** weights, gradients and optimizer state */
  persistentBytes: number;
  /** the step arena of the largest micro-batch or evaluation chunk */
  arenaBytes: number;
  /** generated records held at once */
  recordBytes: number;
  /** a checkpoint (weights and optimizer state as F32 tensors) */
  checkpointBytes: number;
}

/** The bytes a run of `config` needs (lower bounds; see the header). */
export function runBytes(config: TrainingConfig, levelEvalSize = config.testSize): RunBytes {
  const parameters = parameterCount(config.model.hidden, config.model.binaryUnits);
  const state = optimizerStateFloats(config.optimizer);
  const arenaPerRecord = config.model.hidden * Math.max(...config.levels.map((l) => ARENA_BYTES[l]));
  const chunk = Math.max(config.batchSize, Math.min(EVAL_CHUNK, Math.max(config.evalSize, levelEvalSize)));
  return {
    parameters,
    persistentBytes: parameters * 4 * (2 + state),
    arenaBytes: chunk * arenaPerRecord,
    recordBytes: (config.batchSize + config.levels.length * (config.evalSize + levelEvalSize)) * RECORD_BYTES,
    checkpointBytes: parameters * 4 * (1 + state),
  };
}

function size(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}

/** The largest value of a positive integer field for which `fits` holds (fits(1) assumed), by bisection. */
function largest(limit: number, fits: (n: number) => boolean): number {
  let lo = 1;
  let hi = limit;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Throws a TrainingConfigError naming the field and the limit when a run of `config` cannot
 * fit `budget` (the heap, the JS heap, the machine). Milliseconds: nothing is allocated but
 * the scratch models of parameterCount.
 */
export function checkResources(config: TrainingConfig, budget: MemoryBudget = runtimeBudget(), levelEvalSize = config.testSize): void {
  const need = runBytes(config, levelEvalSize);
  const heapNeed = (c: TrainingConfig) => {
    const b = runBytes(c, levelEvalSize);
    return b.persistentBytes + b.arenaBytes;
  };
  const { hidden } = config.model;
  if (need.persistentBytes > budget.heapBytes) {
    const widest = largest(MAX_HIDDEN, (h) => runBytes({ ...config, model: { ...config.model, hidden: h } }, levelEvalSize).persistentBytes <= budget.heapBytes);
    throw new TrainingConfigError(
      'model.hidden',
      `${hidden} needs ${size(need.persistentBytes)} for ${need.parameters.toLocaleString('en')} parameters with their gradients and ${config.optimizer.name} state, more than the ${size(budget.heapBytes)} heap limit (the widest that fits: about ${widest})`,
    );
  }
  if (need.persistentBytes + need.arenaBytes > budget.heapBytes) {
    const fits = largest(MAX_RECORDS_PER_PASS, (n) => heapNeed({ ...config, batchSize: n, evalSize: Math.min(config.evalSize, n), testSize: Math.min(config.testSize, n) }) <= budget.heapBytes);
    throw new TrainingConfigError(
      'batchSize',
      `${config.batchSize} records of hidden ${hidden} need a ${size(need.arenaBytes)} step arena besides the ${size(need.persistentBytes)} of weights and optimizer state, more than the ${size(budget.heapBytes)} heap limit (at most about ${fits} records per micro-batch at this width)`,
    );
  }
  if (budget.jsHeapBytes !== undefined && need.recordBytes > budget.jsHeapBytes / 2) {
    const held = config.levels.length * (config.evalSize + levelEvalSize);
    const field = config.batchSize * 2 > held ? 'batchSize' : config.evalSize >= levelEvalSize ? 'evalSize' : levelEvalSize === config.testSize ? 'testSize' : '--level-eval-size';
    throw new TrainingConfigError(
      field,
      `${config.batchSize} records per micro-batch and ${config.evalSize} validation + ${levelEvalSize} test records for each of ${config.levels.length} levels need ~${size(need.recordBytes)} of JS memory, more than half the ${size(budget.jsHeapBytes)} JS heap limit`,
    );
  }
  const machineNeed = need.persistentBytes + need.arenaBytes + 3 * need.checkpointBytes + need.recordBytes;
  if (budget.machineBytes !== undefined && machineNeed > budget.machineBytes) {
    throw new TrainingConfigError(
      'model.hidden',
      `${hidden} needs ~${size(machineNeed)} of memory (heap, checkpoint copies and records), more than the machine's ${size(budget.machineBytes)}`,
    );
  }
}
