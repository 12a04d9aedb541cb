/**
 * Record sources: where the Trainer's batches and held-out records come from (the data
 * contract; the model contract is src/train/contract.ts).
 *
 * A RecordSource yields the records of micro-batch m of update u as a PURE function of
 * (u, m, its state): a resumed run draws exactly the batches the uninterrupted one would
 * have, and the source's state (e.g. the curriculum's level) travels in the checkpoint.
 * Held-out records come in named groups (the curriculum's levels "1" … "7", or one group
 * "all"); the Trainer evaluates each group on its own, so no group is traded away unseen.
 *
 * Implementations here:
 *   ArraySource      in-memory arrays (any record type): epochs of seeded permutations
 *   LevelPool        which curriculum records exist, per level and split:
 *     GeneratedLevels  the DataGenerator's infinite stream, filtered to the split by the hash
 *                      of the canonical text (DESIGN: test sets disjoint from training)
 *     RecordLevels     records held in memory by level and split (e.g. `generate`'s JSONL
 *                      files, ./files-node.ts)
 * The curriculum over a LevelPool (src/train/curriculum.ts) is itself a RecordSource.
 */
import { GraphemeError } from '../errors';
import { Prng } from '../util/prng';
import { DataGenerator, type GeneratorOptions } from './generator';
import { LEVEL_CONTRACT, LEVELS, type Level, type LevelSpec } from './levels';
import type { DatasetRecord } from './record';
import { splitOf, type Split } from './split';

export class RecordSourceError extends GraphemeError {}

/** Per-level overrides of the generator's level specs (a curriculum stage narrows a level this way). */
export type LevelOverrides = Partial<Record<Level, Partial<Omit<LevelSpec, 'level' | 'task'>>>>;

/** Edges on the longest root-to-leaf path of a record's input graph. */
function inputDepth(r: DatasetRecord): number {
  const children = new Map<number, number[]>();
  for (const e of r.graph.edges) children.set(e.from, [...(children.get(e.from) ?? []), e.to]);
  const targets = new Set(r.graph.edges.map((e) => e.to));
  const root = r.graph.nodes.find((n) => !targets.has(n.id))?.id ?? 0;
  const depth = (id: number): number => Math.max(0, ...(children.get(id) ?? []).map((c) => 1 + depth(c)));
  return depth(root);
}

/** A change of what the batches are drawn from (a curriculum level or stage), as events and logs report it. */
export interface PhaseChange {
  /** updates done when it happened */
  step: number;
  from: number;
  to: number;
  reason: 'threshold' | 'budget';
}

/** What the current batches are drawn from: a phase number (the curriculum level) and the groups mixed in. */
export interface SourcePhase {
  level: number;
  levels: number[];
  /** the update at which the current phase (a curriculum stage or level) started (default 0) */
  start?: number;
  /** its budget of updates, what an 'auto' schedule decays over and snap points divide (default: the run's steps) */
  budget?: number;
}

/** Micro-batch `micro` (of `micros`) of update `update`, both 0-based, of `size` records. */
export interface BatchRequest {
  update: number;
  micro: number;
  micros: number;
  size: number;
}

/**
 * A micro-batch drawn a record at a time (RecordSource.draft): step() draws the next record
 * (false once the batch is complete: nothing was drawn), records() completes the batch and
 * gives it. A worker waiting for another can then stop between two records.
 */
export interface BatchDraft<R> {
  step(): boolean;
  records(): R[];
}

/** A draft over `records`, an iterator of the batch's records in order; a throw is thrown again by every later call (a closed generator would look complete). */
export function draftOf<R>(records: Iterator<R>): BatchDraft<R> {
  const out: R[] = [];
  let complete = false;
  let failure: { error: unknown } | null = null;
  const step = (): boolean => {
    if (failure !== null) throw failure.error;
    if (complete) return false;
    try {
      const next = records.next();
      if (next.done === true) complete = true;
      else out.push(next.value);
    } catch (error) {
      failure = { error };
      throw error;
    }
    return !complete;
  };
  return {
    step,
    records: () => {
      while (step());
      return out;
    },
  };
}

/** source.draft(request), or (a source without drafts) one whose first step draws the whole batch. */
export function batchDraft<R>(source: RecordSource<R>, request: BatchRequest): BatchDraft<R> {
  if (source.draft !== undefined) return source.draft(request);
  let batch: R[] | null = null;
  return {
    step: () => batch === null && (batch = source.batch(request)) !== null,
    records: () => (batch ??= source.batch(request)),
  };
}

export interface RecordSource<R> {
  /** The records of one micro-batch: a pure function of the request and the state. */
  batch(request: BatchRequest): R[];
  /** batch(request) drawn a record at a time: the same records (absent: batchDraft draws the whole batch in one step). */
  draft?(request: BatchRequest): BatchDraft<R>;
  /** Up to `count` held-out records per group of `split` ('val': evaluations, 'test': the final test). */
  heldOut(split: 'val' | 'test', count: number): Record<string, R[]>;
  /** What the batches are drawn from now (absent: phase 0, no groups). */
  phase?(): SourcePhase;
  /** `count` training records of the current phase, from a stream of their own (exactness scores snap candidates on them) */
  probe?(count: number): R[];
  /** After update `step`: a phase change the source made, or null. */
  afterStep?(step: number): PhaseChange | null;
  /** After an evaluation at `step` with each group's accuracy: a phase change, or null. */
  afterEval?(step: number, accuracy: Record<string, number>): PhaseChange | null;
  /** Whether the source is through (the run ends). */
  finished?(step: number): boolean;
  /** Whether the learning-rate schedule starts over at a phase change. */
  readonly restartsSchedule?: boolean;
  /** JSON state for checkpoints (absent: stateless). */
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
}

export interface ArraySourceOptions<R> {
  train: readonly R[];
  /** held-out records: one array (group "all") or named groups */
  val?: readonly R[] | Readonly<Record<string, readonly R[]>>;
  test?: readonly R[] | Readonly<Record<string, readonly R[]>>;
  /** seed of the epoch permutations (default 0) */
  seed?: number | string;
  /** false: records in order, no permutation (default true) */
  shuffle?: boolean;
}

function groups<R>(v: readonly R[] | Readonly<Record<string, readonly R[]>> | undefined): Record<string, R[]> {
  if (v === undefined) return {};
  if (Array.isArray(v)) return { all: [...v] };
  return Object.fromEntries(Object.entries(v as Record<string, readonly R[]>).map(([k, r]) => [k, [...r]]));
}

/**
 * An in-memory dataset. Record i of micro-batch m of update u is the k-th record drawn,
 * k = (u·micros + m)·size + i, which is permutation_e[k mod n] with e = ⌊k / n⌋ the epoch:
 * every epoch sees every record once, and a batch is a pure function of (seed, request).
 */
export class ArraySource<R> implements RecordSource<R> {
  private readonly train: readonly R[];
  private readonly held: Record<'val' | 'test', Record<string, R[]>>;
  private readonly seed: number | string;
  private readonly shuffle: boolean;
  private permutation: { epoch: number; order: Int32Array } | null = null;

  constructor(options: ArraySourceOptions<R>) {
    if (!Array.isArray(options.train) || options.train.length === 0) throw new RecordSourceError('ArraySource: train must be a non-empty array of records');
    this.train = options.train;
    this.held = { val: groups(options.val), test: groups(options.test) };
    this.seed = options.seed ?? 0;
    this.shuffle = options.shuffle ?? true;
  }

  batch({ update, micro, micros, size }: BatchRequest): R[] {
    const n = this.train.length;
    const first = (update * micros + micro) * size;
    const out: R[] = [];
    for (let i = 0; i < size; i++) {
      const k = first + i;
      out.push(this.train[this.at(Math.floor(k / n), k % n)]);
    }
    return out;
  }

  heldOut(split: 'val' | 'test', count: number): Record<string, R[]> {
    return Object.fromEntries(Object.entries(this.held[split]).map(([k, r]) => [k, r.slice(0, count)]));
  }

  private at(epoch: number, index: number): number {
    if (!this.shuffle) return index;
    if (this.permutation?.epoch !== epoch) {
      const prng = new Prng(`${this.seed}/epoch/${epoch}`);
      const order = Int32Array.from({ length: this.train.length }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = prng.int(0, i);
        [order[i], order[j]] = [order[j], order[i]];
      }
      this.permutation = { epoch, order };
    }
    return this.permutation.order[index];
  }
}

/** Curriculum records by level and split: what a curriculum draws its batches from. */
export interface LevelPool {
  /**
   * `count` records of `split`, each from a level drawn by `weights`: a pure function of (seed,
   * split, count, weights, specs). `specs` narrows a level's problems (a curriculum stage, e.g.
   * { 2: { maxDepth: 1 } }).
   */
  draw(seed: string, split: Split, count: number, weights: Partial<Record<Level, number>>, specs?: LevelOverrides): DatasetRecord[];
  /** draw()'s records one at a time, the same ones (absent: draw() is used whole). */
  stream?(seed: string, split: Split, count: number, weights: Partial<Record<Level, number>>, specs?: LevelOverrides): Iterator<DatasetRecord>;
  /** The levels this pool has records of (for `split`). */
  levels(split: Split): Level[];
}

/** The generator's infinite stream, each record kept only in the split its canonical text hashes to. */
export class GeneratedLevels implements LevelPool {
  constructor(private readonly options: Omit<GeneratorOptions, 'seed'> = {}) {}

  draw(seed: string, split: Split, count: number, weights: Partial<Record<Level, number>>, specs?: LevelOverrides): DatasetRecord[] {
    return [...this.stream(seed, split, count, weights, specs)];
  }

  *stream(seed: string, split: Split, count: number, weights: Partial<Record<Level, number>>, specs?: LevelOverrides): Generator<DatasetRecord> {
    const generator = new DataGenerator({ ...this.options, seed, specs: specs === undefined ? this.options.specs : { ...this.options.specs, ...specs } });
    const levels = Object.keys(weights).map(Number) as Level[];
    for (let kept = 0; kept < count; ) {
      const r = levels.length === 1 ? generator.next(levels[0]) : generator.nextMixed(weights);
      if (splitOf(r.polish) === split) {
        kept++;
        yield r;
      }
    }
  }

  levels(): Level[] {
    return [...LEVELS];
  }
}

/**
 * Records held in memory by level and split. Training batches sample with replacement
 * (level by weight, then a record uniformly) from a PRNG seeded by the draw's seed; held-out
 * draws take the split's first `count` records of the level, in file order. A stage's
 * `maxDepth` keeps the records whose input is no deeper (the other overrides are ignored).
 */
export class RecordLevels implements LevelPool {
  private readonly bySplit: Record<Split, Map<Level, DatasetRecord[]>> = { train: new Map(), val: new Map(), test: new Map() };

  constructor(records: Partial<Record<Split, readonly DatasetRecord[]>>) {
    for (const split of ['train', 'val', 'test'] as const) {
      for (const r of records[split] ?? []) {
        const list = this.bySplit[split].get(r.level as Level);
        if (list) list.push(r);
        else this.bySplit[split].set(r.level as Level, [r]);
      }
    }
  }

  levels(split: Split): Level[] {
    return [...this.bySplit[split].keys()].sort((a, b) => a - b);
  }

  /** Records of a level and split (empty when none). */
  records(split: Split, level: Level): readonly DatasetRecord[] {
    return this.bySplit[split].get(level) ?? [];
  }

  draw(seed: string, split: Split, count: number, weights: Partial<Record<Level, number>>, specs?: LevelOverrides): DatasetRecord[] {
    const levels = (Object.keys(weights).map(Number) as Level[]).filter((l) => (weights[l] ?? 0) > 0);
    const pools = new Map(levels.map((l) => {
      const depth = specs?.[l]?.maxDepth;
      const all = this.records(split, l);
      return [l, depth === undefined ? all : all.filter((r) => inputDepth(r) <= depth + (LEVEL_CONTRACT[l].task === 'evaluate' ? 0 : 1))];
    }));
    for (const l of levels) {
      if (pools.get(l)!.length === 0) throw new RecordSourceError(`no ${split} records of level ${l}${specs?.[l]?.maxDepth === undefined ? '' : ` at depth ≤ ${specs[l]!.maxDepth}`}`);
    }
    if (split !== 'train' && levels.length === 1) return pools.get(levels[0])!.slice(0, count);
    const prng = new Prng(seed);
    const out: DatasetRecord[] = [];
    for (let i = 0; i < count; i++) {
      const level = levels.length === 1 ? levels[0] : levels[prng.weightedIndex(levels.map((l) => weights[l]!))];
      const list = pools.get(level)!;
      out.push(list[prng.int(0, list.length - 1)]);
    }
    return out;
  }
}
