/**
 * TrainingConfig: every knob of a training run, its documented default, and validateConfig,
 * which checks a JSON value completely BEFORE any work (no backend, no model, no data) and
 * throws a TrainingConfigError naming the first bad field (`optimizer.betas[1]`, `levels[2]`).
 * Unknown keys are errors too, so a typo (`learning_rate`) cannot silently fall back to a
 * default.
 */
import { GraphemeError } from '../errors';
import { OptimizerConfigError } from '../optim/errors';
import { scheduleFromConfig, type ScheduleConfig } from '../schedule/index';
import type { Level } from '../data/levels';
import { MAX_HIDDEN, MAX_RECORDS_PER_PASS, MAX_STEPS } from './bounds';
import { checkDivergence, DEFAULT_DIVERGENCE, type DivergenceConfig } from './divergence';

/** A bad configuration value; `field` is its path in the config (e.g. `optimizer.betas[1]`). */
// its own module so that ./divergence.ts can throw it without importing this file back
import { TrainingConfigError } from './config-error';
export { TrainingConfigError };

export const OPTIMIZER_NAMES = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export const CURRICULUM_MODES = ['progressive', 'mixed'] as const;

/**
 * How the levels are scheduled (./curriculum.ts has the semantics). Per-level maps are
 * JSON objects keyed by the level ("1" … "7").
 */
export interface CurriculumConfig {
  /** 'progressive': one level at a time, ascending, with replay; 'mixed': all levels in every batch by `weights` (default 'progressive') */
  mode: (typeof CURRICULUM_MODES)[number];
  /** progressive: move on when the current level's held-out (val) accuracy reaches this at an evaluation (default 0.95) */
  threshold: number;
  /**
   * progressive: move on after this many updates on a level at the latest; one number for
   * every level, a per-level map (absent levels: no budget), null for none, or 'auto' (the
   * default): the run's `steps` shared evenly by the levels. The last level's budget ends the run.
   */
  levelSteps: number | Record<string, number> | null | 'auto';
  /** progressive: start the learning-rate schedule over at every level change (default true; no effect on a constant schedule) */
  restartSchedule: boolean;
  /** progressive: share of each batch drawn from the earlier levels, spread evenly over them (default 0.3) */
  replay: number;
  /** mixed: weight of each level (absent levels: 1); null = uniform (default null) */
  weights: Record<string, number> | null;
  /**
   * progressive: STAGES inside a level. 'depth': a level whose problems go deeper than 1
   * (levels 2–4 evaluate trees of depth 1–3) is trained at depth 1, then ≤ 2, then ≤ 3, each
   * batch mixing the current stage with replay of the earlier stages and levels; null: one
   * stage per level (default null).
   */
  stages: 'depth' | null;
  /** progressive with stages: each stage's budget per level, e.g. { "2": [800, 800, 800] } (absent levels: the level budget split evenly) */
  stageSteps: Record<string, number[]> | null;
  /**
   * progressive: the FORGETTING GUARD. A level whose validation accuracy at the last
   * evaluation is more than `drop` below its best gets `boost`× its share of the replay
   * (default null: even replay).
   */
  guard: { drop: number; boost: number } | null;
}

/**
 * Exactness (DESIGN principle 11), for models that name a parameter group of weights that
 * should end on a lattice (the DagNN's value units: 'values'). Per stage: the NAU sparsity
 * regulariser mean(min(|w|, 1 − |w|)) with its weight ramped linearly from 0 to `sparsity`
 * between the fractions `ramp` of the stage, the weights clamped into [−clamp, clamp], and at
 * the fractions `snapAt` SNAP-AND-FREEZE: each sub-group (a kind's units) the data has reached
 * is set to the lattice point of {−1, 0, 1} that scores best on `probeSize` records of the
 * current stage, and frozen — kept only if no trained level's validation accuracy falls,
 * else reverted. Snaps and reverts go to the events and metrics.jsonl (src/train/exactness.ts).
 */
export interface ExactnessConfig {
  /** the parameter group the pieces act on (default 'values') */
  group: string;
  /** the sparsity weight at the end of the ramp (default 1; 0: none) */
  sparsity: number;
  /** fractions of each stage between which the sparsity weight rises from 0 (default [0.3, 0.7]) */
  ramp: [number, number];
  /** clamp into [−clamp, clamp] after every update (default 1; null: none) */
  clamp: number | null;
  /** fractions of each stage at which to snap (default [0.85, 1]) */
  snapAt: number[];
  /** records of the current stage that score snap candidates (default 300) */
  probeSize: number;
}

/**
 * The optimizer: its name plus that optimizer's own hyperparameters (torch.optim names in
 * camelCase; the learning rate is TrainingConfig.learningRate, not repeated here).
 *   adam / adamw: betas [0.9, 0.999], eps 1e-8, weightDecay 0 (adamw 1e-2), amsgrad false
 *   sgd:          momentum 0, dampening 0, weightDecay 0, nesterov false
 *   rmsprop:      alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered false
 *   adagrad:      lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10
 */
export interface OptimizerConfig {
  name: OptimizerName;
  [option: string]: unknown;
}

export interface ModelConfig {
  /** width of the node states (default 32) */
  hidden: number;
  /** the value features divide numbers by this (default 100) */
  valueScale: number;
  /** primitives of two-child kinds (default ['product', 'ratio']; add 'power' for level 3+) */
  binaryUnits: ('product' | 'ratio' | 'power')[];
  /**
   * the exact value path (default false): the value stream in float64 on the host, a learned
   * per-kind exact/float type, the unit features bounded until the units are snapped
   * (src/model/valuestream.ts); pair it with `exactness`
   */
  exact: boolean;
  /** probe points K of the integration head (default 16; 0: none; src/model/heads.ts) */
  quadraturePoints: number;
  /** unrolled iterations N of the root head (default 10; 0: none; src/model/heads.ts) */
  rootSteps: number;
  /** beam width of the level-5 tree decoder (default 5; 1: greedy; src/model/decoder.ts) */
  decoderBeam: number;
}

export interface TrainingConfig {
  /** seed of the weights, the data stream and the validation set (default 0) */
  seed: number | string;
  /** 'js', 'wasm' or 'auto' (default 'auto': wasm where WebAssembly SIMD is available) */
  backend: 'js' | 'wasm' | 'auto';
  /**
   * where the curriculum's records come from: null (default) generates them; a folder path
   * names `grapheme-train generate --split` files (DIR/level_L/{train,val,test}.jsonl), which
   * the CLI loads (the runtime-neutral Trainer takes them as options.data).
   */
  data: string | null;
  /** curriculum levels (default [1, 2, 3, 4, 5, 6, 7]) */
  levels: Level[];
  /** how the levels are scheduled (default progressive, threshold 0.95, `steps` shared evenly by the levels, schedule restarted per level, replay 0.3) */
  curriculum: CurriculumConfig;
  /** optimizer updates to run (default 1000) */
  steps: number;
  /** records per forward pass, a micro-batch (default 32) */
  batchSize: number;
  /** micro-batches whose gradients are summed (mean) into one update (default 2: 64 records per update, one micro-batch per core of two) */
  accumulationSteps: number;
  /**
   * threads that compute an update together (data-parallel, src/train/parallel/): each takes a
   * block of the update's micro-batches, so at most accumulationSteps. 'auto' (the default):
   * the machine's cores, at most accumulationSteps and at most the environment variable
   * GRAPHEME_TRAIN_WORKERS when set, where the runtime has threads (1 in workerd, or for a
   * custom model without a replica module; without SharedArrayBuffer the workers transfer
   * buffers: src/train/parallel/messages.ts)
   */
  workers: number | 'auto';
  /** base learning rate; the schedule multiplies it (default 3e-3) */
  learningRate: number;
  /** default { name: 'adam' } */
  optimizer: OptimizerConfig;
  /**
   * learning-rate schedule as in src/schedule, or 'auto' (the default): a linear decay from
   * 1 to 0.01 of the rate over each curriculum level's budget (restarted per level), or over
   * the run's steps when a level has no budget. Level 1 for 3000 updates reaches 100% held-out
   * with it, 77% at a constant rate (docs/experiments.md).
   */
  schedule: ScheduleConfig | 'auto';
  /** clip the global gradient 2-norm to this before each update; null = no clipping (default 0.1) */
  maxGradNorm: number | null;
  /** α: weight of node edit costs (the GED term; default 1) */
  nodeLossWeight: number;
  /** weight of the auxiliary squared value error (src/model/loss.ts, default 1) */
  auxLossWeight: number;
  /** evaluate on the validation set every this many updates; 0 = never (default 500) */
  evalEvery: number;
  /** validation records PER LEVEL (hash 'val' split, default 200); their accuracy drives the curriculum */
  evalSize: number;
  /** held-out test records PER LEVEL for the final evaluation (hash 'test' split, default 500) */
  testSize: number;
  /** stop after this many evaluations without a better `selectBy` score; 0 = never (default 0) */
  patience: number;
  /**
   * What "best weights" means (the weights the final test runs on, and early stopping):
   * 'min-accuracy' (default), the lowest validation accuracy over the evaluated groups (levels),
   * so no level is traded away unseen; 'mean-accuracy'; 'loss', the mean held-out loss (lower
   * is better; for models without an accuracy). The earliest evaluation with the best score
   * wins, step 0 included.
   */
  selectBy: SelectBy;
  /** stop a diverging run: loss or gradient norm past a threshold, or updates skipped in a row (./divergence.ts; null: never; default { maxLoss: 1e6, maxGradNorm: 1e7, maxSkipped: 10 }) */
  divergence: DivergenceConfig | null;
  /** learning-rate multipliers per parameter group the model names (DagNN: values, exact, head, state, decoder); absent groups 1 (default null) */
  groupLr: Record<string, number> | null;
  /** sparsify-snap-and-freeze of a parameter group (default null: off); see ExactnessConfig */
  exactness: ExactnessConfig | null;
  /**
   * parameter groups frozen (rate 0) from a curriculum level on, e.g. { "decoder": 6 }: the
   * decoder keeps what level 5 taught it while levels 6 and 7, which do not read it, train
   * (default null: none)
   */
  freezeGroups: Record<string, number> | null;
  model: ModelConfig;
}

export const SELECT_BY = ['min-accuracy', 'mean-accuracy', 'loss'] as const;
export type SelectBy = (typeof SELECT_BY)[number];

/** the most worker threads a config may ask for */
export const MAX_WORKERS = 64;

export const DEFAULT_CONFIG: Readonly<TrainingConfig> = Object.freeze({
  seed: 0,
  backend: 'auto',
  data: null,
  levels: [1, 2, 3, 4, 5, 6, 7],
  curriculum: { mode: 'progressive', threshold: 0.95, levelSteps: 'auto', restartSchedule: true, replay: 0.3, weights: null, stages: null, stageSteps: null, guard: null },
  steps: 1000,
  batchSize: 32,
  accumulationSteps: 2,
  workers: 'auto',
  learningRate: 3e-3,
  optimizer: { name: 'adam' },
  schedule: 'auto',
  maxGradNorm: 0.1,
  nodeLossWeight: 1,
  auxLossWeight: 1,
  evalEvery: 500,
  evalSize: 200,
  testSize: 500,
  patience: 0,
  selectBy: 'min-accuracy',
  divergence: { ...DEFAULT_DIVERGENCE },
  groupLr: null,
  exactness: null,
  freezeGroups: null,
  model: { hidden: 32, valueScale: 100, binaryUnits: ['product', 'ratio'], exact: false, quadraturePoints: 16, rootSteps: 10, decoderBeam: 5 },
}) as TrainingConfig;

/** A config as written in JSON: any field may be left out (its default applies). */
export type TrainingConfigInput = Partial<Omit<TrainingConfig, 'model' | 'optimizer' | 'curriculum' | 'divergence' | 'exactness'>> & {
  divergence?: Partial<DivergenceConfig> | null;
  exactness?: Partial<ExactnessConfig> | null;
  model?: Partial<ModelConfig>;
  curriculum?: Partial<Omit<CurriculumConfig, 'guard'>> & { guard?: Partial<{ drop: number; boost: number }> | null };
  optimizer?: Partial<OptimizerConfig>;
};

type Rule = { min?: number; minExclusive?: boolean; max?: number; maxExclusive?: boolean; integer?: boolean };

const OPTIMIZER_RULES: Record<OptimizerName, Record<string, Rule | 'boolean' | 'betas'>> = {
  adam: { betas: 'betas', eps: { min: 0 }, weightDecay: { min: 0 }, amsgrad: 'boolean' },
  adamw: { betas: 'betas', eps: { min: 0 }, weightDecay: { min: 0 }, amsgrad: 'boolean' },
  sgd: { momentum: { min: 0 }, dampening: { min: 0, max: 1 }, weightDecay: { min: 0 }, nesterov: 'boolean' },
  rmsprop: { alpha: { min: 0, max: 1 }, eps: { min: 0 }, weightDecay: { min: 0 }, momentum: { min: 0 }, centered: 'boolean' },
  adagrad: { lrDecay: { min: 0 }, weightDecay: { min: 0 }, initialAccumulatorValue: { min: 0 }, eps: { min: 0 } },
};

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function range(rule: Rule): string {
  const lo = rule.min === undefined ? '(-∞' : `${rule.minExclusive ? '(' : '['}${rule.min}`;
  const hi = rule.max === undefined ? '∞)' : `${rule.max}${rule.maxExclusive ? ')' : ']'}`;
  return `${lo}, ${hi}`;
}

function checkNumber(field: string, v: unknown, rule: Rule): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TrainingConfigError(field, `expected a finite number, got ${describe(v)}`);
  if (rule.integer && !Number.isInteger(v)) throw new TrainingConfigError(field, `must be an integer, got ${v}`);
  const low = rule.min !== undefined && (rule.minExclusive ? v <= rule.min : v < rule.min);
  const high = rule.max !== undefined && (rule.maxExclusive ? v >= rule.max : v > rule.max);
  if (low || high) throw new TrainingConfigError(field, `must be in ${range(rule)}, got ${v}`);
  return v;
}

function checkObject(field: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TrainingConfigError(field || '(config)', `expected an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function checkKeys(prefix: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new TrainingConfigError(prefix + key, `unknown key (known: ${known.join(', ')})`);
  }
}

/**
 * The complete config from a JSON value: defaults filled in, every field checked. Throws
 * TrainingConfigError on the first bad or unknown field. The result is a fresh object.
 */
export function validateConfig(json: unknown): TrainingConfig {
  const input = checkObject('', json);
  checkKeys('', input, Object.keys(DEFAULT_CONFIG));
  const d = DEFAULT_CONFIG;
  const get = <K extends keyof TrainingConfig>(k: K): unknown => (input[k] === undefined ? d[k] : input[k]);

  const seed = get('seed');
  if (!(typeof seed === 'string' || (typeof seed === 'number' && Number.isFinite(seed)))) throw new TrainingConfigError('seed', `expected a finite number or a string, got ${describe(seed)}`);
  const backend = get('backend');
  if (backend !== 'js' && backend !== 'wasm' && backend !== 'auto') throw new TrainingConfigError('backend', `expected 'js', 'wasm' or 'auto', got ${describe(backend)}`);

  const data = get('data');
  if (data !== null && (typeof data !== 'string' || data === '')) throw new TrainingConfigError('data', `expected null or a folder path, got ${describe(data)}`);
  const levels = get('levels');
  if (!Array.isArray(levels) || levels.length === 0) throw new TrainingConfigError('levels', `expected a non-empty array of levels, got ${describe(levels)}`);
  levels.forEach((l, i) => {
    checkNumber(`levels[${i}]`, l, { min: 1, max: 7, integer: true });
    if (levels.indexOf(l) !== i) throw new TrainingConfigError(`levels[${i}]`, `level ${l} is listed twice`);
  });
  const curriculum = checkCurriculum(input.curriculum, levels as Level[]);

  const steps = checkNumber('steps', get('steps'), { min: 1, max: MAX_STEPS, integer: true });
  const batchSize = checkNumber('batchSize', get('batchSize'), { min: 1, max: MAX_RECORDS_PER_PASS, integer: true });
  const accumulationSteps = checkNumber('accumulationSteps', get('accumulationSteps'), { min: 1, max: MAX_RECORDS_PER_PASS, integer: true });
  if (batchSize * accumulationSteps > MAX_RECORDS_PER_PASS) throw new TrainingConfigError('accumulationSteps', `${batchSize} × ${accumulationSteps} = ${batchSize * accumulationSteps} records per update, more than the ${MAX_RECORDS_PER_PASS} one update may draw`);
  const rawWorkers = get('workers');
  const workers = rawWorkers === 'auto' ? 'auto' : checkNumber('workers', rawWorkers, { min: 1, max: MAX_WORKERS, integer: true });
  if (workers !== 'auto' && workers > accumulationSteps) throw new TrainingConfigError('workers', `${workers} workers share the ${accumulationSteps} micro-batch${accumulationSteps === 1 ? '' : 'es'} of an update (each computes whole micro-batches): set accumulationSteps to at least ${workers}, or workers to 'auto'`);
  const learningRate = checkNumber('learningRate', get('learningRate'), { min: 0, minExclusive: true });

  const optimizer = checkObject('optimizer', get('optimizer'));
  const name = optimizer.name ?? 'adam';
  if (!(OPTIMIZER_NAMES as readonly unknown[]).includes(name)) throw new TrainingConfigError('optimizer.name', `expected one of ${OPTIMIZER_NAMES.join(', ')}, got ${describe(name)}`);
  const rules = OPTIMIZER_RULES[name as OptimizerName];
  checkKeys('optimizer.', optimizer, ['name', ...Object.keys(rules)]);
  for (const [key, rule] of Object.entries(rules)) {
    const v = optimizer[key];
    if (v === undefined) continue;
    const field = `optimizer.${key}`;
    if (rule === 'boolean') {
      if (typeof v !== 'boolean') throw new TrainingConfigError(field, `expected true or false, got ${describe(v)}`);
    } else if (rule === 'betas') {
      if (!Array.isArray(v) || v.length !== 2) throw new TrainingConfigError(field, `expected [beta1, beta2], got ${describe(v)}`);
      v.forEach((b, i) => checkNumber(`${field}[${i}]`, b, { min: 0, max: 1, maxExclusive: true }));
    } else checkNumber(field, v, rule);
  }
  if (name === 'sgd' && optimizer.nesterov === true && (!((optimizer.momentum as number) > 0) || ((optimizer.dampening as number) ?? 0) !== 0)) {
    throw new TrainingConfigError('optimizer.nesterov', 'Nesterov momentum needs momentum > 0 and dampening = 0');
  }

  const schedule = get('schedule');
  if (schedule !== 'auto') try {
    scheduleFromConfig(schedule as ScheduleConfig, 'schedule');
  } catch (err) {
    if (err instanceof OptimizerConfigError) throw new TrainingConfigError(err.field.startsWith('schedule') ? err.field : `schedule.${err.field}`, err.message.replace(/^[^:]*: /, ''));
    if (err instanceof GraphemeError) throw new TrainingConfigError('schedule', err.message);
    throw err;
  }

  const maxGradNorm = get('maxGradNorm');
  if (maxGradNorm !== null) checkNumber('maxGradNorm', maxGradNorm, { min: 0, minExclusive: true });
  const nodeLossWeight = checkNumber('nodeLossWeight', get('nodeLossWeight'), { min: 0 });
  const auxLossWeight = checkNumber('auxLossWeight', get('auxLossWeight'), { min: 0 });
  if (nodeLossWeight === 0 && auxLossWeight === 0) throw new TrainingConfigError('nodeLossWeight', 'the node (GED) and auxiliary weights are both 0: nothing would train the value');
  const evalEvery = checkNumber('evalEvery', get('evalEvery'), { min: 0, max: MAX_STEPS, integer: true });
  const evalSize = checkNumber('evalSize', get('evalSize'), { min: 1, max: MAX_RECORDS_PER_PASS, integer: true });
  const testSize = checkNumber('testSize', get('testSize'), { min: 1, max: MAX_RECORDS_PER_PASS, integer: true });
  const patience = checkNumber('patience', get('patience'), { min: 0, max: MAX_STEPS, integer: true });
  if (patience > 0 && evalEvery === 0) throw new TrainingConfigError('patience', 'early stopping needs evaluations: set evalEvery > 0');
  const selectBy = get('selectBy');
  if (!(SELECT_BY as readonly unknown[]).includes(selectBy)) throw new TrainingConfigError('selectBy', `expected one of ${SELECT_BY.map((m) => `'${m}'`).join(', ')}, got ${describe(selectBy)}`);

  const model = checkObject('model', input.model ?? {});
  checkKeys('model.', model, Object.keys(d.model));
  const hidden = checkNumber('model.hidden', model.hidden ?? d.model.hidden, { min: 1, max: MAX_HIDDEN, integer: true });
  const valueScale = checkNumber('model.valueScale', model.valueScale ?? d.model.valueScale, { min: 0, minExclusive: true });
  const binaryUnits = model.binaryUnits ?? d.model.binaryUnits;
  if (!Array.isArray(binaryUnits)) throw new TrainingConfigError('model.binaryUnits', `expected an array, got ${describe(binaryUnits)}`);
  binaryUnits.forEach((u, i) => {
    if (u !== 'product' && u !== 'ratio' && u !== 'power') throw new TrainingConfigError(`model.binaryUnits[${i}]`, `expected 'product', 'ratio' or 'power', got ${describe(u)}`);
  });
  const exact = model.exact ?? d.model.exact;
  if (typeof exact !== 'boolean') throw new TrainingConfigError('model.exact', `expected true or false, got ${describe(exact)}`);
  const quadraturePoints = checkNumber('model.quadraturePoints', model.quadraturePoints ?? d.model.quadraturePoints, { min: 0, max: 256, integer: true });
  const rootSteps = checkNumber('model.rootSteps', model.rootSteps ?? d.model.rootSteps, { min: 0, max: 1000, integer: true });
  const decoderBeam = checkNumber('model.decoderBeam', model.decoderBeam ?? d.model.decoderBeam, { min: 1, max: 64, integer: true });
  const rawGroupLr = get('groupLr');
  let groupLr: Record<string, number> | null = null;
  if (rawGroupLr !== null) {
    groupLr = { ...checkObject('groupLr', rawGroupLr) } as Record<string, number>;
    for (const [k, v] of Object.entries(groupLr)) checkNumber(`groupLr.${k}`, v, { min: 0 });
  }
  const exactness = checkExactness(get('exactness'));
  const rawFreeze = get('freezeGroups');
  let freezeGroups: Record<string, number> | null = null;
  if (rawFreeze !== null) {
    freezeGroups = { ...checkObject('freezeGroups', rawFreeze) } as Record<string, number>;
    for (const [k, v] of Object.entries(freezeGroups)) checkNumber(`freezeGroups.${k}`, v, { min: 1, max: 7, integer: true });
  }

  return {
    seed: seed as number | string,
    backend,
    data: data as string | null,
    levels: [...levels] as Level[],
    curriculum,
    steps,
    batchSize,
    accumulationSteps,
    workers,
    learningRate,
    optimizer: structuredClone({ ...optimizer, name }) as OptimizerConfig,
    schedule: structuredClone(schedule) as ScheduleConfig | 'auto',
    maxGradNorm: maxGradNorm as number | null,
    nodeLossWeight,
    auxLossWeight,
    evalEvery,
    evalSize,
    testSize,
    patience,
    selectBy: selectBy as SelectBy,
    divergence: checkDivergence(input.divergence),
    groupLr,
    exactness,
    freezeGroups,
    model: { hidden, valueScale, binaryUnits: [...binaryUnits], exact, quadraturePoints, rootSteps, decoderBeam },
  };
}

/** A per-level map `{ "2": 3000 }`: keys must be configured levels, values checked by `rule`. */
function checkLevelMap(field: string, v: unknown, levels: readonly Level[], rule: Rule): Record<string, number> {
  const map = checkObject(field, v);
  for (const [key, value] of Object.entries(map)) {
    if (!levels.some((l) => String(l) === key)) throw new TrainingConfigError(`${field}.${key}`, `not one of the configured levels (${levels.join(', ')})`);
    checkNumber(`${field}.${key}`, value, rule);
  }
  return { ...(map as Record<string, number>) };
}

function checkCurriculum(v: unknown, levels: readonly Level[]): CurriculumConfig {
  const d = DEFAULT_CONFIG.curriculum;
  const input = checkObject('curriculum', v ?? {});
  checkKeys('curriculum.', input, Object.keys(d));
  const mode = input.mode ?? d.mode;
  if (!(CURRICULUM_MODES as readonly unknown[]).includes(mode)) throw new TrainingConfigError('curriculum.mode', `expected ${CURRICULUM_MODES.map((m) => `'${m}'`).join(' or ')}, got ${describe(mode)}`);
  const threshold = checkNumber('curriculum.threshold', input.threshold ?? d.threshold, { min: 0, max: 1 });
  const replay = checkNumber('curriculum.replay', input.replay ?? d.replay, { min: 0, max: 1, maxExclusive: true });
  const rawSteps = input.levelSteps === undefined ? d.levelSteps : input.levelSteps;
  const levelSteps =
    rawSteps === null || rawSteps === 'auto' ? rawSteps
    : typeof rawSteps === 'number' ? checkNumber('curriculum.levelSteps', rawSteps, { min: 1, max: MAX_STEPS, integer: true })
    : checkLevelMap('curriculum.levelSteps', rawSteps, levels, { min: 1, max: MAX_STEPS, integer: true });
  const restartSchedule = input.restartSchedule ?? d.restartSchedule;
  if (typeof restartSchedule !== 'boolean') throw new TrainingConfigError('curriculum.restartSchedule', `expected true or false, got ${describe(restartSchedule)}`);
  const rawWeights = input.weights === undefined ? d.weights : input.weights;
  const weights = rawWeights === null ? null : checkLevelMap('curriculum.weights', rawWeights, levels, { min: 0 });
  if (mode === 'mixed' && !levels.some((l) => (weights?.[String(l)] ?? 1) > 0)) {
    throw new TrainingConfigError('curriculum.weights', 'every level has weight 0: nothing to draw batches from');
  }
  const stages = input.stages === undefined ? d.stages : input.stages;
  if (stages !== null && stages !== 'depth') throw new TrainingConfigError('curriculum.stages', `expected 'depth' or null, got ${describe(stages)}`);
  const rawStageSteps = input.stageSteps === undefined ? d.stageSteps : input.stageSteps;
  let stageSteps: Record<string, number[]> | null = null;
  if (rawStageSteps !== null) {
    stageSteps = {};
    for (const [key, list] of Object.entries(checkObject('curriculum.stageSteps', rawStageSteps))) {
      if (!levels.some((l) => String(l) === key)) throw new TrainingConfigError(`curriculum.stageSteps.${key}`, `not one of the configured levels (${levels.join(', ')})`);
      if (!Array.isArray(list) || list.length === 0) throw new TrainingConfigError(`curriculum.stageSteps.${key}`, `expected a non-empty array of stage budgets, got ${describe(list)}`);
      stageSteps[key] = list.map((n, i) => checkNumber(`curriculum.stageSteps.${key}[${i}]`, n, { min: 1, max: MAX_STEPS, integer: true }));
    }
  }
  const rawGuard = input.guard === undefined ? d.guard : input.guard;
  let guard: CurriculumConfig['guard'] = null;
  if (rawGuard !== null) {
    const g = checkObject('curriculum.guard', rawGuard);
    checkKeys('curriculum.guard.', g, ['drop', 'boost']);
    guard = { drop: checkNumber('curriculum.guard.drop', g.drop ?? 0.01, { min: 0, max: 1 }), boost: checkNumber('curriculum.guard.boost', g.boost ?? 4, { min: 1, max: 1000 }) };
  }
  return { mode: mode as CurriculumConfig['mode'], threshold, levelSteps, restartSchedule, replay, weights, stages, stageSteps, guard };
}

const EXACTNESS_DEFAULTS: ExactnessConfig = { group: 'values', sparsity: 1, ramp: [0.3, 0.7], clamp: 1, snapAt: [0.85, 1], probeSize: 300 };

function checkExactness(v: unknown): ExactnessConfig | null {
  if (v === null) return null;
  const input = checkObject('exactness', v);
  checkKeys('exactness.', input, Object.keys(EXACTNESS_DEFAULTS));
  const d = EXACTNESS_DEFAULTS;
  const group = input.group ?? d.group;
  if (typeof group !== 'string' || group === '') throw new TrainingConfigError('exactness.group', `expected a parameter group's name, got ${describe(group)}`);
  const sparsity = checkNumber('exactness.sparsity', input.sparsity ?? d.sparsity, { min: 0, max: 1000 });
  const ramp = input.ramp ?? d.ramp;
  if (!Array.isArray(ramp) || ramp.length !== 2) throw new TrainingConfigError('exactness.ramp', `expected [start, end] fractions of a stage, got ${describe(ramp)}`);
  ramp.forEach((x, i) => checkNumber(`exactness.ramp[${i}]`, x, { min: 0, max: 1 }));
  if (ramp[1] < ramp[0]) throw new TrainingConfigError('exactness.ramp', `the end ${ramp[1]} comes before the start ${ramp[0]}`);
  const clamp = input.clamp === undefined ? d.clamp : input.clamp;
  if (clamp !== null) checkNumber('exactness.clamp', clamp, { min: 0, minExclusive: true });
  const snapAt = input.snapAt ?? d.snapAt;
  if (!Array.isArray(snapAt)) throw new TrainingConfigError('exactness.snapAt', `expected fractions of a stage, got ${describe(snapAt)}`);
  snapAt.forEach((x, i) => checkNumber(`exactness.snapAt[${i}]`, x, { min: 0, minExclusive: true, max: 1 }));
  const probeSize = checkNumber('exactness.probeSize', input.probeSize ?? d.probeSize, { min: 1, max: 10_000, integer: true });
  return { group, sparsity, ramp: [ramp[0], ramp[1]], clamp: clamp as number | null, snapAt: [...snapAt], probeSize };
}
