/**
 * The Trainer: the generic training loop for any model and any record source, resumable
 * bit-identically.
 *
 * CONTRACTS. A model (./contract.ts) brings its parameters, its loss on a batch and its
 * metrics; a record source (src/data/source.ts) brings the batches, the held-out groups and,
 * optionally, phases (a curriculum). Without either, the Trainer builds the built-in pair
 * from the config: the DagNN (src/model/trainable.ts) and the curriculum (./curriculum.ts)
 * over generated records. The Trainer knows nothing of math or graphs.
 *
 * ONE UPDATE is ./step.ts (trainStep): accumulation, clipping, non-finite skip, optimizer,
 * schedule. Micro-batch m of update u is source.batch({ update: u, micro: m, … }): a pure
 * function of (u, m, source state), so the data stream's position IS the update count.
 *
 * EVALUATION. Each held-out group (a curriculum level) on its own: the model's metrics plus
 * the held-out loss (the training objective, forward only). The run's SCORE (config.selectBy)
 * is by default the minimum over the groups of their accuracy, so no group is traded away
 * unseen. BEST WEIGHTS: the weights of the evaluation with the best score (the earliest on
 * ties, step 0 included) are kept and travel in the checkpoint; test() and the CLI's
 * best.safetensors use them. Early stopping (patience) counts evaluations since the best.
 *
 * SCHEDULE. config.schedule, or 'auto': a linear decay 1 → 0.01 over the current phase's
 * budget (the source's, e.g. a curriculum level's) or the run. At a phase change the source
 * may restart it (curriculum.restartSchedule).
 *
 * STATE. checkpoint() holds the weights, the optimizer buffers and the best weights as F32
 * tensors (bit-exact) and as JSON metadata the config, the step, the optimizer's counters,
 * the scheduler, the data position, the source's state and the best/early-stopping state.
 */
import { Tape, type Parameter } from '../autograd/index';
import { createBackend, type Backend } from '../backend/index';
import type { DatasetRecord } from '../data/record';
import { batchDraft, type PhaseChange, type RecordSource } from '../data/source';
import type { DagNNModel } from '../model/trainable';
import { Adagrad, Adam, AdamW, RMSprop, SGD, StateDictError, type Optimizer, type OptimizerState } from '../optim/index';
import { linear, LrScheduler, scheduleFromConfig, type LrSchedulerState, type Schedule } from '../schedule/index';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type CheckpointTensor } from './checkpoint';
import { TrainingConfigError, validateConfig, type SelectBy, type TrainingConfig, type TrainingConfigInput } from './config';
import { checkParameterNames, type ModelMetrics, type TrainableModel } from './contract';
import { Curriculum } from './curriculum';
import { builtInModel, builtInSource } from './builtin';
import { chunkFigures, evalChunks, groupMask, mergeChunks, selectGroups, type ChunkFigures } from './held-out';
import { WorkerPool } from './parallel/pool';
import { AHEAD_DEPTH, DrawnAhead } from './parallel/ahead';
import { chunkClaimer, microsOf, toJson } from './parallel/shared';
import { replicaSpawner } from './parallel/spawn';
import { defaultWasmSource } from '../backend/wasm-source';
import { DivergenceMonitor } from './divergence';
import { checkTrainerCheckpoint } from './integrity';
import { checkResources, runtimeBudget } from './limits';
import { Exactness, type ExactModel, type SnapEvent } from './exactness';
import { accumulateGradients, applyUpdate } from './step';
import { GraphemeError } from '../errors';
import { yieldToEventLoop } from '../util/yield';

export const CHECKPOINT_FORMAT = 'grapheme-train/trainer';
/** 4: the record source's state in `source`, best weights as `best.*` tensors and `best` metadata; 3: tensor checksums (./integrity.ts) */
export const CHECKPOINT_VERSION = 4;

export class TrainerError extends GraphemeError {}

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
   * the batch, forward, backward, clipping, optimizer and schedule step. NOT included:
   * evaluations, checkpoint writes, event handlers and the event-loop yields between updates.
   */
  samplesPerSec: number;
  /** the source's phase: the curriculum level (progressive) or the highest level mixed in; 0 for plain sources */
  level: number;
  /** the groups the update's batch was drawn from (the curriculum's levels) */
  levels: number[];
  /** false when the optimizer skipped the update (a non-finite gradient) */
  applied: boolean;
}

/** One group's held-out figures: the model's metrics plus the held-out loss. */
export type GroupEvaluation = ModelMetrics & {
  /** the training objective on these records, forward only (mean per record) */
  loss: number;
};

/** The DagNN's per-level figures (accuracy, mean GED, equivalence, loss). */
export interface LevelEvaluation {
  count: number;
  accuracy: number;
  meanGed: number;
  equivalence: number;
  loss: number;
}

export interface EvalMetrics {
  step: number;
  /** mean over the groups of their accuracy (NaN when the model reports none) */
  accuracy: number;
  /** mean over the groups of their mean GED (NaN when the model reports none) */
  meanGed: number;
  /** the selectBy score of this evaluation (higher is better; 'loss' is negated) */
  score: number;
  /** records evaluated, all groups */
  count: number;
  /** per group (curriculum level "1" … "7", ascending) */
  perLevel: Record<string, LevelEvaluation>;
  /** the source's phase when evaluated (before any change this evaluation causes) */
  level: number;
  /** wall time of the evaluation */
  seconds: number;
  /** the best score so far (this one included) and its step */
  bestScore: number;
  bestStep: number;
  /** evaluations since the best one */
  staleEvals: number;
}

export interface TrainerEvents {
  onStep?: (m: StepMetrics) => void;
  onEval?: (m: EvalMetrics) => void;
  /** the source moved to another phase (after the onStep or onEval that caused it) */
  onLevel?: (change: PhaseChange) => void;
  /** a snap-and-freeze decision (config.exactness) */
  onSnap?: (event: SnapEvent) => void;
}

/** The final held-out test: per group, on the 'test' split. */
export interface TestMetrics {
  /** the update whose weights were tested */
  step: number;
  perLevel: Record<string, LevelEvaluation>;
}

export interface TrainerOptions<R = DatasetRecord, M extends TrainableModel<R> = TrainableModel<R>> extends TrainerEvents {
  /** use this backend instead of creating config.backend (fresh, for bit-identical resumes); a given model brings its own */
  backend?: Backend;
  /** the model (default: the DagNN from config.model) */
  model?: M;
  /** the record source (default: the curriculum over generated records, from config.levels and config.curriculum) */
  data?: RecordSource<R>;
  /**
   * with workers > 1 and `data` a curriculum over level files: their folder, which each worker
   * replica loads itself (Node)
   */
  levelFiles?: string;
  /**
   * with workers > 1 and a custom model or source: the URL of a module exporting
   * `replicaParts(config, backend) → { model, data }`, which each worker replica calls to build
   * its own (the same model and source as the leader's, from the same config)
   */
  replica?: string | URL;
  /**
   * how the workers exchange weights and gradients: true, shared memory (SharedArrayBuffer);
   * false, transferred buffers by message (src/train/parallel/messages.ts; trainStep() then
   * refuses, stepAsync() and run() work). Default: shared memory where the runtime has it (a
   * page without the cross-origin-isolation headers has not)
   */
  sharedMemory?: boolean;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** stop when this many updates are done (default config.steps) */
  until?: number;
  /** called after each evaluation AND the phase change it may cause: a checkpoint taken here resumes bit-identically */
  onEvaluated?: (m: EvalMetrics) => void;
}

export interface RunResult {
  steps: number;
  reason: 'done' | 'aborted' | 'early-stop' | 'diverged';
  /** with 'diverged': what exceeded its bound (./divergence.ts) */
  detail?: string;
}

interface BestState {
  score: number;
  step: number;
  staleEvals: number;
}

/** How long run() computes before handing the event loop back (ms). */
const YIELD_AFTER_MS = 16;

/** The score of an evaluation under `selectBy`: higher is better. */
export function selectionScore(perGroup: Record<string, GroupEvaluation>, selectBy: SelectBy): number {
  const rows = Object.values(perGroup);
  if (rows.length === 0) return -Infinity;
  if (selectBy === 'loss') return -rows.reduce((a, r) => a + r.loss, 0) / rows.length;
  const accuracies = rows.map((r) => r.accuracy);
  if (accuracies.some((a) => a === undefined)) throw new TrainerError(`selectBy '${selectBy}': the model's evaluate() reports no accuracy (use selectBy 'loss')`);
  return selectBy === 'min-accuracy' ? Math.min(...(accuracies as number[])) : (accuracies as number[]).reduce((a, b) => a + b, 0) / accuracies.length;
}

export class Trainer<R = DatasetRecord, M extends TrainableModel<R> = DagNNModel & TrainableModel<R>> {
  readonly optimizer: Optimizer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** per-update metrics of this process (not carried by checkpoints) */
  readonly history: StepMetrics[] = [];
  /** evaluations of this process (not carried by checkpoints) */
  readonly evals: EvalMetrics[] = [];
  readonly scheduler: LrScheduler;
  private readonly tape: Tape;
  private readonly params: Parameter[];
  private updates = 0;
  private best: BestState = { score: -Infinity, step: 0, staleEvals: 0 };
  private bestWeightsRef: Float32Array[] | null = null;
  private readonly changes: PhaseChange[] = [];
  /** sparsify-snap-and-freeze (config.exactness), or null */
  readonly exactness: Exactness<R> | null;
  /** the optimizer's parameter groups by name, in its group order (one group 'all' without groups) */
  readonly groupNames: string[];
  /** snap decisions of this process (metrics.jsonl carries them for the run) */
  readonly snaps: SnapEvent[] = [];
  /** the worker replicas (null: this thread computes alone) */
  private pool: WorkerPool | null = null;
  private workerCount = 1;
  /**
   * This thread's micro-batches of the next updates, drawn a record at a time while it waits
   * for the workers (./parallel/ahead.ts), tagged with the source's state as JSON; with one
   * worker nothing waits and nothing is drawn ahead.
   */
  private readonly ahead = new DrawnAhead<R, string>((update) => {
    const { accumulationSteps: micros, batchSize: size } = this.config;
    const [from, to] = microsOf(0, this.workerCount, micros);
    return Array.from({ length: to - from }, (_, i) => batchDraft(this.data, { update, micro: from + i, micros, size }));
  }, AHEAD_DEPTH);
  /** the batches of the update being computed, taken from `ahead` at its first micro-batch (null: drawn as they come) */
  private current: { update: number; batches: R[][] | null } | null = null;

  private constructor(
    readonly backend: Backend,
    readonly config: TrainingConfig,
    readonly model: M,
    readonly data: RecordSource<R>,
    private readonly events: TrainerEvents,
  ) {
    this.params = model.parameters();
    const problem = checkParameterNames(this.params);
    if (problem !== null) throw new TrainerError(`model: ${problem}`);
    if (this.params.some((p) => p.backend !== backend)) throw new TrainerError('model: its parameters live on another backend than the Trainer\'s (pass the model\'s backend as options.backend)');
    const named = (model as Partial<ExactModel<R>>).parameterGroups?.();
    const groups = named === undefined || (config.groupLr === null && config.exactness === null && config.freezeGroups === null) ? null : groupParams(this.params, named);
    if (config.exactness !== null && named === undefined) throw new TrainerError('exactness: the model names no parameter groups (parameterGroups())');
    if (config.groupLr !== null && named === undefined) throw new TrainerError('groupLr: the model names no parameter groups (parameterGroups())');
    if (config.freezeGroups !== null && named === undefined) throw new TrainerError('freezeGroups: the model names no parameter groups (parameterGroups())');
    for (const [field, map] of [['groupLr', config.groupLr], ['freezeGroups', config.freezeGroups]] as const) {
      for (const name of Object.keys(map ?? {})) {
        if (groups !== null && !groups.some((g) => g.name === name)) throw new TrainerError(`${field}.${name}: the model has no such parameter group (it has ${groups.map((g) => g.name).join(', ')})`);
      }
    }
    this.groupNames = groups === null ? ['all'] : groups.map((g) => g.name);
    this.optimizer = makeOptimizer(groups === null ? this.params : groups.map((g) => ({ params: g.params, lr: config.learningRate * (config.groupLr?.[g.name] ?? 1) })), config);
    this.scheduler = new LrScheduler(this.optimizer, this.phaseSchedule());
    this.tape = new Tape(backend);
    this.exactness = config.exactness === null ? null : new Exactness(config.exactness, model as unknown as ExactModel<R>);
  }

  /** Validates `config` (before any work), creates the backend unless given, builds model (unless given), source (unless given), optimizer and scheduler. */
  static async create<R = DatasetRecord, M extends TrainableModel<R> = DagNNModel & TrainableModel<R>>(
    config: TrainingConfigInput | TrainingConfig,
    options: TrainerOptions<R, M> = {},
  ): Promise<Trainer<R, M>> {
    const valid = validateConfig(config);
    if (options.model === undefined) checkResources(valid, runtimeBudget(options.backend?.heap.memory.maxBytes)); // before any allocation
    const backend = options.model?.parameters()[0]?.backend ?? options.backend ?? (await createBackend(valid.backend));
    const model = options.model ?? (builtInModel(backend, valid) as unknown as M);
    if (options.data === undefined && valid.data !== null) throw new TrainerError(`config.data names the folder '${valid.data}': this runtime-neutral Trainer reads no files; pass its records as options.data (in Node: new Curriculum(config, await loadLevelFiles(dir)))`);
    const data = options.data ?? (builtInSource(valid) as unknown as RecordSource<R>);
    const trainer = new Trainer<R, M>(backend, valid, model, data, options);
    await trainer.startWorkers(options);
    return trainer;
  }

  /** The worker count config.workers resolves to here, and the replicas for it. */
  private async startWorkers(options: TrainerOptions<R, M>): Promise<void> {
    const custom = options.replica === undefined && (options.model !== undefined || (options.data !== undefined && options.levelFiles === undefined));
    const spawner = await replicaSpawner();
    const requested = this.config.workers;
    let workers = 1;
    if (requested === 'auto') {
      if (spawner !== null && !custom) workers = Math.max(1, Math.min(spawner.cores, this.config.accumulationSteps, workersCap()));
    } else if (requested > 1) {
      if (spawner === null) throw new TrainerError(`workers: ${requested}: this runtime starts no worker threads (workers: 1, or 'auto')`);
      if (custom) throw new TrainerError(`workers: ${requested}: each worker builds its own model and source; for a custom model or source pass options.replica (a module exporting replicaParts(config, backend))`);
      workers = requested;
    }
    const canShare = spawner?.sharedMemory ?? typeof SharedArrayBuffer === 'function';
    if (workers > 1 && options.sharedMemory === true && !canShare) throw new TrainerError(`sharedMemory: true, but this runtime gives worker threads no SharedArrayBuffer (a page needs the cross-origin-isolation headers); leave it unset to transfer buffers`);
    this.workerCount = workers;
    if (workers === 1) return;
    const wasm = this.backend.name === 'wasm' ? await defaultWasmSource() : null;
    this.pool = await WorkerPool.start(spawner!, workers, this.params, {
      config: this.config,
      levelFiles: options.levelFiles ?? null,
      wasm,
      module: options.replica === undefined ? null : String(options.replica),
    }, options.sharedMemory ?? canShare);
  }

  /** The threads that compute each update (config.workers resolved: 1 without worker threads). */
  get workers(): number {
    return this.workerCount;
  }

  /** Ends the worker replicas (a no-op with one worker). The trainer can still checkpoint and evaluate on this thread. */
  close(): void {
    this.pool?.close();
    this.pool = null;
    this.workerCount = 1;
    this.ahead.clear(); // drawn for this thread's share of the micro-batches, which is now all of them
  }

  /**
   * A trainer that continues exactly where checkpoint() left off (a custom model or source:
   * pass the same ones, fresh). `steps` lengthens (or shortens) the run: the new config.steps,
   * which 'auto' level budgets share from the current level on.
   */
  static async resume<R = DatasetRecord, M extends TrainableModel<R> = DagNNModel & TrainableModel<R>>(bytes: Uint8Array, options: TrainerOptions<R, M> & { steps?: number; workers?: number | 'auto' } = {}): Promise<Trainer<R, M>> {
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
    const config = json('config');
    if (options.steps !== undefined && config !== null && typeof config === 'object') config.steps = options.steps;
    if (options.workers !== undefined && config !== null && typeof config === 'object') config.workers = options.workers;
    const trainer = await Trainer.create<R, M>(config, options).catch((err: unknown) => {
      // the checkpoint's own config: a bad or oversized value is the file's fault
      throw err instanceof TrainingConfigError ? new CheckpointError(`__metadata__.config.${err.field}`, err.reason) : err;
    });
    try {
      trainer.restore(tensors, json('step'), json('optimizer'), json('scheduler'), json('data'), json('best'), json('source'), json('phases'), json('exactness'));
    } catch (err) {
      trainer.close();
      throw err;
    }
    return trainer;
  }

  /** The curriculum, when the record source is one (else null). */
  get curriculum(): Curriculum | null {
    return this.data instanceof Curriculum ? this.data : null;
  }

  /** Every phase change of the run, resumed ones included (carried by checkpoints). */
  get levelHistory(): PhaseChange[] {
    return this.changes.map((c) => ({ ...c }));
  }

  /** The model's parameters, in the optimizer's and the checkpoint's order. */
  parameters(): Parameter[] {
    return [...this.params];
  }

  /** Updates done so far. */
  get step(): number {
    return this.updates;
  }

  /** The best evaluation so far: its step and score (−Infinity before any evaluation). */
  get bestEvaluation(): { step: number; score: number } {
    return { step: this.best.step, score: this.best.score };
  }

  /** The records of micro-batch `micro` of update `update` (0-based), as the source draws them now. */
  trainBatch(update: number, micro = 0): R[] {
    return this.data.batch({ update, micro, micros: this.config.accumulationSteps, size: this.config.batchSize });
  }

  /**
   * One update (all micro-batches); returns and records its metrics. With workers > 1 it
   * waits for them synchronously, so it cannot hear a worker die (it gives up after 120 s):
   * stepAsync() and run() can.
   */
  trainStep(): StepMetrics {
    // before anything moves: without shared memory the replicas' answers arrive only as events
    this.pool?.checkCanWaitSync();
    const update = this.beginUpdate();
    const own = this.ownGradients(update);
    if (this.pool === null) return this.finishUpdate(update, own);
    return this.finishUpdate(update, own + this.pool.finishStepSync(this.aheadWork(this.pool)));
  }

  /**
   * One update (all micro-batches), on every worker: each computes its block of the
   * micro-batches, the leader adds the workers' gradients in worker order and steps the
   * optimizer. Returns and records its metrics. A worker's failure or death throws a
   * WorkerError; the trainer is then at the last finished update (checkpoint() saves it).
   */
  async stepAsync(): Promise<StepMetrics> {
    const update = this.beginUpdate();
    const own = this.ownGradients(update);
    if (this.pool === null) return this.finishUpdate(update, own);
    return this.finishUpdate(update, own + (await this.pool.finishStep(this.aheadWork(this.pool))));
  }

  /**
   * What the leader does while it waits for the workers: draw its micro-batches of the next
   * updates (see `ahead`), a record per call. Without shared memory it cannot hear an answer
   * while it draws, so it draws the next update only.
   */
  private aheadWork(pool: WorkerPool): () => boolean {
    const tag = this.sourceStateText();
    const depth = pool.sharedMemory ? AHEAD_DEPTH : 1;
    return () => this.ahead.fill(this.updates, tag, depth);
  }

  /** Micro-batch `micro` of update `update`: drawn ahead when the source's state has not moved since, else drawn now. */
  private ownBatch(update: number, micro: number): R[] {
    if (this.current?.update !== update) this.current = { update, batches: this.ahead.take(update, () => this.sourceStateText()) };
    const [from] = microsOf(0, this.workerCount, this.config.accumulationSteps);
    return this.current.batches?.[micro - from] ?? this.trainBatch(update, micro);
  }

  private sourceStateText(): string {
    return toJson(this.data.stateDict?.() ?? null);
  }

  /** Starts the update on the workers (if any), then this thread's block of its micro-batches; returns their objective sum. */
  private ownGradients(update: ReturnType<Trainer<R, M>['beginUpdate']>): number {
    const micros = this.config.accumulationSteps;
    this.pool?.startStep(this.updates, this.sharedState());
    const [from, to] = microsOf(0, this.workerCount, micros);
    try {
      return accumulateGradients(this.tape, update.lossOf, from, to, micros);
    } finally {
      this.current = null;
    }
  }

  /** What every worker must share besides the weights: the source's state and the model's (contract: sharedState). */
  private sharedState(): { source: unknown; model: unknown } {
    return { source: this.data.stateDict?.() ?? null, model: this.model.sharedState?.() ?? null };
  }

  /** Before the gradients of an update: phase, gates (the model may adjust itself: replicas receive it as shared state), zeroed gradients. */
  private beginUpdate(): { started: number; phase: ReturnType<NonNullable<RecordSource<R>['phase']>>; phaseStart: number; phaseStep: number; phaseSteps: number; gated: string[]; lr: number; lossOf: (tape: Tape, micro: number) => ReturnType<M['loss']> } {
    const started = performance.now();
    const phase = this.data.phase?.() ?? { level: 0, levels: [] };
    const update = this.updates;
    const phaseStart = phase.start ?? 0;
    const phaseStep = update - phaseStart;
    const phaseSteps = phase.budget ?? this.config.steps;
    const frozenGroups = Object.entries(this.config.freezeGroups ?? {}).filter(([, from]) => phase.level >= from).map(([g]) => g);
    const gated = [...(this.exactness?.gates(phaseStep) ?? []), ...frozenGroups].filter((g) => this.groupNames.includes(g));
    const lr = this.optimizer.getLr();
    this.optimizer.zeroGrad();
    return { started, phase, phaseStart, phaseStep, phaseSteps, gated, lr, lossOf: (tape, micro) => this.model.loss(tape, this.ownBatch(update, micro)) as ReturnType<M['loss']> };
  }

  /** After the gradients (the mean over the update's micro-batches): hooks, clipping, optimizer, schedule, metrics, snaps, phase. */
  private finishUpdate(u: ReturnType<Trainer<R, M>['beginUpdate']>, lossSum: number): StepMetrics {
    const { accumulationSteps, batchSize } = this.config;
    const exact = this.exactness;
    const { phase, phaseStart, phaseStep, phaseSteps, gated } = u;
    const result = applyUpdate({
      parameters: this.params,
      optimizer: this.optimizer,
      scheduler: this.scheduler,
      maxGradNorm: this.config.maxGradNorm,
      afterBackward: exact === null ? undefined : () => exact.afterBackward(phaseStep, phaseSteps),
      beforeUpdate: gated.length === 0 ? undefined : () => {
        for (const name of gated) this.optimizer.setLr(0, this.groupNames.indexOf(name));
      },
      afterUpdate: exact === null ? undefined : () => exact.afterUpdate(),
    }, lossSum / accumulationSteps, u.lr);
    this.updates++;
    const seconds = (performance.now() - u.started) / 1000;
    const metrics: StepMetrics = { step: this.updates, ...result, samplesPerSec: (batchSize * accumulationSteps) / Math.max(seconds, 1e-9), level: phase.level, levels: phase.levels };
    const snapDue = exact !== null && exact.due(phaseStart, this.updates - phaseStart, phaseSteps);
    this.history.push(metrics);
    this.events.onStep?.(metrics);
    if (snapDue) this.snapNow();
    this.phaseChanged(this.data.afterStep?.(this.updates) ?? null);
    return metrics;
  }

  /**
   * Snap-and-freeze now (./exactness.ts): each reached sub-group to its best lattice point on
   * probe records of the current stage, kept only if no trained level's validation accuracy
   * falls — the levels the source trains on now or has trained on (phase().levels, and the
   * levels of the phase changes so far). A level not trained yet sits at chance, where a
   * snap's effect is noise, and its figures may cost the most (level 5's decoder: 2.5 s of the
   * 2.7 s a validation of all seven levels takes, on npm start's trained weights); a source
   * without phase levels that name its groups has all validated.
   */
  snapNow(): SnapEvent[] {
    const exact = this.exactness;
    if (exact === null) return [];
    if (this.data.probe === undefined) throw new TrainerError('exactness: the record source gives no probe records (RecordSource.probe)');
    const probe = this.data.probe(exact.config.probeSize);
    // the levels of the current mix and every level a phase change has left or entered (with
    // replay 0 the mix holds the current level alone, and the earlier ones must still not fall)
    const trained = [...new Set([...(this.data.phase?.().levels ?? []), ...this.changes.flatMap((c) => [c.from, c.to])].map(String))];
    const only = trained.some((l) => l in this.data.heldOut('val', this.config.evalSize)) ? trained : null;
    // the validation accuracies, the chunks split across the workers (where the pool can be waited for synchronously)
    const validate = () => Object.fromEntries(Object.entries(this.figuresOnWorkersSync('val', this.config.evalSize, undefined, false, only)).map(([k, r]) => [k, r.accuracy ?? 0]));
    const events = exact.snap(this.updates, probe, validate);
    this.snaps.push(...events);
    for (const e of events) this.events.onSnap?.(e);
    return events;
  }

  /**
   * Evaluates every held-out group on its validation records (split across the workers, which
   * it waits for synchronously, like trainStep; on this thread alone where the pool cannot be
   * waited for synchronously: transferred buffers, a page's main thread); updates the best
   * weights and the early-stopping count, then lets the source move on (e.g. the curriculum's
   * threshold).
   */
  evaluate(): EvalMetrics {
    const started = performance.now();
    return this.recordEvaluation(started, this.figuresOnWorkersSync('val', this.config.evalSize));
  }

  /** evaluate() waiting for the workers asynchronously (it hears a worker die; run() uses it). */
  async evaluateAsync(): Promise<EvalMetrics> {
    const started = performance.now();
    return this.recordEvaluation(started, await this.figuresOnWorkers('val', this.config.evalSize));
  }

  private recordEvaluation(started: number, perGroup: Record<string, GroupEvaluation>): EvalMetrics {
    const rows = Object.values(perGroup);
    const mean = (key: string) => rows.reduce((a, r) => a + (r[key] ?? NaN), 0) / rows.length;
    const score = selectionScore(perGroup, this.config.selectBy);
    if (score > this.best.score) {
      this.best = { score, step: this.updates, staleEvals: 0 };
      this.bestWeightsRef = this.params.map((p) => p.readData().slice());
    } else this.best = { ...this.best, staleEvals: this.best.staleEvals + 1 };
    const metrics: EvalMetrics = {
      step: this.updates,
      accuracy: mean('accuracy'),
      meanGed: mean('meanGed'),
      score,
      count: rows.reduce((a, r) => a + r.count, 0),
      perLevel: perGroup as unknown as Record<string, LevelEvaluation>,
      level: this.data.phase?.().level ?? 0,
      seconds: (performance.now() - started) / 1000,
      bestScore: this.best.score,
      bestStep: this.best.step,
      staleEvals: this.best.staleEvals,
    };
    this.evals.push(metrics);
    this.events.onEval?.(metrics);
    const accuracy = Object.fromEntries(Object.entries(perGroup).map(([k, r]) => [k, r.accuracy ?? 0]));
    this.phaseChanged(this.data.afterEval?.(this.updates, accuracy) ?? null);
    return metrics;
  }

  /**
   * Every group's figures on `split`: the groups' chunks claimed by the workers as they go
   * (./parallel/shared.ts, CHUNK CLAIMING; the leader computes its own with `weights` in
   * place), merged by chunk index and count (./held-out.ts).
   */
  private async figuresOnWorkers(split: 'val' | 'test', count: number, weights?: Float32Array[]): Promise<Record<string, GroupEvaluation>> {
    const pool = this.pool;
    let part: ReturnType<Trainer<R, M>['startFigures']>;
    try {
      part = this.startFigures(pool, split, count, weights);
    } catch (err) {
      // the replicas may still be claiming chunks: let them finish before the error goes on
      await pool?.finishEvaluation().catch(() => undefined);
      throw err;
    }
    return part.finish(pool === null ? new Map() : await pool.finishEvaluation());
  }

  /**
   * figuresOnWorkers waiting synchronously (evaluate, test, and the snap points' validation
   * inside the synchronous exactness search). Where the pool cannot be waited for
   * synchronously (transferred buffers, a page's main thread) this thread computes every
   * chunk: the merged figures are the same (chunks merge in their order, whoever computed them).
   */
  private figuresOnWorkersSync(split: 'val' | 'test', count: number, weights?: Float32Array[], withLoss = true, only: readonly string[] | null = null): Record<string, GroupEvaluation> {
    const pool = this.pool?.canWaitSync ? this.pool : null;
    let part: ReturnType<Trainer<R, M>['startFigures']>;
    try {
      part = this.startFigures(pool, split, count, weights, withLoss, only);
    } catch (err) {
      try {
        pool?.finishEvaluationSync(); // the replicas may still be claiming chunks
      } catch {
        // the first error is the one to report
      }
      throw err;
    }
    return part.finish(pool === null ? new Map() : pool.finishEvaluationSync());
  }

  /** Starts the figures of the held-out groups (`only` those, when given) on the pool's workers (none: this thread alone); finish() merges them. */
  private startFigures(pool: WorkerPool | null, split: 'val' | 'test', count: number, weights?: Float32Array[], withLoss = true, only: readonly string[] | null = null): { finish: (others: Map<number, ChunkFigures>) => Record<string, GroupEvaluation> } {
    const all = this.data.heldOut(split, count);
    const mask = groupMask(Object.keys(all), only);
    const groups = selectGroups(all, mask);
    const chunks = evalChunks(groups);
    pool?.startEvaluation(split, count, this.sharedState(), weights, withLoss, mask);
    const claim = pool === null ? chunkClaimer(null, 0, 1, chunks.length) : pool.claimer(chunks.length);
    const own = new Map<number, ChunkFigures>();
    const compute = () => {
      for (let k = claim(); k >= 0; k = claim()) own.set(k, chunkFigures(this.model, this.tape, groups[chunks[k].group].slice(chunks[k].start, chunks[k].end), withLoss));
    };
    if (weights === undefined) compute();
    else this.withWeights(weights, compute);
    const figures = (others: Map<number, ChunkFigures>, k: number): ChunkFigures => {
      const f = own.get(k) ?? others.get(k);
      if (f === undefined) throw new TrainerError(`evaluation chunk ${k} of ${chunks.length} was computed by no worker`);
      return f;
    };
    return { finish: (others) => mergeChunks(chunks, chunks.map((_, k) => figures(others, k))) as Record<string, GroupEvaluation> };
  }

  private phaseChanged(change: PhaseChange | null): void {
    if (!change) return;
    this.changes.push({ ...change });
    // the schedule (its config and step) lives in the scheduler's state, so this travels through checkpoints
    if (this.data.restartsSchedule) this.scheduler.loadStateDict({ schedule: this.phaseSchedule().config, step: 0, baseLrs: this.scheduler.stateDict().baseLrs });
    this.events.onLevel?.(change);
  }

  /** config.schedule, or the 'auto' linear decay over the current phase's budget (else the run). */
  private phaseSchedule(): Schedule {
    if (this.config.schedule !== 'auto') return scheduleFromConfig(this.config.schedule);
    const budget = this.data.phase?.().budget ?? Infinity;
    const total = Number.isFinite(budget) ? budget : this.config.steps;
    return linear({ startFactor: 1, endFactor: 0.01, totalSteps: Math.max(1, total) });
  }

  /** Whether the source is through (e.g. the last level's budget spent): run() stops there. */
  get finished(): boolean {
    return this.data.finished?.(this.updates) ?? false;
  }

  /**
   * The final held-out test: every group on `count` (default config.testSize) records of the
   * 'test' split, on the best evaluation's weights (`weights: 'best'`, the default, when any
   * evaluation ran) or the last ones, split across the workers (waited for synchronously, or
   * on this thread alone where that is impossible; testAsync asynchronously). The trainer's
   * own weights are unchanged afterwards.
   */
  test(count = this.config.testSize, weights: 'best' | 'last' = 'best'): TestMetrics {
    const best = this.testWeights(weights);
    return { step: best === undefined ? this.updates : this.best.step, perLevel: this.figuresOnWorkersSync('test', count, best) as unknown as Record<string, LevelEvaluation> };
  }

  /** test() waiting for the workers asynchronously. */
  async testAsync(count = this.config.testSize, weights: 'best' | 'last' = 'best'): Promise<TestMetrics> {
    const best = this.testWeights(weights);
    return { step: best === undefined ? this.updates : this.best.step, perLevel: (await this.figuresOnWorkers('test', count, best)) as unknown as Record<string, LevelEvaluation> };
  }

  /** The weights test() runs on: the best evaluation's, or undefined for the current ones. */
  private testWeights(weights: 'best' | 'last'): Float32Array[] | undefined {
    return weights === 'last' || this.bestWeightsRef === null || this.best.step === this.updates ? undefined : this.bestWeightsRef;
  }

  /** Runs `body` with the best evaluation's weights in place (the last ones are put back after). */
  withBestWeights<T>(body: () => T): T {
    return this.bestWeightsRef === null ? body() : this.withWeights(this.bestWeightsRef, body);
  }

  private withWeights<T>(weights: readonly Float32Array[], body: () => T): T {
    const last = this.params.map((p) => p.readData().slice());
    this.params.forEach((p, i) => p.writeData().set(weights[i]));
    try {
      return body();
    } finally {
      this.params.forEach((p, i) => p.writeData().set(last[i]));
    }
  }

  /**
   * Trains until `until` updates (default config.steps) are done, the source is through
   * (reason 'done' too), early stopping says stop, or `signal` aborts (checked before every
   * update). Hands the event loop back every ~16 ms so a page or a worker stays responsive.
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    const until = options.until ?? this.config.steps;
    const { evalEvery, patience } = this.config;
    let lastYield = performance.now();
    const divergence = new DivergenceMonitor(this.config.divergence);
    while (this.updates < until && !this.finished) {
      if (options.signal?.aborted) return { steps: this.updates, reason: 'aborted' };
      const diverged = divergence.observe(await this.stepAsync());
      if (diverged !== null) return { steps: this.updates, reason: 'diverged', detail: diverged };
      if (evalEvery > 0 && this.updates % evalEvery === 0) {
        const evaluation = await this.evaluateAsync(); // not inside `onEvaluated?.(…)`: an absent callback would skip it
        options.onEvaluated?.(evaluation);
        if (patience > 0 && this.best.staleEvals >= patience) return { steps: this.updates, reason: 'early-stop' };
      }
      if (performance.now() - lastYield >= YIELD_AFTER_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    return { steps: this.updates, reason: options.signal?.aborted ? 'aborted' : 'done' };
  }

  /**
   * The whole training state as safetensors bytes (save with saveCheckpoint, continue with
   * Trainer.resume). `weights: 'best'` puts the best evaluation's weights in the `model.*`
   * tensors (for eval and predict, e.g. the CLI's best.safetensors; `weights_step` says whose).
   */
  checkpoint(weights: 'last' | 'best' = 'last'): Uint8Array {
    const tensors: Record<string, CheckpointTensor> = {};
    const useBest = weights === 'best' && this.bestWeightsRef !== null;
    this.params.forEach((p, i) => (tensors[`model.${p.name}`] = { shape: [...p.shape], data: useBest ? this.bestWeightsRef![i].slice() : p.readData().slice() }));
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
    if (this.bestWeightsRef !== null) this.params.forEach((p, i) => (tensors[`best.${p.name}`] = { shape: [...p.shape], data: this.bestWeightsRef![i].slice() }));
    const metadata: Record<string, string> = {
      format: CHECKPOINT_FORMAT,
      format_version: String(CHECKPOINT_VERSION),
      config: JSON.stringify(this.config),
      step: JSON.stringify(this.updates),
      weights_step: JSON.stringify(useBest ? this.best.step : this.updates),
      optimizer: JSON.stringify({ ...sd, state }),
      scheduler: JSON.stringify(this.scheduler.stateDict()),
      data: JSON.stringify({ stream: 'per-update', seed: this.config.seed, nextUpdate: this.updates }),
      best: JSON.stringify({ ...this.best, score: Number.isFinite(this.best.score) ? this.best.score : null, weights: this.bestWeightsRef !== null }),
      source: JSON.stringify(this.data.stateDict?.() ?? null),
      phases: JSON.stringify(this.changes),
      exactness: JSON.stringify(this.exactness?.stateDict() ?? null),
    };
    return encodeCheckpoint({ tensors, metadata });
  }

  private restore(tensors: Record<string, CheckpointTensor>, step: unknown, optimizer: OptimizerState, scheduler: LrSchedulerState, data: { nextUpdate?: unknown }, best: { score: number | null; step: number; staleEvals: number; weights: boolean }, source: unknown, phases: PhaseChange[], exactness: unknown): void {
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
    const weights = this.params.map((p) => take(`model.${p.name}`, p));
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
    if (best === null || typeof best !== 'object' || !(best.score === null || typeof best.score === 'number') || !Number.isInteger(best.step) || !Number.isInteger(best.staleEvals)) {
      throw new CheckpointError('__metadata__.best', 'expected { score, step, staleEvals, weights }');
    }
    const bestWeights = best.weights === true ? this.params.map((p) => take(`best.${p.name}`, p)) : null;
    for (const name of Object.keys(tensors)) if (!used.has(name)) throw new CheckpointError(name, 'is not a tensor of this model or optimizer');
    if (!Array.isArray(phases)) throw new CheckpointError('__metadata__.phases', 'expected an array');
    if ((exactness === null) !== (this.exactness === null)) throw new CheckpointError('__metadata__.exactness', exactness === null ? 'is missing: the config has exactness' : 'is set, the config has no exactness');
    try {
      if (exactness !== null) {
        this.exactness!.loadStateDict(exactness);
        // the model's state that follows from the freeze mask (the DagNN's per-kind unit bounds,
        // lifted for snapped kinds), as the next update would set it: eval and predict on a
        // resumed trainer compute what the trainer computed
        this.exactness!.gates(1);
      }
      this.data.loadStateDict?.(source);
      this.optimizer.loadStateDict({ ...optimizer, state });
      this.scheduler.loadStateDict(scheduler);
    } catch (err) {
      if (err instanceof StateDictError) throw new CheckpointError(`__metadata__.${err.field}`, err.message);
      const field = (err as { field?: unknown }).field;
      if (err instanceof GraphemeError && typeof field === 'string') throw new CheckpointError(`__metadata__.source.${field}`, err.message);
      throw err;
    }
    this.params.forEach((p, i) => p.writeData().set(weights[i]));
    this.updates = step as number;
    this.best = { score: best.score ?? -Infinity, step: best.step, staleEvals: best.staleEvals };
    this.bestWeightsRef = bestWeights;
    this.changes.length = 0;
    this.changes.push(...phases.map((c) => ({ ...c })));
  }
}

/** GRAPHEME_TRAIN_WORKERS (where the runtime has an environment): the most workers 'auto' starts. */
function workersCap(): number {
  const text = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.GRAPHEME_TRAIN_WORKERS;
  const n = Number(text);
  return text === undefined || !Number.isInteger(n) || n < 1 ? Infinity : n;
}

/** The model's named groups as optimizer groups, in the model's order; parameters it names in no group go to 'rest'. */
function groupParams(params: readonly Parameter[], named: Record<string, Parameter[]>): { name: string; params: Parameter[] }[] {
  const taken = new Set<Parameter>();
  const out: { name: string; params: Parameter[] }[] = [];
  for (const [name, list] of Object.entries(named)) {
    const fresh = list.filter((p) => params.includes(p) && !taken.has(p));
    fresh.forEach((p) => taken.add(p));
    if (fresh.length > 0) out.push({ name, params: fresh });
  }
  const rest = params.filter((p) => !taken.has(p));
  if (rest.length > 0) out.push({ name: 'rest', params: rest });
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function makeOptimizer(params: Parameter[] | { params: Parameter[]; lr: number }[], config: TrainingConfig): Optimizer<any> {
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
