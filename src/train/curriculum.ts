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
 * SKIPPED LEVELS. A configured level the model cannot train yet (not in TRAINABLE_LEVELS:
 * level 5 until the symbolic decoder exists) is left out with a notice in `skipped`.
 *
 * DETERMINISM. The mixture is a pure function of the state (mode, current level), and the
 * state changes only at update boundaries, at decisions that depend on the step count and
 * the (deterministic) evaluation. The state travels in the checkpoint (stateDict), so the
 * batch of update u is a pure function of (seed, u, state) across a resume.
 */
import type { Level } from '../data/levels';
import { GraphemeError } from '../errors';
import { TRAINABLE_LEVELS, type CurriculumConfig, type TrainingConfig } from './config';

export class CurriculumStateError extends GraphemeError {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

export type LevelChangeReason = 'threshold' | 'budget';

export interface LevelChange {
  /** updates done when the run moved on */
  step: number;
  from: Level;
  to: Level;
  reason: LevelChangeReason;
}

export interface SkippedLevel {
  level: Level;
  reason: string;
}

export interface CurriculumState {
  mode: CurriculumConfig['mode'];
  /** the current level (progressive) */
  level: Level;
  /** the update at which the current level started */
  levelStart: number;
  history: LevelChange[];
}

/** Why a configured level is left out, or null when it trains. */
export function untrainableReason(level: Level, trainable: readonly Level[] = TRAINABLE_LEVELS): string | null {
  if (trainable.includes(level)) return null;
  return level === 5
    ? 'level 5 (symbolic derivatives) needs the symbolic tree decoder, which is not built yet'
    : `level ${level} has no decoder for its answers yet`;
}

export class Curriculum {
  /** the levels that train, ascending */
  readonly levels: Level[];
  /** configured levels left out, with why */
  readonly skipped: SkippedLevel[];
  private readonly config: CurriculumConfig;
  private index = 0;
  private levelStart = 0;
  private readonly changes: LevelChange[] = [];

  /** `trainable`: the levels the model has heads for (TRAINABLE_LEVELS; a parameter for tests) */
  constructor(training: Pick<TrainingConfig, 'levels' | 'curriculum'>, trainable: readonly Level[] = TRAINABLE_LEVELS) {
    this.config = training.curriculum;
    const sorted = [...training.levels].sort((a, b) => a - b);
    this.skipped = sorted.flatMap((level) => {
      const reason = untrainableReason(level, trainable);
      return reason === null ? [] : [{ level, reason }];
    });
    this.levels = sorted.filter((l) => untrainableReason(l, trainable) === null && (this.config.mode !== 'mixed' || this.weightOf(l) > 0));
    // validateConfig guarantees at least one; this guards hand-built configs
    if (this.levels.length === 0) throw new CurriculumStateError('levels', 'no configured level can be trained');
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

  /** Updates budgeted for a level (progressive), or Infinity. */
  budgetOf(level: Level): number {
    if (this.config.mode !== 'progressive') return Infinity;
    const steps = this.config.levelSteps;
    if (steps === null) return Infinity;
    if (typeof steps === 'number') return steps;
    return steps[String(level)] ?? Infinity;
  }

  /** After an evaluation at `step` with the current level's held-out accuracy: advance if it reached the threshold. */
  afterEval(step: number, accuracyOfCurrent: number): LevelChange | null {
    if (this.config.mode !== 'progressive' || accuracyOfCurrent < this.config.threshold) return null;
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
  loadStateDict(state: CurriculumState): void {
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
