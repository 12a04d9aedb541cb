// Idle parameters (src/optim/optimizer.ts, IDLE PARAMETERS): a parameter with an all-zero
// gradient and all-zero state is not handed to the kernel when that update is the identity.
// Oracle: the float64 reference (every parameter updated every step, zero gradients
// included), and the kernel calls counted on the side.
import { describe, expect, it } from 'vitest';
import { Parameter } from '../../src/autograd/parameter';
import { createBackend } from '../../src/backend/index';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer } from '../../src/optim/index';
import { normwiseRelativeError, ourOptionNames, referenceUpdater, type TorchOptions, type TrajectoryCase } from './reference';

const CONSTRUCTORS = { SGD, Adam, AdamW, RMSprop, Adagrad } as const;
const KERNELS = { SGD: ['sgdStep', 'sgdMomentumStep'], Adam: ['adamStep', 'adamAmsgradStep'], AdamW: ['adamStep', 'adamAmsgradStep'], RMSprop: ['rmspropStep'], Adagrad: ['adagradStep'] } as const;

const CASES: { kind: TrajectoryCase['optimizer']; options: TorchOptions; skips: boolean }[] = [
  { kind: 'SGD', options: { lr: 0.05 }, skips: true },
  { kind: 'SGD', options: { lr: 0.05, momentum: 0.9, nesterov: true }, skips: true },
  { kind: 'Adam', options: { lr: 0.01 }, skips: true },
  { kind: 'Adam', options: { lr: 0.01, amsgrad: true }, skips: true },
  { kind: 'AdamW', options: { lr: 0.01, weight_decay: 0 }, skips: true },
  { kind: 'RMSprop', options: { lr: 0.01, momentum: 0.5, centered: true }, skips: true },
  { kind: 'Adagrad', options: { lr: 0.05 }, skips: true },
  // the update of a zero gradient is not the identity: weight decay, eps = 0 (0 / 0), a nonzero accumulator
  { kind: 'Adam', options: { lr: 0.01, weight_decay: 0.1 }, skips: false },
  { kind: 'AdamW', options: { lr: 0.01 }, skips: false },
  { kind: 'SGD', options: { lr: 0.05, weight_decay: 0.1 }, skips: false },
  { kind: 'Adagrad', options: { lr: 0.05, initial_accumulator_value: 0.1 }, skips: false },
];

// parameter b's gradient is zero on these updates (1-based), nonzero on the others
const B_IDLE = new Set([1, 2, 3, 6, 7, 8, 9]);
const STEPS = 9;

function gradients(t: number, sizes: number[]): Float64Array[] {
  return sizes.map((n, pi) => Float64Array.from({ length: n }, (_, i) => (pi === 1 && B_IDLE.has(t) ? 0 : Math.sin(1.7 * t + 0.9 * i + pi) * (1 + i))));
}

describe('optimizers leave idle parameters to themselves, exactly', async () => {
  const backend = await createBackend('wasm');

  for (const c of CASES) {
    it(`${c.kind} ${JSON.stringify(c.options)}: ${c.skips ? 'skips b while it is idle' : 'updates b every step'}, and matches the float64 reference`, () => {
      const sizes = [5, 7];
      const x0 = [Array.from({ length: 5 }, (_, i) => 0.3 * i - 0.5), Array.from({ length: 7 }, (_, i) => 0.25 - 0.1 * i)];
      const params = sizes.map((n, pi) => new Parameter(backend, [n], `p${pi}`, x0[pi]));
      const Ctor = CONSTRUCTORS[c.kind] as unknown as new (p: unknown, o: unknown) => Optimizer<never>;
      const opt = new Ctor(params, ourOptionNames(c.options));
      // the same optimizer that never skips: the skip must leave every bit as it would be
      const Unskipped = class extends (CONSTRUCTORS[c.kind] as unknown as typeof Adam) {
        protected override idleIsExact(): boolean {
          return false;
        }
      };
      const twins = sizes.map((n, pi) => new Parameter(backend, [n], `q${pi}`, x0[pi]));
      const unskipped = new Unskipped(twins, ourOptionNames(c.options) as never);
      const reference = sizes.map((n) => referenceUpdater(c.kind, c.options, n));
      const x = x0.map((v) => Float64Array.from(v));
      // count the kernel calls on b's weights
      const k = backend.kernels as unknown as Record<string, (...a: number[]) => unknown>;
      let callsOnB = 0;
      const originals = KERNELS[c.kind].map((name) => [name, k[name]] as const);
      for (const [name, fn] of originals) k[name] = (...a: number[]) => ((callsOnB += a[0] === params[1].ptr ? 1 : 0), fn(...a));
      try {
        for (let t = 1; t <= STEPS; t++) {
          const g = gradients(t, sizes);
          params.forEach((p, pi) => p.grad.set(g[pi]));
          twins.forEach((p, pi) => p.grad.set(g[pi]));
          expect(unskipped.step()).toBe(true);
          const before = callsOnB;
          const bBefore = params[1].data.slice();
          expect(opt.step()).toBe(true);
          const bits = (xs: Float32Array[]) => xs.flatMap((x) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length)));
          expect(bits(params.map((p) => p.data)), `weights after update ${t}, bit for bit`).toEqual(bits(twins.map((p) => p.data)));
          expect(JSON.stringify(opt.stateDict().state), `state after update ${t}`).toEqual(JSON.stringify(unskipped.stateDict().state));
          sizes.forEach((_, pi) => reference[pi](x[pi], g[pi], t));
          for (const pi of [0, 1]) expect(normwiseRelativeError(params[pi].data, x[pi]), `p${pi} after update ${t}`).toBeLessThan(2e-6);
          const skipped = callsOnB === before;
          // b is idle only until its first gradient (update 4): its state is not zero afterwards
          expect(skipped, `b skipped at update ${t}`).toBe(c.skips && t <= 3);
          if (skipped) expect(params[1].data).toEqual(bBefore);
        }
      } finally {
        for (const [name, fn] of originals) k[name] = fn;
      }
    });
  }

  it('a loaded state with moments keeps a zero-gradient parameter moving (not skipped)', () => {
    const a = new Parameter(backend, [6], 'a', [0.1, -0.2, 0.3, -0.4, 0.5, -0.6]);
    const opt = new Adam([a], { lr: 0.01 });
    a.grad.set([1, 2, 3, 4, 5, 6]);
    opt.step();
    const state = opt.stateDict();
    const b = new Parameter(backend, [6], 'b', Array.from(a.data));
    const resumed = new Adam([b], { lr: 0.01 });
    resumed.loadStateDict(state);
    b.grad.fill(0);
    const before = b.data.slice();
    resumed.step();
    // the first moment carries the last gradient on: every weight moves
    for (let i = 0; i < 6; i++) expect(b.data[i], `b[${i}]`).not.toBe(before[i]);
    // and exactly as in the run that was not interrupted
    a.grad.fill(0);
    opt.step();
    expect(b.data).toEqual(a.data);
  });
});
