/**
 * The Trainer: one run of the DagNN on curriculum data, resumable bit-identically.
 *
 * ONE UPDATE (trainStep): for each of `accumulationSteps` micro-batches: draw the batch,
 * buildPlan → model.forward → numericLoss (scaled by 1/accumulationSteps, so the summed
 * gradients are the mean) → tape.backward (accumulates) → tape.reset(); then clip the
 * global gradient norm, optimizer.step(), scheduler.step().
 *
 * DATA. Micro-batch m of update u comes from a DataGenerator seeded
 * `${seed}/train/${u}/${m}`, drawing levels by the curriculum's current mixture
 * (./curriculum.ts): a pure function of (seed, u, m, curriculum state), so the data
 * stream's position IS the update count and a resumed run draws exactly the batches the
 * uninterrupted one would have. Records outside the hash 'train' split (DESIGN: test sets
 * disjoint by the canonical text) and records the model cannot answer yet (symbolic
 * answers, e.g. some level-6 integrals, until the symbolic decoder) are skipped.
 *
 * EVALUATION. Per trained level, `evalSize` records of the 'val' split from the stream
 * `${seed}/val/L${level}` (drawn once, lazily): accuracy, mean GED, equivalence rate and the
 * held-out loss (the training objective, forward only). The final test (test()) does the
 * same on `testSize` records of the 'test' split per level from `${seed}/test/L${level}`.
 * An evaluation's overall accuracy (early stopping) is the mean over the trained levels.
 *
 * STATE. Everything a resumed run needs is in checkpoint(): the weights and the optimizer
 * buffers as F32 tensors (bit-exact), and as JSON metadata the config, the update count,
 * the optimizer's counters and options, the scheduler's state, the data stream position
 * and the early-stopping state (./checkpoint.ts has the layout).
 *
 * LEVELS. Levels outside TRAINABLE_LEVELS (level 5 until the symbolic decoder exists) are
 * skipped with a notice (`curriculum.skipped`).
 */
import { ops, Tape, type Parameter } from '../autograd/index';
import { createBackend, type Backend } from '../backend/index';
import { DataGenerator } from '../data/generator';
import type { Level } from '../data/levels';
import type { DatasetRecord } from '../data/record';
import { splitOf, type Split } from '../data/split';
import { DagNN, evaluateRecords, recordsLoss, type Evaluation } from '../model/index';
import { Adagrad, Adam, AdamW, clipGradNorm, gradNorm, RMSprop, SGD, StateDictError, type Optimizer, type OptimizerState } from '../optim/index';
import { LrScheduler, scheduleFromConfig, type LrSchedulerState } from '../schedule/index';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type CheckpointTensor } from './checkpoint';
import { TRAINABLE_LEVELS, TrainingConfigError, validateConfig, type TrainingConfig, type TrainingConfigInput } from './config';
import { Curriculum, CurriculumStateError, type CurriculumState, type LevelChange } from './curriculum';
import { DivergenceMonitor } from './divergence';
import { checkTrainerCheckpoint } from './integrity';
import { checkResources, runtimeBudget } from './limits';

export const CHECKPOINT_FORMAT = 'grapheme-train/trainer';
/** 3: tensor checksums (./integrity.ts); 2: the curriculum state (./curriculum.ts) in `__metadata__.curriculum` */
export const CHECKPOINT_VERSION = 3;

export interface StepMetrics {
  /** updates done after this one (1-based) */
  step: number;
  /** mean training objective over the update's micro-batches */
  loss: number;
  /** learning rate used for this update */
  lr: number;
  /** global gradient 2-norm before clipping */
  gradNorm: number;
  /**
   * records (batchSize × accumulationSteps) per second of the update's wall time: drawing
   * and generating the batch, building the plan, forward, backward, clipping, optimizer
   * and schedule step. NOT included: evaluations, checkpoint writes, event handlers and the
   * event-loop yields between updates (see EvalMetrics.seconds for evaluations).
   */
  samplesPerSec: number;
  /** the curriculum's current level (progressive), or the highest level mixed in (mixed) */
  level: Level;
  /** the levels the update's batch was drawn from (weight > 0) */
  levels: Level[];
  /** false when the optimizer skipped the update (a non-finite gradient) */
  applied: boolean;
}

/** One level's held-out figures: evaluateRecords' plus the held-out loss. */
export interface LevelEvaluation extends Evaluation {
  /** the training objective on these records, forward only (mean per record) */
  loss: number;
}

export interface EvalMetrics {
  step: number;
  /** mean over the trained levels of their accuracy (exact GED 0) */
  accuracy: number;
  /** mean over the trained levels of their mean GED */
  meanGed: number;
  /** records evaluated, all levels */
  count: number;
  /** per trained level (keys "1" … "7", ascending) */
  perLevel: Record<string, LevelEvaluation>;
  /** the curriculum level when evaluated (before any change this evaluation causes) */
  level: Level;
  /** wall time of the evaluation */
  seconds: number;
  /** the best accuracy so far (this one included) and its step */
  bestAccuracy: number;
  bestStep: number;
  /** evaluations since the best one */
  staleEvals: number;
}

export interface TrainerEvents {
  onStep?: (m: StepMetrics) => void;
  onEval?: (m: EvalMetrics) => void;
  /** the curriculum moved on (after the onStep or onEval that caused it) */
  onLevel?: (change: LevelChange) => void;
}

/** The final held-out test: per trained level, on the 'test' split. */
export interface TestMetrics {
  step: number;
  perLevel: Record<string, LevelEvaluation>;
}

export interface TrainerOptions extends TrainerEvents {
  /** use this backend instead of creating config.backend (it must be fresh for bit-identical resumes) */
  backend?: Backend;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** stop when this many updates are done (default config.steps) */
  until?: number;
  /** called after each evaluation AND the level change it may cause: a checkpoint taken here resumes bit-identically */
  onEvaluated?: (m: EvalMetrics) => void;
}

export interface RunResult {
  steps: number;
  reason: 'done' | 'aborted' | 'early-stop' | 'diverged';
  /** with 'diverged': what exceeded its bound (./divergence.ts) */
  detail?: string;
}

interface EarlyStopState {
  bestAccuracy: number;
  bestStep: number;
  staleEvals: number;
}

/** How long run() computes before handing the event loop back (ms). */
const YIELD_AFTER_MS = 16;

export class Trainer {
  readonly model: DagNN;
  readonly optimizer: Optimizer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly scheduler: LrScheduler;
  readonly curriculum: Curriculum;
  /** per-update metrics of this process (not carried by checkpoints) */
  readonly history: StepMetrics[] = [];
  /** evaluations of this process (not carried by checkpoints) */
  readonly evals: EvalMetrics[] = [];
  private readonly tape: Tape;
  private updates = 0;
  private early: EarlyStopState = { bestAccuracy: -1, bestStep: 0, staleEvals: 0 };
  private readonly heldOut = new Map<string, DatasetRecord[]>();

  private constructor(
    readonly backend: Backend,
    readonly config: TrainingConfig,
    private readonly events: TrainerEvents,
  ) {
    this.model = new DagNN(backend, { hidden: config.model.hidden, valueScale: config.model.valueScale, binaryUnits: config.model.binaryUnits, seed: `${config.seed}/model` });
    this.optimizer = makeOptimizer(this.model.parameters(), config);
    this.scheduler = new LrScheduler(this.optimizer, scheduleFromConfig(config.schedule));
    this.tape = new Tape(backend);
    this.curriculum = new Curriculum(config);
  }

  /** Every level change of the run, resumed ones included (carried by checkpoints). */
  get levelHistory(): LevelChange[] {
    return this.curriculum.history;
  }

  /** Validates `config` (before any work), creates the backend unless given, builds model, optimizer and scheduler. */
  static async create(config: TrainingConfigInput | TrainingConfig, options: TrainerOptions = {}): Promise<Trainer> {
    const valid = validateConfig(config);
    checkResources(valid, runtimeBudget(options.backend?.heap.memory.maxBytes)); // before any allocation
    const backend = options.backend ?? (await createBackend(valid.backend));
    return new Trainer(backend, valid, options);
  }

  /** A trainer that continues exactly where checkpoint() left off. */
  static async resume(bytes: Uint8Array, options: TrainerOptions = {}): Promise<Trainer> {
    const contents = decodeCheckpoint(bytes); // checksums verified here
    const { tensors, metadata } = contents;
    if (metadata.format !== CHECKPOINT_FORMAT) throw new CheckpointError('__metadata__.format', `expected '${CHECKPOINT_FORMAT}', got ${JSON.stringify(metadata.format)}`);
    checkTrainerCheckpoint(contents); // readable version, checksummed, finite
    const json = (key: string): any => { // eslint-disable-line @typescript-eslint/no-explicit-any
      if (metadata[key] === undefined) throw new CheckpointError(`__metadata__.${key}`, 'is missing');
      try {
        return JSON.parse(metadata[key]);
      } catch (err) {
        throw new CheckpointError(`__metadata__.${key}`, `not valid JSON: ${(err as Error).message}`);
      }
    };
    const trainer = await Trainer.create(json('config'), options).catch((err: unknown) => {
      // the checkpoint's own config: a bad or oversized value is the file's fault
      throw err instanceof TrainingConfigError ? new CheckpointError(`__metadata__.config.${err.field}`, err.reason) : err;
    });
    trainer.restore(tensors, json('step'), json('optimizer'), json('scheduler'), json('data'), json('early_stop'), json('curriculum'));
    return trainer;
  }

  /** Updates done so far. */
  get step(): number {
    return this.updates;
  }

  /** One update (all micro-batches); returns and records its metrics. */
  trainStep(): StepMetrics {
    const started = performance.now();
    const { accumulationSteps, batchSize } = this.config;
    const lr = this.optimizer.getLr();
    this.optimizer.zeroGrad();
    let lossSum = 0;
    const level = this.curriculum.level;
    const levels = Object.keys(this.curriculum.weights()).map(Number) as Level[];
    for (let m = 0; m < accumulationSteps; m++) {
      const batch = this.trainBatch(this.updates, m);
      try {
        const { loss } = recordsLoss(this.tape, this.model, batch, this.lossOptions());
        lossSum += this.tape.scalar(loss);
        this.tape.backward(accumulationSteps === 1 ? loss : ops.scale(this.tape, loss, 1 / accumulationSteps));
      } finally {
        this.tape.reset();
      }
    }
    const params = this.model.parameters();
    const norm = this.config.maxGradNorm === null ? gradNorm(params) : clipGradNorm(params, this.config.maxGradNorm);
    const applied = this.optimizer.step();
    this.scheduler.step();
    this.updates++;
    const seconds = (performance.now() - started) / 1000;
    const metrics: StepMetrics = { step: this.updates, loss: lossSum / accumulationSteps, lr, gradNorm: norm, samplesPerSec: (batchSize * accumulationSteps) / Math.max(seconds, 1e-9), level, levels, applied };
    this.history.push(metrics);
    this.events.onStep?.(metrics);
    this.levelChanged(this.curriculum.afterStep(this.updates));
    return metrics;
  }

  /**
   * Evaluates every trained level on its validation records; updates the early-stopping
   * state, then lets the curriculum move on if the current level reached its threshold.
   */
  evaluate(): EvalMetrics {
    const started = performance.now();
    const perLevel = this.evaluateLevels('val', this.config.evalSize);
    const rows = Object.values(perLevel);
    const accuracy = rows.reduce((a, r) => a + r.accuracy, 0) / rows.length;
    const meanGed = rows.reduce((a, r) => a + r.meanGed, 0) / rows.length;
    if (accuracy > this.early.bestAccuracy) this.early = { bestAccuracy: accuracy, bestStep: this.updates, staleEvals: 0 };
    else this.early = { ...this.early, staleEvals: this.early.staleEvals + 1 };
    const level = this.curriculum.level;
    const metrics: EvalMetrics = {
      step: this.updates,
      accuracy,
      meanGed,
      count: rows.reduce((a, r) => a + r.count, 0),
      perLevel,
      level,
      seconds: (performance.now() - started) / 1000,
      ...this.early,
    };
    this.evals.push(metrics);
    this.events.onEval?.(metrics);
    this.levelChanged(this.curriculum.afterEval(this.updates, perLevel[level]?.accuracy ?? 0));
    return metrics;
  }

  private levelChanged(change: LevelChange | null): void {
    if (!change) return;
    // the schedule's step lives in the scheduler's state, so this travels through checkpoints
    if (this.curriculum.restartsSchedule) this.scheduler.loadStateDict({ ...this.scheduler.stateDict(), step: 0 });
    this.events.onLevel?.(change);
  }

  /** Whether the curriculum is through (the last level's budget spent): run() stops there. */
  get finished(): boolean {
    return this.curriculum.finished(this.updates);
  }

  /** The final held-out test: every trained level on `count` (default config.testSize) records of the 'test' split. */
  test(count = this.config.testSize): TestMetrics {
    return { step: this.updates, perLevel: this.evaluateLevels('test', count) };
  }

  /** Accuracy, mean GED, equivalence and loss of every trained level on its held-out records of `split`. */
  private evaluateLevels(split: 'val' | 'test', count: number): Record<string, LevelEvaluation> {
    const out: Record<string, LevelEvaluation> = {};
    for (const level of this.curriculum.levels) {
      const key = `${split}/${level}/${count}`;
      let records = this.heldOut.get(key);
      if (!records) this.heldOut.set(key, (records = this.drawRecords(`${this.config.seed}/${split}/L${level}`, split, count, { [level]: 1 })));
      out[level] = { ...evaluateRecords(this.model, records), loss: this.heldOutLoss(records) };
    }
    return out;
  }

  /** The training objective on `records`, forward only, mean per record. */
  private heldOutLoss(records: readonly DatasetRecord[], chunk = 256): number {
    let sum = 0;
    for (let i = 0; i < records.length; i += chunk) {
      const part = records.slice(i, i + chunk);
      try {
        sum += this.tape.scalar(recordsLoss(this.tape, this.model, part, this.lossOptions()).loss) * part.length;
      } finally {
        this.tape.reset();
      }
    }
    return sum / Math.max(1, records.length);
  }

  private lossOptions(): { gedWeight: number; auxWeight: number } {
    return { gedWeight: this.config.nodeLossWeight, auxWeight: this.config.auxLossWeight };
  }

  /**
   * Trains until `until` updates (default config.steps) are done, the curriculum is through
   * (reason 'done' too), early stopping says stop, or `signal` aborts (checked before every update). Hands the event loop back every
   * ~16 ms so a page or a worker stays responsive.
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    const until = options.until ?? this.config.steps;
    const { evalEvery, patience } = this.config;
    let lastYield = performance.now();
    const divergence = new DivergenceMonitor(this.config.divergence);
    while (this.updates < until && !this.finished) {
      if (options.signal?.aborted) return { steps: this.updates, reason: 'aborted' };
      const diverged = divergence.observe(this.trainStep());
      if (diverged !== null) return { steps: this.updates, reason: 'diverged', detail: diverged };
      if (evalEvery > 0 && this.updates % evalEvery === 0) {
        const evaluation = this.evaluate(); // not inside `onEvaluated?.(…)`: an absent callback would skip it
        options.onEvaluated?.(evaluation);
        if (patience > 0 && this.early.staleEvals >= patience) return { steps: this.updates, reason: 'early-stop' };
      }
      if (performance.now() - lastYield >= YIELD_AFTER_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
      }
    }
    return { steps: this.updates, reason: options.signal?.aborted ? 'aborted' : 'done' };
  }

  /** The whole training state as safetensors bytes (save with saveCheckpoint, continue with Trainer.resume). */
  checkpoint(): Uint8Array {
    const tensors: Record<string, CheckpointTensor> = {};
    for (const p of this.model.parameters()) tensors[`model.${p.name}`] = { shape: [...p.shape], data: p.data.slice() };
    const sd = this.optimizer.stateDict();
    const optimParams = this.optimizer.parameters();
    const state = sd.state.map((entry, i) => {
      const p = optimParams[i];
      const buffers: Record<string, string> = {};
      for (const [name, values] of Object.entries(entry.buffers)) {
        const key = `optim.${p.name}.${name}`;
        tensors[key] = { shape: [...p.shape], data: values as Float32Array };
        buffers[name] = key;
      }
      return { size: entry.size, buffers };
    });
    const metadata: Record<string, string> = {
      format: CHECKPOINT_FORMAT,
      format_version: String(CHECKPOINT_VERSION),
      config: JSON.stringify(this.config),
      step: JSON.stringify(this.updates),
      optimizer: JSON.stringify({ ...sd, state }),
      scheduler: JSON.stringify(this.scheduler.stateDict()),
      data: JSON.stringify({ stream: 'per-update', seed: this.config.seed, nextUpdate: this.updates }),
      early_stop: JSON.stringify(this.early),
      curriculum: JSON.stringify(this.curriculum.stateDict()),
    };
    return encodeCheckpoint({ tensors, metadata });
  }

  private restore(tensors: Record<string, CheckpointTensor>, step: unknown, optimizer: OptimizerState, scheduler: LrSchedulerState, data: { nextUpdate?: unknown }, early: EarlyStopState, curriculum: CurriculumState): void {
    if (!Number.isInteger(step) || (step as number) < 0) throw new CheckpointError('__metadata__.step', `expected a non-negative integer, got ${JSON.stringify(step)}`);
    if (data?.nextUpdate !== step) throw new CheckpointError('__metadata__.data', `the data stream is at update ${JSON.stringify(data?.nextUpdate)}, the run at ${step}`);
    const used = new Set<string>();
    const take = (name: string, p: Parameter): Float32Array => {
      const t = tensors[name];
      if (t === undefined) throw new CheckpointError(name, `is missing (parameter '${p.name}')`);
      if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
        throw new CheckpointError(name, `has shape [${t.shape.join(', ')}], the model's '${p.name}' is [${p.shape.join(', ')}]`);
      }
      used.add(name);
      return t.data;
    };
    const weights: Record<string, Float32Array> = {};
    for (const p of this.model.parameters()) weights[p.name] = take(`model.${p.name}`, p);
    const optimParams = this.optimizer.parameters();
    if (!Array.isArray(optimizer?.state) || optimizer.state.length !== optimParams.length) {
      throw new CheckpointError('__metadata__.optimizer.state', `expected ${optimParams.length} entries, got ${Array.isArray(optimizer?.state) ? optimizer.state.length : 'none'}`);
    }
    const state = optimizer.state.map((entry, i) => {
      const buffers: Record<string, Float32Array> = {};
      for (const [name, saved] of Object.entries(entry.buffers ?? {})) {
        const key = saved as unknown as string; // checkpoint() stores each buffer's tensor name
        if (key !== `optim.${optimParams[i].name}.${name}`) throw new CheckpointError(`__metadata__.optimizer.state[${i}].buffers.${name}`, `names tensor ${JSON.stringify(key)}, expected 'optim.${optimParams[i].name}.${name}'`);
        buffers[name] = take(key, optimParams[i]);
      }
      return { size: entry.size, buffers };
    });
    for (const name of Object.keys(tensors)) if (!used.has(name)) throw new CheckpointError(name, 'is not a tensor of this model or optimizer');
    try {
      this.optimizer.loadStateDict({ ...optimizer, state });
      this.scheduler.loadStateDict(scheduler);
    } catch (err) {
      if (err instanceof StateDictError) throw new CheckpointError(`__metadata__.${err.field}`, err.message);
      throw err;
    }
    this.model.loadStateDict(weights);
    this.updates = step as number;
    if (early === null || typeof early !== 'object' || ![early.bestAccuracy, early.bestStep, early.staleEvals].every((x) => typeof x === 'number')) {
      throw new CheckpointError('__metadata__.early_stop', 'expected { bestAccuracy, bestStep, staleEvals }');
    }
    this.early = { bestAccuracy: early.bestAccuracy, bestStep: early.bestStep, staleEvals: early.staleEvals };
    try {
      this.curriculum.loadStateDict(curriculum);
    } catch (err) {
      if (err instanceof CurriculumStateError) throw new CheckpointError(`__metadata__.${err.field}`, err.reason);
      throw err;
    }
  }

  /**
   * The records of micro-batch `micro` of update `update` (0-based), drawn by the
   * curriculum's CURRENT mixture: a pure function of the seed, both indices and the
   * curriculum state.
   */
  trainBatch(update: number, micro = 0): DatasetRecord[] {
    return this.drawRecords(`${this.config.seed}/train/${update}/${micro}`, 'train', this.config.batchSize, this.curriculum.weights());
  }

  /** `count` records of `split` the model can answer, levels drawn by `weights`. */
  private drawRecords(seed: string, split: Split, count: number, weights: Partial<Record<Level, number>>): DatasetRecord[] {
    const generator = new DataGenerator({ seed });
    const levels = Object.keys(weights).map(Number) as Level[];
    const out: DatasetRecord[] = [];
    while (out.length < count) {
      const r = levels.length === 1 ? generator.next(levels[0]) : generator.nextMixed(weights);
      if (splitOf(r.polish) === split && canAnswer(r)) out.push(r);
    }
    return out;
  }
}

/** Symbolic answers need the symbolic decoder, which exists once level 5 is trainable. */
const SYMBOLIC_ANSWERS = TRAINABLE_LEVELS.includes(5);

/** Whether the model has a head for the record's answer: numeric answers always, symbolic ones once the decoder exists. */
export function canAnswer(r: DatasetRecord): boolean {
  if (SYMBOLIC_ANSWERS) return true;
  const nodes = r.result_graph.nodes;
  return nodes.length === 1 && (nodes[0].type === 'int' || nodes[0].type === 'float');
}

function makeOptimizer(params: Parameter[], config: TrainingConfig): Optimizer<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { name, ...options } = config.optimizer;
  const o = { ...options, lr: config.learningRate };
  switch (name) {
    case 'adam': return new Adam(params, o);
    case 'adamw': return new AdamW(params, o);
    case 'sgd': return new SGD(params, o);
    case 'rmsprop': return new RMSprop(params, o);
    case 'adagrad': return new Adagrad(params, o);
  }
}
