import { describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backend/index';
import { validateConfig } from '../../src/train/config';
import type { Level } from '../../src/data/levels';
import { Curriculum, CurriculumStateError, type LevelChange } from '../../src/train/curriculum';
import type { PhaseChange } from '../../src/data/source';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, Trainer, type TrainingConfigInput } from '../../src/train/index';

const curriculum = (input: TrainingConfigInput) => new Curriculum(validateConfig(input));
/** the accuracy map afterEval takes, with `accuracy` for the current level */
const current = (c: Curriculum, accuracy: number) => ({ [c.level]: accuracy });

function bits(values: number[]): string[] {
  return values.map((v) => {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, v);
    return dv.getBigUint64(0).toString(16);
  });
}

describe('Curriculum (progressive)', () => {
  it('goes through the configured levels in ascending order', () => {
    const c = curriculum({ levels: [7, 5, 1, 3] });
    expect(c.levels).toEqual([1, 3, 5, 7]);
    expect(c.level).toBe(1);
    expect(new Curriculum(validateConfig({ levels: [5] })).levels).toEqual([5]);
  });

  it("'auto' budgets share the run's steps; a level that advances early leaves its rest to the later ones", () => {
    const c = curriculum({ levels: [1, 2, 3], steps: 900 });
    expect([1, 2, 3].map((l) => c.budgetOf(l as Level))).toEqual([300, 300, 300]);
    expect(c.afterEval(100, current(c, 1))).toEqual({ step: 100, from: 1, to: 2, reason: 'threshold' });
    expect([c.budgetOf(1), c.budgetOf(2), c.budgetOf(3)]).toEqual([100, 400, 400]);
    expect(c.afterStep(499)).toBeNull();
    expect(c.afterStep(500)).toEqual({ step: 500, from: 2, to: 3, reason: 'budget' });
    expect(c.finished(899)).toBe(false);
    expect(c.finished(900)).toBe(true);
  });

  it('replay: the current level gets 1 − replay, the earlier levels share replay evenly', () => {
    const c = curriculum({ levels: [1, 2, 3, 4], curriculum: { replay: 0.3, levelSteps: 10 } });
    expect(c.weights()).toEqual({ 1: 1 }); // nothing to replay yet
    c.afterStep(10);
    expect(c.weights()).toEqual({ 2: 0.7, 1: 0.3 });
    c.afterStep(20);
    c.afterStep(30);
    const w = c.weights();
    expect(w[4]).toBeCloseTo(0.7, 15);
    for (const l of [1, 2, 3] as const) expect(w[l]).toBeCloseTo(0.1, 15);
    expect(curriculum({ levels: [1, 2], curriculum: { replay: 0, levelSteps: 1 } }).afterStep(1)).not.toBeNull();
  });

  it('advances on the budget (per level), on the threshold, and never past the last level', () => {
    const c = curriculum({ levels: [1, 2, 3], curriculum: { levelSteps: { 1: 5, 2: 100 }, threshold: 0.9 } });
    expect(c.budgetOf(1)).toBe(5);
    expect(c.budgetOf(3)).toBe(Infinity); // absent from the map: the last level trains to the end
    expect(c.finished(1e9)).toBe(false);
    const changes: (LevelChange | null)[] = [];
    for (let step = 1; step <= 5; step++) changes.push(c.afterStep(step));
    expect(changes.slice(0, 4)).toEqual([null, null, null, null]);
    expect(changes[4]).toEqual({ step: 5, from: 1, to: 2, reason: 'budget' });
    expect(c.afterEval(8, current(c, 0.89))).toBeNull();
    expect(c.afterEval(10, current(c, 0.9))).toEqual({ step: 10, from: 2, to: 3, reason: 'threshold' });
    expect(c.afterEval(12, current(c, 1))).toBeNull();
    expect(c.afterStep(10_000)).toBeNull();
    expect(c.level).toBe(3);
    expect(c.history).toEqual([
      { step: 5, from: 1, to: 2, reason: 'budget' },
      { step: 10, from: 2, to: 3, reason: 'threshold' },
    ]);
  });

  it("the last level's budget finishes the curriculum", () => {
    const c = curriculum({ levels: [1, 2], curriculum: { levelSteps: 5 } });
    c.afterEval(3, current(c, 1));
    expect(c.level).toBe(2);
    expect(c.finished(7)).toBe(false);
    expect(c.afterStep(8)).toBeNull();
    expect(c.finished(8)).toBe(true);
    expect(curriculum({ levels: [1, 2], curriculum: { mode: 'mixed', levelSteps: 5 } }).finished(100)).toBe(false);
  });

  it('the budget counts from the step the level started', () => {
    const c = curriculum({ levels: [1, 2, 3], curriculum: { levelSteps: 10 } });
    c.afterEval(3, current(c, 1)); // threshold at step 3
    expect(c.afterStep(12)).toBeNull();
    expect(c.afterStep(13)).toMatchObject({ from: 2, to: 3, reason: 'budget' });
  });

  it('stateDict round-trips; a state of another curriculum is a typed error naming the field', () => {
    const c = curriculum({ levels: [1, 2, 3], curriculum: { levelSteps: 4 } });
    c.afterStep(4);
    const state = JSON.parse(JSON.stringify(c.stateDict()));
    const d = curriculum({ levels: [1, 2, 3], curriculum: { levelSteps: 4 } });
    d.loadStateDict(state);
    expect(d.level).toBe(2);
    expect(d.history).toEqual(c.history);
    expect(d.afterStep(8)).toEqual(c.afterStep(8));
    const fieldOf = (edit: (s: typeof state) => unknown, target = curriculum({ levels: [1, 2, 3] })) => {
      try {
        target.loadStateDict(edit(structuredClone(state)) as typeof state);
      } catch (err) {
        expect(err).toBeInstanceOf(CurriculumStateError);
        return (err as CurriculumStateError).field;
      }
      throw new Error('accepted');
    };
    expect(fieldOf((s) => ({ ...s, level: 6 }))).toBe('curriculum.level');
    expect(fieldOf((s) => ({ ...s, levelStart: -1 }))).toBe('curriculum.levelStart');
    expect(fieldOf((s) => ({ ...s, history: [{ step: 1, from: 1, to: 9, reason: 'budget' }] }))).toBe('curriculum.history[0]');
    expect(fieldOf((s) => s, curriculum({ levels: [1, 2, 3], curriculum: { mode: 'mixed' } }))).toBe('curriculum.mode');
  });
});

describe('Curriculum (mixed)', () => {
  it('mixes every level by its weight (absent: 1, 0: left out) and never advances', () => {
    const c = curriculum({ levels: [1, 2, 4, 5], curriculum: { mode: 'mixed', weights: { 2: 3, 4: 0 } } });
    expect(c.levels).toEqual([1, 2, 5]);
    expect(c.weights()).toEqual({ 1: 1, 2: 3, 5: 1 });
    expect(c.level).toBe(5);
    expect(c.afterStep(1e9)).toBeNull();
    expect(c.afterEval(1, current(c, 1))).toBeNull();
  });
});

describe('Trainer with a curriculum', () => {
  it('batches follow the mixture: the share of each level in 40 batches is within 4σ of its weight', async () => {
    const t = await Trainer.create({ seed: 'mix', backend: 'js', levels: [1, 2, 3], batchSize: 50, curriculum: { mode: 'mixed', weights: { 1: 1, 2: 2, 3: 1 } }, model: { hidden: 4 } });
    const counts: Record<number, number> = { 1: 0, 2: 0, 3: 0 };
    const n = 40 * 50;
    for (let u = 0; u < 40; u++) for (const r of t.trainBatch(u)) counts[r.level]++;
    // split and answer filters act within a level, so they keep the level shares
    for (const [level, p] of [[1, 0.25], [2, 0.5], [3, 0.25]] as const) {
      expect(Math.abs(counts[level] / n - p), `level ${level}`).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('progressive: the step metrics carry the current level and the mixture, and the run moves on at the budget', async () => {
    const levels: PhaseChange[] = [];
    const t = await Trainer.create({ seed: 'prog', backend: 'js', levels: [1, 2, 3], steps: 7, batchSize: 8, evalEvery: 0, curriculum: { levelSteps: 3, replay: 0.5 }, model: { hidden: 4 } }, { onLevel: (c) => levels.push(c) });
    await t.run();
    expect(t.history.map((m) => m.level)).toEqual([1, 1, 1, 2, 2, 2, 3]);
    expect(t.history.map((m) => m.levels.sort())).toEqual([[1], [1], [1], [1, 2], [1, 2], [1, 2], [1, 2, 3]]);
    expect(levels).toEqual([
      { step: 3, from: 1, to: 2, reason: 'budget' },
      { step: 6, from: 2, to: 3, reason: 'budget' },
    ]);
    expect(t.levelHistory).toEqual(levels);
    // at level 3 with replay 0.5: half the records from level 3, the rest from levels 1 and 2
    const records = [6, 7, 8, 9, 10, 11].flatMap((u) => t.trainBatch(u));
    const share = (l: number) => records.filter((r) => r.level === l).length / records.length;
    expect(share(3)).toBeGreaterThan(0.3);
    expect(share(3)).toBeLessThan(0.7);
    expect(share(1)).toBeGreaterThan(0.1);
    expect(share(2)).toBeGreaterThan(0.1);
  });

  it("restarts the schedule at each level change, and stops when the last level's budget is spent", async () => {
    const config: TrainingConfigInput = { seed: 'restart', backend: 'js', levels: [1, 2, 3], steps: 100, batchSize: 4, evalEvery: 0, learningRate: 0.1, schedule: { kind: 'cosine', totalSteps: 4 }, curriculum: { levelSteps: { 1: 3, 2: 4, 3: 2 } }, model: { hidden: 4 } };
    const t = await Trainer.create(config);
    expect(await t.run()).toEqual({ steps: 9, reason: 'done' });
    expect(t.finished).toBe(true);
    const lr = (s: number) => 0.05 * (1 + Math.cos((Math.PI * s) / 4)); // float64 cosine, base 0.1
    const expected = [0, 1, 2, 0, 1, 2, 3, 0, 1].map(lr);
    t.history.forEach((m, i) => expect(m.lr, `update ${i + 1}`).toBeCloseTo(expected[i], 12));
    const plain = await Trainer.create({ ...config, curriculum: { ...config.curriculum, restartSchedule: false } });
    await plain.run();
    plain.history.forEach((m, i) => expect(m.lr).toBeCloseTo(lr(i), 12));
  });

  it('advances on the threshold at an evaluation (threshold 0: the first evaluation moves on)', async () => {
    const t = await Trainer.create({ seed: 'thr', backend: 'js', levels: [2, 1], steps: 4, batchSize: 8, evalEvery: 2, evalSize: 10, curriculum: { threshold: 0, levelSteps: null }, model: { hidden: 4 } });
    await t.run();
    expect(t.levelHistory).toEqual([{ step: 2, from: 1, to: 2, reason: 'threshold' }]);
    expect(t.evals.map((e) => e.level)).toEqual([1, 2]);
    expect(Object.keys(t.evals[0].perLevel)).toEqual(['1', '2']);
  });

  it('evaluations report every trained level: accuracy, mean GED, equivalence and the held-out loss', async () => {
    const t = await Trainer.create({ seed: 'ev', backend: 'wasm', levels: [1, 7], steps: 2, batchSize: 8, evalEvery: 2, evalSize: 12, testSize: 9, model: { hidden: 4 } });
    await t.run();
    const [e] = t.evals;
    expect(Object.keys(e.perLevel)).toEqual(['1', '7']);
    for (const row of Object.values(e.perLevel)) {
      expect(row.count).toBe(12);
      expect(row.loss).toBeGreaterThan(0);
      expect(row.equivalence).toBeGreaterThanOrEqual(row.accuracy);
    }
    expect(e.accuracy).toBeCloseTo((e.perLevel[1].accuracy + e.perLevel[7].accuracy) / 2, 12);
    const test = t.test();
    expect(test.step).toBe(2);
    expect(Object.values(test.perLevel).map((r) => r.count)).toEqual([9, 9]);
  });

  for (const backend of ['js', 'wasm'] as const) {
    it(`${backend}: a run interrupted before a level change and resumed after it equals the uninterrupted run, bit for bit`, async () => {
      // level 1 → 2 on the budget at step 4, 2 → 3 on the threshold (0.0) at the evaluation at step 6
      const config: TrainingConfigInput = { seed: 'resume across levels', backend, levels: [1, 2, 3], steps: 10, batchSize: 8, evalEvery: 6, evalSize: 8, curriculum: { levelSteps: { 1: 4, 2: 100 }, threshold: 0, replay: 0.25 }, schedule: { kind: 'cosine', totalSteps: 10 }, model: { hidden: 8 } };
      const whole = await Trainer.create(config);
      await whole.run();
      expect(whole.levelHistory.map((c) => [c.step, c.to, c.reason])).toEqual([[4, 2, 'budget'], [6, 3, 'threshold']]);

      const first = await Trainer.create(config);
      await first.run({ until: 3 });
      const resumed = await Trainer.resume(first.checkpoint(), { backend: await createBackend(backend) });
      await resumed.run({ until: 6 }); // stops right after the evaluation that moves on
      expect(resumed.curriculum!.level).toBe(3);
      const again = await Trainer.resume(resumed.checkpoint(), { backend: await createBackend(backend) });
      await again.run();
      const joined = [...first.history, ...resumed.history, ...again.history];
      expect(bits(joined.map((m) => m.loss))).toEqual(bits(whole.history.map((m) => m.loss)));
      expect(joined.map((m) => m.level)).toEqual(whole.history.map((m) => m.level));
      expect(again.levelHistory).toEqual(whole.levelHistory);
    }, 60_000);
  }

  it('a checkpoint with a bad curriculum state is a CheckpointError naming the field', async () => {
    const t = await Trainer.create({ seed: 'c', backend: 'js', levels: [1, 2], steps: 1, batchSize: 4, model: { hidden: 4 } });
    await t.run();
    const c = decodeCheckpoint(t.checkpoint());
    c.metadata.source = JSON.stringify({ ...JSON.parse(c.metadata.source), level: 4 });
    await expect(Trainer.resume(encodeCheckpoint(c))).rejects.toMatchObject({ field: '__metadata__.source.curriculum.level' });
    await expect(Trainer.resume(encodeCheckpoint(c))).rejects.toBeInstanceOf(CheckpointError);
  });
});
