// Gradient clipping (PyTorch's clip_grad_norm_ / clip_grad_value_ semantics) and gradient
// accumulation, against float64 formulas written out here, on both backends.
import { describe, expect, it } from 'vitest';
import { Parameter } from '../../src/autograd/parameter';
import type { Backend } from '../../src/backend/index';
import { Adam, clipGradNorm, clipGradValue, gradNorm, OptimizerConfigError } from '../../src/optim/index';
import { createBothBackends, expectSameF32, TestRandom } from '../backend/harness';

function makeParams(backend: Backend, r: TestRandom, scale: number): Parameter[] {
  // sizes with and without SIMD tails, and one long enough for many vectors
  return [5, 16, 1003, 1].map((n, i) => {
    const p = new Parameter(backend, [n], `p${i}`);
    p.grad.set(r.f32(n, -scale, scale));
    return p;
  });
}

/** (Σ |g|^p)^(1/p) over all gradients, in float64; max |g| for p = Infinity */
function plainNorm(params: Parameter[], p: number): number {
  const all = params.flatMap((q) => Array.from(q.grad));
  if (p === Infinity) return Math.max(...all.map(Math.abs));
  return all.reduce((s, v) => s + Math.abs(v) ** p, 0) ** (1 / p);
}

describe('gradient clipping', async () => {
  const backends = await createBothBackends();
  for (const backend of backends) {
    for (const normType of [2, 1, 3, Infinity]) {
      it(`${backend.name}: clipGradNorm (norm ${normType}) returns the norm before clipping and scales to maxNorm`, () => {
        const r = new TestRandom(normType === Infinity ? 99 : 7 + normType);
        const params = makeParams(backend, r, 2);
        const before = params.map((p) => Float64Array.from(p.grad));
        const expected = plainNorm(params, normType);
        expect(gradNorm(params, normType)).toBeCloseTo(expected, 8);
        const maxNorm = expected / 3;
        const total = clipGradNorm(params, maxNorm, normType);
        expect(Math.abs(total - expected) / expected).toBeLessThan(1e-12);
        const coef = maxNorm / (expected + 1e-6); // PyTorch's clip coefficient
        params.forEach((p, i) => {
          for (let j = 0; j < p.size; j++) expect(p.grad[j]).toBe(Math.fround(Math.fround(coef) * before[i][j]));
        });
        expect(Math.abs(plainNorm(params, normType) - maxNorm) / maxNorm).toBeLessThan(1e-5);
      });
    }

    it(`${backend.name}: clipGradNorm below the limit leaves gradients untouched`, () => {
      const params = makeParams(backend, new TestRandom(3), 0.01);
      const before = params.map((p) => p.grad.slice());
      const total = clipGradNorm(params, 1e3);
      expect(total).toBeCloseTo(plainNorm(params, 2), 10);
      params.forEach((p, i) => expectSameF32(p.grad, before[i], p.name));
    });

    it(`${backend.name}: a non-finite gradient gives a non-finite norm and the optimizer skips the update`, () => {
      const params = makeParams(backend, new TestRandom(4), 1);
      params[2].grad[500] = NaN;
      const before = params.map((p) => p.grad.slice());
      expect(clipGradNorm(params, 0.1)).toBeNaN();
      params.forEach((p, i) => expectSameF32(p.grad, before[i], `${p.name} left alone`));
      params[2].grad[500] = Infinity;
      expect(clipGradNorm(params, 0.1)).toBe(Infinity);
      expect(gradNorm(params, Infinity)).toBe(Infinity);
      const opt = new Adam(params);
      const data = params.map((p) => p.data.slice());
      expect(opt.step()).toBe(false);
      params.forEach((p, i) => expectSameF32(p.data, data[i], `${p.name} weights`));
    });

    it(`${backend.name}: clipGradValue clamps into [-c, c] and returns the 2-norm before`, () => {
      const params = makeParams(backend, new TestRandom(5), 3);
      const before = params.map((p) => Array.from(p.grad));
      const expected = plainNorm(params, 2);
      expect(clipGradValue(params, 0.75)).toBeCloseTo(expected, 9);
      params.forEach((p, i) => {
        for (let j = 0; j < p.size; j++) expect(p.grad[j]).toBe(Math.fround(Math.min(Math.max(before[i][j], -0.75), 0.75)));
      });
    });
  }

  it('rejects bad arguments', () => {
    expect(() => clipGradNorm([], -1)).toThrow(OptimizerConfigError);
    expect(() => gradNorm([], 0.5)).toThrow(/normType/);
    expect(() => clipGradValue([], NaN)).toThrow(/clipValue/);
    expect(gradNorm([])).toBe(0);
  });
});
