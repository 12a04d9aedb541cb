// The optimizer contract: state dict round trips resume bit-identically, non-finite
// gradients skip the update, parameter groups, learning-rate access, typed errors.
import { describe, expect, it } from 'vitest';
import { Parameter } from '../../src/autograd/parameter';
import { createBackend, type Backend } from '../../src/backend/index';
import { GraphemeError } from '../../src/errors';
import {
  Adagrad,
  Adam,
  AdamW,
  OptimizerConfigError,
  RMSprop,
  SGD,
  StateDictError,
  type OptimizerState,
} from '../../src/optim/index';
import { createBothBackends, expectSameF32 } from '../backend/harness';
import { loadTrajectories, referenceUpdater } from './reference';
import { startCase } from './run-case';

const fixture = loadTrajectories();

/** JSON round trip of a state dict (typed arrays become plain arrays, as in a checkpoint file). */
function viaJson(sd: OptimizerState): OptimizerState {
  return JSON.parse(JSON.stringify(sd, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
}

describe('stateDict / loadStateDict', async () => {
  const backends = await createBothBackends();
  for (const backend of backends) {
    for (const c of fixture.cases.filter((c) => c.problem === 'quadratic')) {
      it(`${backend.name}: ${c.name} resumed at update 500 continues bit-identically`, async () => {
        const straight = startCase(fixture, backend, c);
        for (let t = 0; t < 1000; t++) straight.update();

        const first = startCase(fixture, backend, c);
        for (let t = 0; t < 500; t++) first.update();
        const saved = viaJson(first.opt.stateDict());
        const weights = first.read();

        // a fresh backend (fresh heap), as after a restart
        const fresh = await createBackend(backend.name);
        const resumed = startCase(fixture, fresh, c, weights);
        resumed.opt.loadStateDict(saved);
        expect(resumed.opt.stepCount).toBe(500);
        for (let t = 0; t < 500; t++) resumed.update();

        expectSameF32(resumed.read(), straight.read(), `${c.name} weights after 1000 updates`);
        const [a, b] = [resumed.opt.stateDict(), straight.opt.stateDict()];
        expect(a.step).toBe(1000);
        a.state.forEach((entry, i) => {
          for (const name of Object.keys(entry.buffers)) expectSameF32(entry.buffers[name], b.state[i].buffers[name], `state[${i}].${name}`);
        });
        expect(a.paramGroups).toEqual(b.paramGroups);
      });
    }
  }

  it('rejects a state dict of another optimizer, other sizes or other buffers, changing nothing', async () => {
    const backend = await createBackend('js');
    const p = new Parameter(backend, [5], 'w', [1, 2, 3, 4, 5]);
    const adam = new Adam([p], { lr: 0.1 });
    p.grad.fill(0.5);
    adam.step();
    const sd = adam.stateDict();
    const before = JSON.stringify(viaJson(sd));

    const other = new Parameter(backend, [4], 'v');
    expect(() => new Adam([other]).loadStateDict(sd)).toThrow(StateDictError);
    expect(() => new AdamW([new Parameter(backend, [5])]).loadStateDict(sd)).toThrow(/saved by Adam, loading into AdamW/);
    expect(() => new Adam([new Parameter(backend, [5])], { amsgrad: true }).loadStateDict(sd)).toThrow(/buffers: expected \{expAvg, expAvgSq, maxExpAvgSq\}/);
    const short = viaJson(sd);
    short.state[0].buffers.expAvg = [1, 2];
    const target = new Adam([new Parameter(backend, [5])]);
    expect(() => target.loadStateDict(short)).toThrow(/state\[0\]\.buffers\.expAvg: expected 5 values, got 2/);
    expect(target.stepCount).toBe(0);
    const badOptions = viaJson(sd);
    badOptions.paramGroups[0].options.betas = [1.5, 0.999];
    expect(() => target.loadStateDict(badOptions)).toThrow(StateDictError);
    expect(JSON.stringify(viaJson(adam.stateDict()))).toBe(before);
  });
});

describe('non-finite gradients skip the update', async () => {
  const backends = await createBothBackends();
  for (const backend of backends) {
    it(`${backend.name}: NaN and ±Inf never reach weights or state, and are counted`, () => {
      const a = new Parameter(backend, [7], 'a', [1, -2, 3, -4, 5, -6, 7]);
      const b = new Parameter(backend, [9], 'b', Array.from({ length: 9 }, (_, i) => i / 4));
      const opt = new Adam([a, b], { lr: 0.01, amsgrad: true });
      const grads = (t: number) => [Array.from({ length: 7 }, (_, i) => Math.sin(i + t)), Array.from({ length: 9 }, (_, i) => Math.cos(i * t))];
      const setGrads = (t: number) => {
        const [ga, gb] = grads(t);
        a.grad.set(ga);
        b.grad.set(gb);
      };
      // the same run without the bad steps, on a twin set of parameters
      const a2 = new Parameter(backend, [7], 'a', a.data);
      const b2 = new Parameter(backend, [9], 'b', b.data);
      const clean = new Adam([a2, b2], { lr: 0.01, amsgrad: true });

      for (let t = 1; t <= 6; t++) {
        setGrads(t);
        expect(opt.step()).toBe(true);
        const [ga, gb] = grads(t);
        a2.grad.set(ga);
        b2.grad.set(gb);
        clean.step();
        if (t === 2 || t === 4) {
          const weights = [a.data.slice(), b.data.slice()];
          const state = JSON.stringify(viaJson(opt.stateDict()));
          setGrads(t + 100);
          b.grad[8] = t === 2 ? NaN : -Infinity;
          b.grad[0] = Infinity;
          expect(opt.step()).toBe(false);
          expect(opt.lastNonFiniteCount).toBe(2);
          expectSameF32(a.data, weights[0], 'a untouched');
          expectSameF32(b.data, weights[1], 'b untouched');
          expect(JSON.stringify(viaJson(opt.stateDict()))).toBe(state.replace(/"skippedSteps":\d+/, `"skippedSteps":${t / 2}`));
        }
      }
      expect(opt.skippedSteps).toBe(2);
      expect(opt.stepCount).toBe(6);
      // skipping left no trace: bias correction continued from the right step
      expectSameF32(a.data, a2.data, 'a equals the run without bad steps');
      expectSameF32(b.data, b2.data, 'b equals the run without bad steps');
    });
  }
});

describe('parameter groups and learning rates', async () => {
  const backend: Backend = await createBackend('wasm');

  it('each group uses its own lr and weightDecay; getLr/setLr act per group or on all', () => {
    const a = new Parameter(backend, [6], 'a', [1, 2, 3, 4, 5, 6]);
    const b = new Parameter(backend, [5], 'b', [-1, -2, -3, -4, -5]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.05, weightDecay: 0.1 }], { lr: 0.2, momentum: 0.5 });
    expect(opt.getLrs()).toEqual([0.2, 0.05]);
    expect(opt.paramGroups[1].options).toMatchObject({ lr: 0.05, weightDecay: 0.1, momentum: 0.5 });
    const ra = referenceUpdater('SGD', { lr: 0.2, momentum: 0.5 }, 6);
    const rb = referenceUpdater('SGD', { lr: 0.05, momentum: 0.5, weight_decay: 0.1 }, 5);
    const xa = Float64Array.from(a.data), xb = Float64Array.from(b.data);
    for (let t = 1; t <= 20; t++) {
      if (t === 8) opt.setLr(0.1, 0);
      if (t === 15) opt.setLr(0.01);
      const g = (i: number) => Math.fround(Math.sin(i * t));
      a.grad.set(Array.from({ length: 6 }, (_, i) => g(i)));
      b.grad.set(Array.from({ length: 5 }, (_, i) => g(i + 6)));
      opt.step();
      // the reference with the same lr changes
      ra(xa, Float64Array.from(a.grad), t, t >= 15 ? 0.01 : t >= 8 ? 0.1 : 0.2);
      rb(xb, Float64Array.from(b.grad), t, t >= 15 ? 0.01 : 0.05);
    }
    expect(opt.getLr(0)).toBe(0.01);
    expect(opt.getLr(1)).toBe(0.01);
    for (let i = 0; i < 6; i++) expect(a.data[i]).toBeCloseTo(xa[i], 5);
    for (let i = 0; i < 5; i++) expect(b.data[i]).toBeCloseTo(xb[i], 5);
  });

  it('zeroGrad clears every gradient; frozen parameters are not updated', () => {
    const a = new Parameter(backend, [3], 'a', [1, 2, 3]);
    const b = new Parameter(backend, [3], 'b', [1, 2, 3]);
    const opt = new AdamW([a, b], { lr: 0.1 });
    a.grad.fill(1);
    b.grad.fill(1);
    (b as { requiresGrad?: boolean }).requiresGrad = false;
    b.grad[1] = NaN; // a frozen parameter's gradient is not looked at either
    expect(opt.step()).toBe(true);
    expect(Array.from(b.data)).toEqual([1, 2, 3]);
    expect(a.data.every((v, i) => v < i + 1)).toBe(true);
    opt.zeroGrad();
    expect(Array.from(a.grad)).toEqual([0, 0, 0]);
    expect(Array.from(b.grad)).toEqual([0, 0, 0]);
  });

  it('getMomentum/setMomentum address SGD/RMSprop momentum and Adam beta1', () => {
    const p = () => new Parameter(backend, [2]);
    const sgd = new SGD([p()], { lr: 0.1, momentum: 0.9 });
    sgd.setMomentum(0.85);
    expect(sgd.getMomentum()).toBe(0.85);
    const adam = new Adam([p()]);
    adam.setMomentum(0.8);
    expect(adam.paramGroups[0].options.betas).toEqual([0.8, 0.999]);
    const rms = new RMSprop([p()], { momentum: 0.5 });
    rms.setMomentum(0.6, 0);
    expect(rms.getMomentum(0)).toBe(0.6);
    expect(new Adagrad([p()]).getMomentum()).toBeUndefined();
    expect(() => new Adagrad([p()]).setMomentum(0.9)).toThrow(OptimizerConfigError);
    // momentum on an SGD built without it would need a buffer that does not exist
    expect(() => new SGD([p()], { lr: 0.1 }).setMomentum(0.9)).toThrow(/momentumBuffer/);
    expect(() => new Adam([p()]).setOptions(0, { amsgrad: true })).toThrow(/maxExpAvgSq/);
  });
});

describe('typed configuration errors say which field', async () => {
  const backend = await createBackend('js');
  const p = () => new Parameter(backend, [3]);
  const cases: [string, () => unknown, RegExp][] = [
    ['SGD without lr', () => new SGD([p()], {} as { lr: number }), /options\.lr/],
    ['negative lr', () => new Adam([p()], { lr: -1 }), /options\.lr: expected a value >= 0/],
    ['beta out of range', () => new Adam([{ params: [p()] }, { params: [p()], betas: [0.9, 1] }]), /paramGroups\[1\]\.betas\[1\]/],
    ['PyTorch spelling', () => new Adam([p()], { weight_decay: 0.1 } as object), /options\.weight_decay: unknown option/],
    ['nesterov with dampening', () => new SGD([p()], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /nesterov/],
    ['duplicate parameter', () => { const q = p(); return new Adam([{ params: [q] }, { params: [q] }]); }, /paramGroups\[1\]\.params\[0\].*already in paramGroups\[0\]\.params\[0\]/],
    ['empty params', () => new Adam([]), /params/],
    ['empty group', () => new Adam([{ params: [] }]), /paramGroups\[0\]\.params/],
    ['not a parameter', () => new Adam([{} as Parameter]), /expected a Parameter/],
    ['NaN eps', () => new RMSprop([p()], { eps: NaN }), /options\.eps: expected a finite number/],
    ['bad group index', () => new Adam([p()]).getLr(3), /no parameter group 3/],
    ['negative lrDecay', () => new Adagrad([p()], { lrDecay: -1 }), /lrDecay/],
  ];
  for (const [name, make, message] of cases) {
    it(name, () => {
      let caught: unknown;
      try {
        make();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(OptimizerConfigError);
      expect(caught).toBeInstanceOf(GraphemeError);
      expect(String((caught as Error).message)).toMatch(message);
    });
  }
  it('parameters from two backends cannot share an optimizer', async () => {
    const other = await createBackend('js');
    expect(() => new Adam([p(), new Parameter(other, [3])])).toThrow(/another backend/);
  });
});

