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
 * STAGES (curriculum.stages 'depth'). A level whose problems go deeper than 1 (levels 2–4)
 * trains in stages: depth 1, then ≤ 2, then ≤ 3 (level-spec overrides on the generator), each
 * with its budget (stageSteps, or the level's budget split evenly); the schedule restarts per
 * stage; the threshold can end a level only in its last stage. A batch then draws 1 − replay
 * of its records from the current (level, stage) and replay from the earlier (level, stage)
 * pairs, evenly — or, with the FORGETTING GUARD, `boost`× for the pairs of a level whose
 * last validation accuracy fell more than `drop` below its best. Record counts per pair are
 * fixed per batch (floor, then the remainder round-robin from the update's index), each pair
 * drawn from its own stream `${seed}/train/${u}/${m}/${level}:${stage}`.
 *
 * DETERMINISM. The mixture is a pure function of the state (mode, current level), and the
 * state changes only at update boundaries, at decisions that depend on the step count and
 * the (deterministic) evaluation. The state travels in the checkpoint (stateDict), so the
 * batch of update u is a pure function of (seed, u, state) across a resume.
 */
import { DEFAULT_SPECS, type Level } from '../data/levels';
import type { DatasetRecord } from '../data/record';
import { draftOf, GeneratedLevels, type BatchDraft, type BatchRequest, type LevelOverrides, type LevelPool, type PhaseChange, type RecordSource, type SourcePhase } from '../data/source';
import { GraphemeError } from '../errors';
import type { CurriculumConfig, TrainingConfig } from './config';

export class CurriculumStateError extends GraphemeError {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

export type LevelChangeReason = 'threshold' | 'budget';

/** The curriculum's phase change: from one level to the next, or from one stage of a level to its next (from === to). */
export interface LevelChange extends PhaseChange {
  from: Level;
  to: Level;
  reason: LevelChangeReason;
  /** with stages: the stage (0-based) the run moved to */
  stage?: number;
}

export interface CurriculumState {
  mode: CurriculumConfig['mode'];
  /** the current level (progressive) */
  level: Level;
  /** the update at which the current level started */
  levelStart: number;
  /** the current stage of the level (0-based) and the update at which it started */
  stage?: number;
  stageStart?: number;
  /** forgetting guard: each level's best and last validation accuracy */
  best?: Record<string, number>;
  last?: Record<string, number>;
  history: LevelChange[];
}

export class Curriculum implements RecordSource<DatasetRecord> {
  /** the levels that train, ascending */
  readonly levels: Level[];
  private readonly config: CurriculumConfig;
  private readonly seed: string;
  private index = 0;
  private levelStart = 0;
  private stage = 0;
  private stageStart = 0;
  private readonly best: Record<string, number> = {};
  private readonly last: Record<string, number> = {};
  private readonly changes: LevelChange[] = [];
  private readonly heldOutCache = new Map<string, DatasetRecord[]>();
  /** the run's length, which 'auto' level budgets share */
  private readonly runSteps: number;

  /** `pool`: where records come from (default: generated, split by the hash of the canonical text) */
  constructor(
    training: Pick<TrainingConfig, 'levels' | 'curriculum'> & { seed?: number | string; steps?: number },
    readonly pool: LevelPool = new GeneratedLevels(),
  ) {
    this.config = training.curriculum;
    this.seed = String(training.seed ?? 0);
    this.runSteps = training.steps ?? Infinity;
    const sorted = [...training.levels].sort((a, b) => a - b);
    this.levels = sorted.filter((l) => this.config.mode !== 'mixed' || this.weightOf(l) > 0);
    // validateConfig guarantees at least one; this guards hand-built configs
    if (this.levels.length === 0) throw new CurriculumStateError('levels', 'no configured level can be trained');
  }

  /** The depth limits of a level's stages: [1, 2, 3] for an evaluate level of depth 3 with stages 'depth'; [null] (one stage, the level's own specs) otherwise. */
  stagesOf(level: Level): (number | null)[] {
    if (this.config.mode !== 'progressive' || this.config.stages !== 'depth') return [null];
    const spec = DEFAULT_SPECS[level];
    if (spec.task !== 'evaluate' || spec.maxDepth <= 1) return [null];
    return Array.from({ length: spec.maxDepth }, (_, i) => i + 1);
  }

  /** The current stage of the current level (0-based). */
  get currentStage(): number {
    return this.stage;
  }

  private get staged(): boolean {
    return this.config.mode === 'progressive' && (this.config.stages !== null || this.config.guard !== null);
  }

  /** The spec overrides of a (level, stage) pair. */
  private overrides(level: Level, stage: number): LevelOverrides | undefined {
    const depth = this.stagesOf(level)[stage];
    return depth === null || depth === undefined ? undefined : { [level]: { maxDepth: depth } };
  }

  batch(request: BatchRequest): DatasetRecord[] {
    return this.draft(request).records();
  }

  /** batch(request) a record at a time (RecordSource.draft): the pool's draws in the same order. */
  draft({ update, micro, size }: BatchRequest): BatchDraft<DatasetRecord> {
    const pool = this.pool;
    // a generator runs nothing before its first next(): a pool without stream() draws its
    // whole part at the draft's first step, not when the draft is made
    function* stream(seed: string, count: number, weights: Partial<Record<Level, number>>, specs?: LevelOverrides): Generator<DatasetRecord> {
      if (pool.stream === undefined) yield* pool.draw(seed, 'train', count, weights, specs);
      else {
        const records = pool.stream(seed, 'train', count, weights, specs);
        for (let r = records.next(); r.done !== true; r = records.next()) yield r.value;
      }
    }
    if (!this.staged) return draftOf(stream(`${this.seed}/train/${update}/${micro}`, size, this.weights()));
    const pairs = this.pairs();
    const total = pairs.reduce((a, p) => a + p.weight, 0);
    const counts = pairs.map((p) => Math.floor((p.weight / total) * size));
    let left = size - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; left > 0; i++, left--) counts[(update + i) % counts.length]++;
    const overrides = (level: Level, stage: number) => this.overrides(level, stage);
    const seed = this.seed;
    function* records(): Generator<DatasetRecord> {
      for (const [i, p] of pairs.entries()) {
        if (counts[i] > 0) yield* stream(`${seed}/train/${update}/${micro}/${p.level}:${p.stage}`, counts[i], { [p.level]: 1 }, overrides(p.level, p.stage));
      }
    }
    return draftOf(records());
  }

  /**
   * The (level, stage) pairs the next batches are drawn from, with their weights: the current
   * pair 1 − replay, the earlier pairs replay shared by weight (1, or `boost` for a level the
   * guard sees fallen).
   */
  pairs(): { level: Level; stage: number; weight: number }[] {
    const current = this.levels[this.index];
    const earlier: { level: Level; stage: number; weight: number }[] = [];
    for (let i = 0; i <= this.index; i++) {
      const level = this.levels[i];
      const stages = i === this.index ? this.stage : this.stagesOf(level).length;
      for (let s = 0; s < stages; s++) earlier.push({ level, stage: s, weight: this.fell(level) ? this.config.guard!.boost : 1 });
    }
    const replay = earlier.length === 0 ? 0 : this.config.replay;
    const sum = earlier.reduce((a, p) => a + p.weight, 0);
    return [{ level: current, stage: this.stage, weight: 1 - replay }, ...(replay > 0 ? earlier.map((p) => ({ ...p, weight: (replay * p.weight) / sum })) : [])];
  }

  /** Whether the guard sees `level` below its best by more than `drop`. */
  private fell(level: Level): boolean {
    const g = this.config.guard;
    const key = String(level);
    return g !== null && this.last[key] !== undefined && this.last[key] < (this.best[key] ?? 0) - g.drop;
  }

  /** `count` training records of the current (level, stage), from a stream of their own (e.g. to score snap candidates). */
  probe(count: number): DatasetRecord[] {
    const level = this.level;
    return this.pool.draw(`${this.seed}/probe/${level}:${this.stage}`, 'train', count, { [level]: 1 }, this.overrides(level, this.stage));
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
    const levels = this.staged ? [...new Set(this.pairs().map((p) => p.level))].sort((a, b) => a - b) : Object.keys(this.weights()).map(Number);
    return { level: this.level, levels, start: this.stageStart, budget: this.phaseBudget() };
  }

  get mode(): CurriculumConfig['mode'] {
    return this.config.mode;
  }

  /** The current level (progressive), or the highest level in the mix (mixed). */
  get level(): Level {
    return this.config.mode === 'mixed' ? this.levels[this.levels.length - 1] : this.levels[this.index];
  }

  /** Level and stage changes so far, oldest first (a copy). */
  get history(): LevelChange[] {
    return this.changes.map((c) => ({ ...c }));
  }

  /** The mixture of levels the next batches are drawn from: level → weight (> 0 only). */
  weights(): Partial<Record<Level, number>> {
    if (this.config.mode === 'mixed') return Object.fromEntries(this.levels.map((l) => [l, this.weightOf(l)]));
    if (this.staged) {
      const out: Partial<Record<Level, number>> = {};
      for (const p of this.pairs()) out[p.level] = (out[p.level] ?? 0) + p.weight;
      return out;
    }
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
   * For a level not started yet this is the estimate as if no level advanced early. With
   * stageSteps for the level: their sum.
   */
  budgetOf(level: Level): number {
    if (this.config.mode !== 'progressive') return Infinity;
    const explicit = this.config.stageSteps?.[String(level)];
    if (explicit !== undefined && this.stagesOf(level).length === explicit.length) return explicit.reduce((a, b) => a + b, 0);
    const steps = this.config.levelSteps;
    if (steps === null) return Infinity;
    if (steps === 'auto') {
      const at = this.levels.indexOf(level);
      if (at < this.index) return this.changes.find((c) => c.from === level && c.to !== level)!.step - (this.changes.find((c) => c.to === level && c.from !== level)?.step ?? 0);
      const start = at === this.index ? this.levelStart : this.levelStart + (at - this.index) * Math.floor((this.runSteps - this.levelStart) / (this.levels.length - this.index));
      return Math.max(1, Math.floor((this.runSteps - start) / (this.levels.length - at)));
    }
    if (typeof steps === 'number') return steps;
    return steps[String(level)] ?? Infinity;
  }

  /** The budget of stage `stage` of `level`: stageSteps, or the level's budget split evenly (the last stage gets the rest). */
  stageBudgetOf(level: Level, stage: number): number {
    const stages = this.stagesOf(level).length;
    const explicit = this.config.stageSteps?.[String(level)];
    if (explicit !== undefined && explicit.length === stages) return explicit[stage];
    const budget = this.budgetOf(level);
    if (!Number.isFinite(budget) || stages === 1) return budget;
    const each = Math.max(1, Math.floor(budget / stages));
    return stage < stages - 1 ? each : Math.max(1, budget - each * (stages - 1));
  }

  /** The budget of the current phase (the stage, or the level without stages): what an 'auto' schedule decays over. */
  phaseBudget(): number {
    return this.stageBudgetOf(this.level, this.stage);
  }

  /** The update at which the current phase (stage, or level without stages) started. */
  get phaseStart(): number {
    return this.stageStart;
  }

  /** Updates done in the current phase at `step`. */
  phaseStep(step: number): number {
    return step - this.stageStart;
  }

  /** After an evaluation at `step` with each level's validation accuracy: the guard's record; advance if the current level reached the threshold in its last stage. */
  afterEval(step: number, accuracy: Record<string, number>): LevelChange | null {
    for (const [k, a] of Object.entries(accuracy)) {
      this.last[k] = a;
      if (this.levels.indexOf(Number(k) as Level) <= this.index) this.best[k] = Math.max(this.best[k] ?? 0, a);
    }
    if (this.config.mode !== 'progressive' || (accuracy[String(this.level)] ?? 0) < this.config.threshold) return null;
    if (this.stage < this.stagesOf(this.level).length - 1) return null;
    return this.advance(step, 'threshold');
  }

  /** Whether the run is over at `step`: the last level's budget is spent (progressive). */
  finished(step: number): boolean {
    if (this.config.mode !== 'progressive' || this.index !== this.levels.length - 1) return false;
    if (this.stage < this.stagesOf(this.level).length - 1) return false;
    return step - this.stageStart >= this.stageBudgetOf(this.level, this.stage);
  }

  /** Whether the Trainer restarts the learning-rate schedule at each level (and stage) change. */
  get restartsSchedule(): boolean {
    return this.config.mode === 'progressive' && this.config.restartSchedule;
  }

  /** After update `step`: the next stage, or the next level, when the current one's budget is spent. */
  afterStep(step: number): LevelChange | null {
    if (this.config.mode !== 'progressive' || step - this.stageStart < this.stageBudgetOf(this.level, this.stage)) return null;
    if (this.stage < this.stagesOf(this.level).length - 1) {
      this.stage++;
      this.stageStart = step;
      const change: LevelChange = { step, from: this.level, to: this.level, reason: 'budget', stage: this.stage };
      this.changes.push(change);
      return { ...change };
    }
    return this.advance(step, 'budget');
  }

  private advance(step: number, reason: LevelChangeReason): LevelChange | null {
    if (this.index === this.levels.length - 1) return null;
    const change: LevelChange = { step, from: this.levels[this.index], to: this.levels[this.index + 1], reason };
    if (this.stagesOf(this.levels[this.index + 1]).length > 1) change.stage = 0;
    this.index++;
    this.levelStart = step;
    this.stage = 0;
    this.stageStart = step;
    this.changes.push(change);
    return { ...change };
  }

  private weightOf(level: Level): number {
    return this.config.weights?.[String(level)] ?? 1;
  }

  stateDict(): CurriculumState {
    return { mode: this.config.mode, level: this.level, levelStart: this.levelStart, stage: this.stage, stageStart: this.stageStart, best: { ...this.best }, last: { ...this.last }, history: this.history };
  }

  /** Restores stateDict(); checks that it belongs to this curriculum. */
  loadStateDict(raw: unknown): void {
    const state = raw as CurriculumState;
    if (state === null || typeof state !== 'object') throw new CurriculumStateError('curriculum', 'expected an object');
    if (state.mode !== this.config.mode) throw new CurriculumStateError('curriculum.mode', `the checkpoint's curriculum is '${String(state.mode)}', the config's '${this.config.mode}'`);
    const index = this.levels.indexOf(state.level);
    if (this.config.mode === 'progressive' && index < 0) throw new CurriculumStateError('curriculum.level', `level ${JSON.stringify(state.level)} is not one of the trained levels ${this.levels.join(', ')}`);
    if (!Number.isInteger(state.levelStart) || state.levelStart < 0) throw new CurriculumStateError('curriculum.levelStart', `expected a non-negative integer, got ${JSON.stringify(state.levelStart)}`);
    const stage = state.stage ?? 0;
    const stageStart = state.stageStart ?? state.levelStart;
    if (!Number.isInteger(stage) || stage < 0 || (index >= 0 && stage >= this.stagesOf(this.levels[index]).length)) throw new CurriculumStateError('curriculum.stage', `not a stage of level ${state.level}: ${JSON.stringify(stage)}`);
    if (!Number.isInteger(stageStart) || stageStart < state.levelStart) throw new CurriculumStateError('curriculum.stageStart', `expected an integer ≥ levelStart, got ${JSON.stringify(stageStart)}`);
    if (!Array.isArray(state.history)) throw new CurriculumStateError('curriculum.history', 'expected an array');
    state.history.forEach((c, i) => {
      const ok = c && Number.isInteger(c.step) && this.levels.includes(c.from) && this.levels.includes(c.to) && (c.reason === 'threshold' || c.reason === 'budget');
      if (!ok) throw new CurriculumStateError(`curriculum.history[${i}]`, `not a level change: ${JSON.stringify(c)}`);
    });
    for (const key of ['best', 'last'] as const) {
      const m = state[key] ?? {};
      if (m === null || typeof m !== 'object' || Object.values(m).some((v) => typeof v !== 'number')) throw new CurriculumStateError(`curriculum.${key}`, 'expected level → accuracy');
    }
    if (this.config.mode === 'progressive') this.index = index;
    this.levelStart = state.levelStart;
    this.stage = stage;
    this.stageStart = stageStart;
    for (const k of Object.keys(this.best)) delete this.best[k];
    for (const k of Object.keys(this.last)) delete this.last[k];
    Object.assign(this.best, state.best ?? {});
    Object.assign(this.last, state.last ?? {});
    this.changes.length = 0;
    this.changes.push(...state.history.map((c) => ({ step: c.step, from: c.from, to: c.to, reason: c.reason, ...(c.stage === undefined ? {} : { stage: c.stage }) })));
  }
}
