/**
 * The curriculum: which levels the batch of each update is drawn from, and when the run
 * moves on to the next level.
 *
 * PROGRESSIVE (default). The trainable configured levels in ascending order, one at a time.
 * The batch of an update draws a record from the current level with probability
 * 1 − replay and from the earlier levels with probability replay, spread evenly over them
 * (REPLAY: so they are not forgotten). The run advances to the next level
 *   - 'threshold': at an evaluation where the current level's held-out (val) accuracy is
 *     ≥ threshold, or
 *   - 'budget': when `levelSteps` updates have been spent on the current level.
 * The last level's budget, when it has one, ends the run ('finished'); otherwise it trains
 * until the run's step count. With `restartSchedule` the learning-rate schedule starts
 * over at every level change (the Trainer does it), so each level gets the whole schedule,
 * e.g. a cosine that ends its budget on a small rate, whenever the level started.
 *
 * MIXED. Every batch mixes all trainable configured levels with probability proportional
 * to their weight (default 1 each); no advancing.
 *
 * THE RECORD SOURCE. The curriculum is the Trainer's record source (src/data/source.ts)
 * over a LevelPool: generated records (default) or `generate`'s files. Micro-batch m of
 * update u is pool.draw(`${seed}/train/${u}/${m}`, 'train', size, weights()); each trained
 * level's held-out records are pool.draw(`${seed}/${split}/L${level}`, split, count) — every
 * level is evaluated at every evaluation, those not reached yet included.
 *
 * DETERMINISM. The mixture is a pure function of the state (mode, current level), and the
 * state changes only at update boundaries, at decisions that depend on the step count and
 * the (deterministic) evaluation. The state travels in the checkpoint (stateDict), so the
 * batch of update u is a pure function of (seed, u, state) across a resume.
 */
import type { Level } from '../data/levels';
import type { DatasetRecord } from '../data/record';
import { GeneratedLevels, type BatchRequest, type LevelPool, type PhaseChange, type RecordSource, type SourcePhase } from '../data/source';
import { GraphemeError } from '../errors';
import type { CurriculumConfig, TrainingConfig } from './config';

export class CurriculumStateError extends GraphemeError {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

export type LevelChangeReason = 'threshold' | 'budget';

/** The curriculum's phase change: from one level to the next. */
export interface LevelChange extends PhaseChange {
  from: Level;
  to: Level;
  reason: LevelChangeReason;
}

export interface CurriculumState {
  mode: CurriculumConfig['mode'];
  /** the current level (progressive) */
  level: Level;
  /** the update at which the current level started */
  levelStart: number;
  history: LevelChange[];
}

export class Curriculum implements RecordSource<DatasetRecord> {
  /** the levels that train, ascending */
  readonly levels: Level[];
  private readonly config: CurriculumConfig;
  private readonly seed: string;
  private index = 0;
  private levelStart = 0;
  private readonly changes: LevelChange[] = [];
  private readonly heldOutCache = new Map<string, DatasetRecord[]>();

  /** `pool`: where records come from (default: generated, split by the hash of the canonical text) */
  /** the run's length, which 'auto' level budgets share */
  private readonly runSteps: number;

  constructor(
    training: Pick<TrainingConfig, 'levels' | 'curriculum'> & { seed?: number | string; steps?: number },
    readonly pool: LevelPool = new GeneratedLevels(),
  ) {
    this.config = training.curriculum;
    this.runSteps = training.steps ?? Infinity;
    this.seed = String(training.seed ?? 0);
    const sorted = [...training.levels].sort((a, b) => a - b);
    this.levels = sorted.filter((l) => this.config.mode !== 'mixed' || this.weightOf(l) > 0);
    // validateConfig guarantees at least one; this guards hand-built configs
    if (this.levels.length === 0) throw new CurriculumStateError('levels', 'no configured level can be trained');
  }

  batch({ update, micro, size }: BatchRequest): DatasetRecord[] {
    return this.pool.draw(`${this.seed}/train/${update}/${micro}`, 'train', size, this.weights());
  }

  /** Each trained level's held-out records (drawn once per split and count, then cached). */
  heldOut(split: 'val' | 'test', count: number): Record<string, DatasetRecord[]> {
    const out: Record<string, DatasetRecord[]> = {};
    for (const level of this.levels) {
      const key = `${split}/${level}/${count}`;
      let records = this.heldOutCache.get(key);
      if (!records) this.heldOutCache.set(key, (records = this.pool.draw(`${this.seed}/${split}/L${level}`, split, count, { [level]: 1 })));
      out[level] = records;
    }
    return out;
  }

  phase(): SourcePhase {
    return { level: this.level, levels: Object.keys(this.weights()).map(Number) };
  }

  get mode(): CurriculumConfig['mode'] {
    return this.config.mode;
  }

  /** The current level (progressive), or the highest level in the mix (mixed). */
  get level(): Level {
    return this.config.mode === 'mixed' ? this.levels[this.levels.length - 1] : this.levels[this.index];
  }

  /** Level changes so far, oldest first (a copy). */
  get history(): LevelChange[] {
    return this.changes.map((c) => ({ ...c }));
  }

  /** The mixture the next batches are drawn from: level → weight (> 0 only). */
  weights(): Partial<Record<Level, number>> {
    if (this.config.mode === 'mixed') return Object.fromEntries(this.levels.map((l) => [l, this.weightOf(l)]));
    const current = this.levels[this.index];
    const earlier = this.levels.slice(0, this.index);
    const replay = earlier.length === 0 ? 0 : this.config.replay;
    const out: Partial<Record<Level, number>> = { [current]: 1 - replay };
    for (const l of earlier) if (replay > 0) out[l] = replay / earlier.length;
    return out;
  }

  /**
   * Updates budgeted for a level (progressive), or Infinity. 'auto': the updates left of the
   * run when the level starts, shared evenly by it and the levels after it (a level that
   * advances early leaves its rest to the others; the last level ends the run at `steps`).
   * For a level not started yet this is the estimate as if no level advanced early.
   */
  budgetOf(level: Level): number {
    if (this.config.mode !== 'progressive') return Infinity;
    const steps = this.config.levelSteps;
    if (steps === null) return Infinity;
    if (steps === 'auto') {
      const at = this.levels.indexOf(level);
      if (at < this.index) return this.changes.find((c) => c.from === level)!.step - (this.changes.find((c) => c.to === level)?.step ?? 0);
      const start = at === this.index ? this.levelStart : this.levelStart + (at - this.index) * Math.floor((this.runSteps - this.levelStart) / (this.levels.length - this.index));
      return Math.max(1, Math.floor((this.runSteps - start) / (this.levels.length - at)));
    }
    if (typeof steps === 'number') return steps;
    return steps[String(level)] ?? Infinity;
  }

  /** After an evaluation at `step` with each level's held-out accuracy: advance if the current level reached the threshold. */
  afterEval(step: number, accuracy: Record<string, number>): LevelChange | null {
    if (this.config.mode !== 'progressive' || (accuracy[String(this.level)] ?? 0) < this.config.threshold) return null;
    return this.advance(step, 'threshold');
  }

  /** Whether the run is over at `step`: the last level's budget is spent (progressive). */
  finished(step: number): boolean {
    return this.config.mode === 'progressive' && this.index === this.levels.length - 1 && step - this.levelStart >= this.budgetOf(this.level);
  }

  /** Whether the Trainer restarts the learning-rate schedule at each level change. */
  get restartsSchedule(): boolean {
    return this.config.mode === 'progressive' && this.config.restartSchedule;
  }

  /** After update `step`: advance if the current level's budget is spent. */
  afterStep(step: number): LevelChange | null {
    if (this.config.mode !== 'progressive' || step - this.levelStart < this.budgetOf(this.level)) return null;
    return this.advance(step, 'budget');
  }

  private advance(step: number, reason: LevelChangeReason): LevelChange | null {
    if (this.index === this.levels.length - 1) return null;
    const change: LevelChange = { step, from: this.levels[this.index], to: this.levels[this.index + 1], reason };
    this.index++;
    this.levelStart = step;
    this.changes.push(change);
    return { ...change };
  }

  private weightOf(level: Level): number {
    return this.config.weights?.[String(level)] ?? 1;
  }

  stateDict(): CurriculumState {
    return { mode: this.config.mode, level: this.level, levelStart: this.levelStart, history: this.history };
  }

  /** Restores stateDict(); checks that it belongs to this curriculum. */
  loadStateDict(raw: unknown): void {
    const state = raw as CurriculumState;
    if (state === null || typeof state !== 'object') throw new CurriculumStateError('curriculum', 'expected an object');
    if (state.mode !== this.config.mode) throw new CurriculumStateError('curriculum.mode', `the checkpoint's curriculum is '${String(state.mode)}', the config's '${this.config.mode}'`);
    const index = this.levels.indexOf(state.level);
    if (this.config.mode === 'progressive' && index < 0) throw new CurriculumStateError('curriculum.level', `level ${JSON.stringify(state.level)} is not one of the trained levels ${this.levels.join(', ')}`);
    if (!Number.isInteger(state.levelStart) || state.levelStart < 0) throw new CurriculumStateError('curriculum.levelStart', `expected a non-negative integer, got ${JSON.stringify(state.levelStart)}`);
    if (!Array.isArray(state.history)) throw new CurriculumStateError('curriculum.history', 'expected an array');
    state.history.forEach((c, i) => {
      const ok = c && Number.isInteger(c.step) && this.levels.includes(c.from) && this.levels.includes(c.to) && (c.reason === 'threshold' || c.reason === 'budget');
      if (!ok) throw new CurriculumStateError(`curriculum.history[${i}]`, `not a level change: ${JSON.stringify(c)}`);
    });
    if (this.config.mode === 'progressive') this.index = index;
    this.levelStart = state.levelStart;
    this.changes.length = 0;
    this.changes.push(...state.history.map((c) => ({ step: c.step, from: c.from, to: c.to, reason: c.reason })));
  }
}
