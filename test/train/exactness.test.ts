// Stages, snap-and-freeze and frozen groups through the Trainer (issue "Levels 1–4 learned
// exactly"): a stage change narrows the batches, a snap that costs validation accuracy is
// reverted, frozen weights stay bit-identical under Adam, and a resume across a stage change
// and across a snap continues bit for bit.
import { describe, expect, it } from 'vitest';
import { Parameter } from '../../src/autograd/index';
import { createBackend } from '../../src/backend/index';
import { Exactness } from '../../src/train/exactness';
import { Curriculum, Trainer, validateConfig, type TrainingConfigInput } from '../../src/train/index';

const bits = (xs: number[]) => xs.map((x) => new BigUint64Array(new Float64Array([x]).buffer)[0].toString(16));
/** Edges on the longest root-to-leaf path: the nesting of the parentheses. */
function maxDepth(polish: string): number {
  let d = 0;
  let max = 0;
  for (const ch of polish) {
    if (ch === '(') max = Math.max(max, ++d);
    if (ch === ')') d--;
  }
  return max;
}

describe('curriculum stages', () => {
  it("'depth' trains level 2 at depth 1, then ≤ 2, then ≤ 3, replaying the earlier stages; the threshold ends a level only in its last stage", () => {
    const c = new Curriculum(validateConfig({ levels: [1, 2], curriculum: { stages: 'depth', stageSteps: { 1: [10], 2: [10, 10, 10] }, replay: 0.25, threshold: 0.5 } }));
    expect(c.stagesOf(1)).toEqual([null]);
    expect(c.stagesOf(2)).toEqual([1, 2, 3]);
    expect(c.afterStep(10)).toEqual({ step: 10, from: 1, to: 2, reason: 'budget', stage: 0 });
    const stage0 = c.batch({ update: 10, micro: 0, micros: 1, size: 64 });
    expect(stage0.filter((r) => r.level === 2).every((r) => maxDepth(r.polish) <= 1)).toBe(true);
    expect(stage0.filter((r) => r.level === 1)).toHaveLength(16); // replay 0.25 of 64, all from level 1's one stage
    expect(c.afterEval(12, { 1: 1, 2: 1 })).toBeNull(); // not in the last stage
    expect(c.afterStep(20)).toEqual({ step: 20, from: 2, to: 2, reason: 'budget', stage: 1 });
    expect(c.pairs().map((p) => [p.level, p.stage, p.weight])).toEqual([[2, 1, 0.75], [1, 0, 0.125], [2, 0, 0.125]]);
    const stage1 = c.batch({ update: 20, micro: 0, micros: 1, size: 64 }).filter((r) => r.level === 2);
    expect(Math.max(...stage1.map((r) => maxDepth(r.polish)))).toBe(2);
    c.afterStep(30);
    expect(c.currentStage).toBe(2);
    expect(c.afterEval(31, { 1: 1, 2: 0.6 })).toBeNull(); // the last level: nothing to advance to
    expect(c.finished(39)).toBe(false);
    expect(c.finished(40)).toBe(true);
  });

  it('the forgetting guard gives a level that fell below its best `boost`× its replay share', () => {
    const c = new Curriculum(validateConfig({ levels: [1, 2, 3], curriculum: { levelSteps: 10, replay: 0.4, guard: { drop: 0.05, boost: 3 } } }));
    c.afterEval(5, { 1: 0.9, 2: 0.1, 3: 0 });
    c.afterStep(10);
    c.afterStep(20);
    c.afterEval(21, { 1: 0.9, 2: 0.5, 3: 0 });
    expect(c.pairs().map((p) => p.weight)).toEqual([0.6, 0.2, 0.2]);
    c.afterEval(22, { 1: 0.7, 2: 0.5, 3: 0 }); // level 1 fell 0.2 below its best
    const w = c.pairs().map((p) => p.weight);
    expect(w[0]).toBe(0.6);
    expect(w[1]).toBeCloseTo(0.3, 12);
    expect(w[2]).toBeCloseTo(0.1, 12);
  });
});

describe('snap-and-freeze', () => {
  it('a snap that makes a level fall is reverted: the weights come back and stay unfrozen', async () => {
    const backend = await createBackend('js');
    const w = new Parameter(backend, [1, 1], 'k.units', [0.93]);
    // the probe likes the lattice point 1; the validation does not
    const model = {
      parameterGroups: () => ({ values: [w] }),
      evaluate: (records: readonly number[]) => ({ count: records.length, accuracy: w.data[0] === 1 ? 1 : 0.5 }),
    };
    const exact = new Exactness(validateConfig({ exactness: { snapAt: [1] } }).exactness!, model);
    for (let i = 0; i < 60; i++) {
      w.grad[0] = 1;
      exact.afterBackward(i, 100); // the data reaches w
    }
    const validation = () => ({ 1: w.data[0] === 1 ? 0.2 : 0.9 });
    const probe = Array.from({ length: 12 }, (_, i) => i);
    const events = exact.snap(100, probe, validation);
    expect(events).toEqual([{ step: 100, group: 'values', kept: false, detail: 'reverted: level 1 fell' }]);
    expect(w.data[0]).toBe(Math.fround(0.93));
    expect(exact.mask.isFrozen(w, 0)).toBe(false);
    // the same snap is kept when no level falls
    const kept = exact.snap(101, probe, () => ({ 1: 0.9 }));
    expect(kept.map((e) => e.kept)).toEqual([true]);
    expect([w.data[0], exact.mask.isFrozen(w, 0)]).toEqual([1, true]);
  });
});

// level 1's kinds are reached for 60 updates (50 make an element 'reached'), snapped at update 60
const staged = (backend: 'js' | 'wasm'): TrainingConfigInput => ({
  seed: 'stages', backend, levels: [1, 2], steps: 120, batchSize: 16, learningRate: 3e-2, groupLr: { state: 0.1 },
  curriculum: { stages: 'depth', stageSteps: { 1: [60], 2: [20, 20, 20] }, replay: 0.3, threshold: 1, guard: { drop: 0.01, boost: 4 } },
  exactness: { snapAt: [0.5, 1], probeSize: 40 }, evalEvery: 10, evalSize: 12, testSize: 12,
  model: { hidden: 4, binaryUnits: ['product', 'ratio', 'power'], exact: true },
});

/** The levels of the records the trainer's (leader's) model evaluates from now on. */
function levelsEvaluated(t: Trainer): Set<number> {
  const model = t.model as unknown as { evaluate(records: readonly { level: number }[]): unknown };
  const evaluate = model.evaluate.bind(model);
  const seen = new Set<number>();
  model.evaluate = (records) => {
    for (const r of records) seen.add(r.level);
    return evaluate(records);
  };
  return seen;
}

describe('the Trainer with stages and exactness', () => {
  it("a snap's validation reads the trained levels only (a level not trained yet is at chance), on 1 and on 2 workers", async () => {
    for (const workers of [1, 2]) {
      const t = await Trainer.create({ ...staged('wasm'), levels: [1, 2, 5], workers, accumulationSteps: 2, batchSize: 8 });
      try {
        // the levels of the records the leader's model evaluates during snapNow (its share of the chunks, and the probe)
        const seen = levelsEvaluated(t);
        for (let i = 0; i < 60; i++) await t.stepAsync(); // level 1's snap points at 30 and 60
        expect(t.snaps.length).toBeGreaterThan(0);
        expect([...seen].sort()).toEqual([1]);
        // an evaluation still covers every level, and a masked one gives the unmasked figures of its levels
        seen.clear();
        const all = await t.evaluateAsync();
        expect(Object.keys(all.perLevel).sort()).toEqual(['1', '2', '5']);
        const figures = (t as unknown as { figuresOnWorkersSync(s: string, n: number, w: undefined, l: boolean, only: string[]): Record<string, { count: number; accuracy: number }> }).figuresOnWorkersSync('val', 12, undefined, false, ['2', '5']);
        expect(Object.keys(figures)).toEqual(['2', '5']);
        expect(figures['5'].count).toBe(12);
        expect(figures['2'].accuracy).toBeCloseTo(all.perLevel['2'].accuracy, 12);
      } finally {
        t.close();
      }
    }
  }, 60_000);

  it('snap points over transferred buffers (their validation waits synchronously: this thread computes it) give the shared-memory run bit for bit', async () => {
    const runs = [];
    for (const sharedMemory of [true, false]) {
      const t = await Trainer.create({ ...staged('wasm'), workers: 2, accumulationSteps: 2, batchSize: 8, steps: 70 }, { sharedMemory });
      try {
        const losses = [];
        for (let i = 0; i < 70; i++) losses.push((await t.stepAsync()).loss);
        runs.push({ losses, snaps: [...t.snaps], weights: t.parameters().map((p) => Array.from(p.data)), evaluation: t.evaluate().perLevel });
      } finally {
        t.close();
      }
    }
    expect(runs[0].snaps.length).toBeGreaterThan(0);
    expect(runs[1]).toEqual(runs[0]);
  }, 60_000);

  it("with replay 0 a snap at level 2 still validates level 1 (a level left behind), not level 5", async () => {
    // level 2's kinds are reached for 60 updates (50 make an element 'reached'), snapped at update 90
    const t = await Trainer.create({ ...staged('wasm'), levels: [1, 2, 5], steps: 200, curriculum: { stages: 'depth', stageSteps: { 1: [30], 2: [60, 20, 20] }, replay: 0, threshold: 1 }, exactness: { snapAt: [1], probeSize: 40 } });
    try {
      const seen = levelsEvaluated(t);
      for (let i = 0; i < 30; i++) t.trainStep();
      seen.clear();
      const snapsBefore = t.snaps.length;
      for (let i = 0; i < 60; i++) t.trainStep();
      expect(t.snaps.length).toBeGreaterThan(snapsBefore); // level 2's kinds were snapped: validation ran
      expect(seen.has(1)).toBe(true);
      expect(seen.has(5)).toBe(false);
    } finally {
      t.close();
    }
  }, 60_000);

  it('freezeGroups: a group frozen from a level on stays bit-identical through it while the others train', async () => {
    const t = await Trainer.create({ ...staged('js'), steps: 80, freezeGroups: { state: 2 } });
    await t.run({ until: 60 });
    const state = t.model.parameterGroups().state;
    const values = t.model.parameterGroups().values.filter((p) => !p.name.startsWith('+') && !p.name.startsWith('-'));
    const before = state.map((p) => p.data.slice());
    const valuesBefore = values.map((p) => p.data.slice());
    await t.run();
    expect(state.map((p) => Array.from(p.data))).toEqual(before.map((d) => Array.from(d)));
    expect(values.some((p, i) => p.data.some((x, j) => x !== valuesBefore[i][j]))).toBe(true);
    await expect(Trainer.create({ ...staged('js'), freezeGroups: { nope: 2 } })).rejects.toThrow(/freezeGroups.nope/);
  });

  for (const backend of ['js', 'wasm'] as const) {
    it(`${backend}: frozen weights stay bit-identical under Adam; a resume across a snap and a stage change continues bit for bit`, async () => {
      const whole = await Trainer.create(staged(backend));
      await whole.run({ until: 60 });
      expect(whole.snaps.length).toBeGreaterThan(0);
      const exact = whole.exactness!;
      const frozen = whole.parameters().flatMap((p) => Array.from({ length: p.size }, (_, i) => [p, i] as const)).filter(([p, i]) => exact.mask.isFrozen(p, i));
      expect(frozen.length).toBeGreaterThan(0);
      const values = frozen.map(([p, i]) => p.data[i]);
      await whole.run({ until: 75 });
      expect(frozen.map(([p, i]) => p.data[i])).toEqual(values); // 15 Adam updates later, to the bit
      await whole.run();
      expect(whole.levelHistory.map((c) => [c.step, c.to, (c as { stage?: number }).stage])).toEqual([[60, 2, 0], [80, 2, 1], [100, 2, 2]]);

      // interrupted after the first snaps and the level change, then after a stage change
      const first = await Trainer.create(staged(backend));
      await first.run({ until: 62 });
      const second = await Trainer.resume(first.checkpoint(), { backend: await createBackend(backend) });
      await second.run({ until: 95 });
      const third = await Trainer.resume(second.checkpoint(), { backend: await createBackend(backend) });
      await third.run();
      const joined = [...first.history, ...second.history, ...third.history];
      expect(bits(joined.map((m) => m.loss))).toEqual(bits(whole.history.map((m) => m.loss)));
      expect([...first.snaps, ...second.snaps, ...third.snaps]).toEqual(whole.snaps);
      expect(third.levelHistory).toEqual(whole.levelHistory);
    }, 120_000);
  }
});
