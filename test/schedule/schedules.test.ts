// Schedules against PyTorch (test/fixtures/optim/schedules.json, from
// scripts/fixtures/sched_torch.py: torch.optim.lr_scheduler stepped as a user steps it).
// Every learning rate must match to ≤ 1e-12 relative (exactly where PyTorch's is 0), both as
// the pure function and through an LrScheduler bound to an optimizer; state dicts resume
// bit-identically.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Parameter } from '../../src/autograd/parameter';
import { createBackend, type Backend } from '../../src/backend/index';
import { Adagrad, Adam, OptimizerConfigError, SGD, StateDictError, type LrControl } from '../../src/optim/index';
import {
  chained,
  constant,
  cosine,
  cosineWarmRestarts,
  exponential,
  linear,
  linearWarmup,
  LrScheduler,
  multiStep,
  oneCycle,
  plateauStep,
  polynomial,
  ReduceLrOnPlateau,
  scheduleFromConfig,
  ScheduleRangeError,
  sequential,
  stepDecay,
  warmupCosine,
  type Schedule,
} from '../../src/schedule/index';

interface SchedCase {
  name: string;
  scheduler: string;
  optimizer: 'SGD' | 'Adam';
  base_lrs: number[];
  steps: number;
  options: Record<string, any>;
  /** lrs[group][step] */
  lrs: number[][];
  momentum?: number[][];
  /** metrics[t - 1] is fed before lrs[.][t] is recorded */
  metrics?: number[];
}

const fixture: { torch: string; cases: SchedCase[] } = JSON.parse(
  readFileSync(new URL('../fixtures/optim/schedules.json', import.meta.url), 'utf8'),
);

/** A PyTorch scheduler description as our schedule: the name mapping this test asserts. */
function ours(kind: string, o: Record<string, any>): Schedule {
  switch (kind) {
    case 'ConstantLR':
      return constant({ factor: o.factor, totalSteps: o.total_iters });
    case 'StepLR':
      return stepDecay({ stepSize: o.step_size, gamma: o.gamma });
    case 'MultiStepLR':
      return multiStep({ milestones: o.milestones, gamma: o.gamma });
    case 'ExponentialLR':
      return exponential({ gamma: o.gamma });
    case 'CosineAnnealingLR':
      return cosine({ totalSteps: o.T_max, minLr: o.eta_min });
    case 'CosineAnnealingWarmRestarts':
      return cosineWarmRestarts({ t0: o.T_0, tMult: o.T_mult, minLr: o.eta_min });
    case 'LinearLR':
      return linear({ startFactor: o.start_factor, endFactor: o.end_factor, totalSteps: o.total_iters });
    case 'PolynomialLR':
      return polynomial({ totalSteps: o.total_iters, power: o.power });
    case 'OneCycleLR':
      // max_lr equals each group's base lr in the fixtures: leave maxLr to default to it
      return oneCycle(
        dropUndefined({
          totalSteps: o.total_steps,
          pctStart: o.pct_start,
          annealStrategy: o.anneal_strategy,
          divFactor: o.div_factor,
          finalDivFactor: o.final_div_factor,
          threePhase: o.three_phase,
          baseMomentum: o.base_momentum,
          maxMomentum: o.max_momentum,
        }),
      );
    case 'SequentialLR':
      return sequential(o.schedulers.map(([k, so]: [string, any]) => ours(k, so)), o.milestones);
    case 'ChainedScheduler':
      return chained(o.schedulers.map(([k, so]: [string, any]) => ours(k, so)));
  }
  throw new Error(`no mapping for ${kind}`);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** |a − b| / |b|, and exact equality demanded where PyTorch has 0 */
function relError(a: number, b: number): number {
  if (b === 0) return a === 0 ? 0 : Infinity;
  return Math.abs(a - b) / Math.abs(b);
}

async function optimizerFor(backend: Backend, c: SchedCase): Promise<LrControl> {
  const groups = c.base_lrs.map((lr) => ({ params: [new Parameter(backend, [1])], lr }));
  return c.optimizer === 'Adam' ? new Adam(groups, { betas: [0.9, 0.999] }) : new SGD(groups, { lr: c.base_lrs[0], momentum: 0.9 });
}

const summary: string[] = [];
const scheduleCases = fixture.cases.filter((c) => c.scheduler !== 'ReduceLROnPlateau');
const plateauCases = fixture.cases.filter((c) => c.scheduler === 'ReduceLROnPlateau');

describe(`schedules match PyTorch ${fixture.torch} to ≤ 1e-12 relative`, async () => {
  const backend = await createBackend('js');

  for (const c of scheduleCases) {
    it(`${c.name} (${c.scheduler}, ${c.steps} steps × ${c.base_lrs.length} groups)`, async () => {
      const schedule = ours(c.scheduler, c.options);
      let worst = 0, worstMomentum = 0;
      c.base_lrs.forEach((base, g) => {
        for (let t = 0; t < c.steps; t++) {
          const e = relError(schedule.lr(t, base), c.lrs[g][t]);
          if (!(e <= 1e-12)) expect.fail(`group ${g} step ${t}: ours ${schedule.lr(t, base)}, PyTorch ${c.lrs[g][t]} (relative error ${e})`);
          worst = Math.max(worst, e);
          if (c.momentum) {
            const m = relError(schedule.momentum!(t)!, c.momentum[g][t]);
            if (!(m <= 1e-12)) expect.fail(`momentum, group ${g} step ${t}: ours ${schedule.momentum!(t)}, PyTorch ${c.momentum[g][t]}`);
            worstMomentum = Math.max(worstMomentum, m);
          }
        }
      });

      // the same numbers through a scheduler bound to an optimizer, and rebuilt from config
      const opt = await optimizerFor(backend, c);
      const sched = new LrScheduler(opt, schedule);
      const rebuilt = scheduleFromConfig(JSON.parse(JSON.stringify(schedule.config)));
      for (let t = 0; t < c.steps; t++) {
        if (t > 0) sched.step();
        const lrs = opt.getLrs();
        c.base_lrs.forEach((base, g) => {
          expect(lrs[g]).toBe(schedule.lr(t, base));
          expect(rebuilt.lr(t, base)).toBe(schedule.lr(t, base));
        });
        if (c.momentum) expect(opt.getMomentum(0)).toBe(schedule.momentum!(t));
      }
      summary.push(`${c.name.padEnd(30)} max relative error ${worst.toExponential(2)}${c.momentum ? `, momentum ${worstMomentum.toExponential(2)}` : ''}`);
    });
  }

  it('warmupCosine and linearWarmup are the PyTorch SequentialLR / LinearLR they stand for', () => {
    const wc = fixture.cases.find((c) => c.name === 'warmup_cosine')!;
    const [lin, cos] = wc.options.schedulers.map((s: [string, any]) => s[1]);
    const ours1 = warmupCosine({ warmupSteps: lin.total_iters, totalSteps: lin.total_iters + cos.T_max, startFactor: lin.start_factor, minLr: cos.eta_min });
    const lw = fixture.cases.find((c) => c.name === 'linear_warmup')!;
    const ours2 = linearWarmup({ warmupSteps: lw.options.total_iters, startFactor: lw.options.start_factor });
    for (const [s, c] of [[ours1, wc], [ours2, lw]] as const) {
      c.base_lrs.forEach((base, g) => {
        for (let t = 0; t < c.steps; t++) expect(relError(s.lr(t, base), c.lrs[g][t])).toBeLessThanOrEqual(1e-12);
      });
    }
  });

  for (const c of plateauCases) {
    it(`${c.name} (ReduceLROnPlateau, ${c.steps} steps): identical learning rates`, async () => {
      const o = c.options;
      const options = {
        mode: o.mode,
        factor: o.factor,
        patience: o.patience,
        threshold: o.threshold,
        thresholdMode: o.threshold_mode,
        cooldown: o.cooldown,
        minLr: o.min_lr,
      };
      const opt = await optimizerFor(backend, c);
      const plateau = new ReduceLrOnPlateau(opt, dropUndefined(options));
      let reductions = 0;
      for (let t = 1; t < c.steps; t++) {
        if (plateau.step(c.metrics![t - 1])) reductions++;
        c.base_lrs.forEach((_, g) => expect(opt.getLr(g), `group ${g} step ${t}`).toBe(c.lrs[g][t]));
      }
      expect(reductions).toBeGreaterThan(2); // the fixture exercises patience and cooldown
      summary.push(`${c.name.padEnd(30)} identical (${reductions} reductions)`);
    });
  }

  afterAll(() => {
    if (process.env.OPTIM_REPORT) console.log(`schedules vs PyTorch ${fixture.torch}:\n${summary.join('\n')}`);
  });
});

describe('schedulers resume bit-identically from a state dict', async () => {
  const backend = await createBackend('js');

  for (const c of scheduleCases) {
    it(c.name, async () => {
      const straight = new LrScheduler(await optimizerFor(backend, c), ours(c.scheduler, c.options));
      const half = Math.floor(c.steps / 2);
      const first = new LrScheduler(await optimizerFor(backend, c), ours(c.scheduler, c.options));
      for (let t = 1; t < c.steps; t++) straight.step();
      for (let t = 1; t <= half; t++) first.step();
      const saved = JSON.parse(JSON.stringify(first.stateDict()));
      // a scheduler built with some other schedule takes the saved one over
      const opt = await optimizerFor(backend, c);
      const resumed = new LrScheduler(opt, constant());
      resumed.loadStateDict(saved);
      for (let t = half + 1; t < c.steps; t++) resumed.step();
      expect(resumed.stepCount).toBe(straight.stepCount);
      expect(opt.getLrs()).toEqual(straight.optimizer.getLrs());
      expect(resumed.getLastLr()).toEqual(straight.getLastLr());
    });
  }

  it('reduce-on-plateau', async () => {
    const c = plateauCases[0];
    const options = { factor: 0.5, patience: 2, cooldown: 2, minLr: 1e-3 };
    const run = async (split: number | null) => {
      const opt = await optimizerFor(backend, c);
      let p = new ReduceLrOnPlateau(opt, options);
      for (let t = 1; t < c.steps; t++) {
        if (t === split) {
          const saved = JSON.parse(JSON.stringify(p.stateDict()));
          p = new ReduceLrOnPlateau(opt, {});
          p.loadStateDict(saved);
        }
        p.step(c.metrics![t - 1]);
      }
      return { lrs: opt.getLrs(), state: p.stateDict() };
    };
    const straight = await run(null);
    for (const split of [1, 37, 150]) expect(await run(split)).toEqual(straight);
  });
});

describe('schedule contract', () => {
  it('plateauStep is pure and is what ReduceLrOnPlateau applies', () => {
    const state = { best: 1, badSteps: 3, cooldownLeft: 0, step: 9 };
    const frozen = Object.freeze({ ...state });
    const r = plateauStep({ patience: 3, factor: 0.5 }, frozen, 2, [0.1, 0.04]);
    expect(r).toEqual({ state: { best: 1, badSteps: 0, cooldownLeft: 0, step: 10 }, lrs: [0.05, 0.02], reduced: true });
    expect(frozen).toEqual(state);
    expect(plateauStep({ mode: 'max', threshold: 0.1, thresholdMode: 'abs' }, r.state, 1.2, [0.1]).state.best).toBe(1.2);
  });

  it('typed errors name the option; steps outside the domain are ScheduleRangeErrors', async () => {
    expect(() => cosine({ totalSteps: 0 })).toThrow(/cosine\.totalSteps: expected a value >= 1/);
    expect(() => multiStep({ milestones: [5, 3] })).toThrow(/multiStep\.milestones\[1\]: milestones must not decrease/);
    expect(() => sequential([constant(), cosine({ totalSteps: 5 })], [])).toThrow(/expected 1 milestones/);
    expect(() => stepDecay({ stepSize: 3, gama: 0.5 } as object as { stepSize: number })).toThrow(/stepDecay\.gama: unknown option/);
    expect(() => scheduleFromConfig({ kind: 'cyclic' })).toThrow(/unknown schedule 'cyclic'/);
    expect(() => oneCycle({ totalSteps: 10 }).lr(11, 0.1)).toThrow(ScheduleRangeError);
    expect(() => exponential({ gamma: 0.9 }).lr(-1, 0.1)).toThrow(ScheduleRangeError);
    expect(() => exponential({ gamma: 0.9 }).lr(1.5, 0.1)).toThrow(ScheduleRangeError);
    const backend = await createBackend('js');
    const noMomentum = new SGD([new Parameter(backend, [1])], { lr: 0.1 });
    // one-cycle cycles momentum: SGD without momentum has a momentum of 0 but no buffer
    expect(() => new LrScheduler(noMomentum, oneCycle({ totalSteps: 10 }))).toThrow(OptimizerConfigError);
    expect(() => new LrScheduler(new Adagrad([new Parameter(backend, [1])]), oneCycle({ totalSteps: 10 }))).toThrow(/cycles momentum, which Adagrad does not have/);
    expect(new LrScheduler(new Adagrad([new Parameter(backend, [1])]), oneCycle({ totalSteps: 10, cycleMomentum: false })).getLastLr()[0]).toBeCloseTo(0.01 / 25, 15);
    const opt = new SGD([new Parameter(backend, [1])], { lr: 0.1, momentum: 0.9 });
    const sched = new LrScheduler(opt, cosine({ totalSteps: 10 }));
    expect(() => sched.loadStateDict({ schedule: { kind: 'cosine', totalSteps: 10 }, step: 3, baseLrs: [0.1, 0.2] })).toThrow(StateDictError);
    expect(() => sched.loadStateDict({ schedule: { kind: 'cosine', totalSteps: -1 }, step: 3, baseLrs: [0.1] })).toThrow(StateDictError);
    expect(() => new ReduceLrOnPlateau(opt, { factor: 1 })).toThrow(/factor/);
    expect(() => new ReduceLrOnPlateau(opt, { minLr: [0, 0] })).toThrow(/one per group/);
  });
});
