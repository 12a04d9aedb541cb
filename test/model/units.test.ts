import { describe, expect, it } from 'vitest';
import { gradCheck } from '../../src/autograd/index';
import { createBackend } from '../../src/backend/index';
import { DagNN, ModelOptionError } from '../../src/model/index';
import { rowMap } from '../../src/model/ops';
import { binaryUnits, CAP, UNARY_UNITS } from '../../src/model/units';

const evaluate = (f: typeof UNARY_UNITS, ...x: number[]) => {
  const y = new Float64Array(f.outputs);
  const jacobian = new Float64Array(f.outputs * f.arity);
  f.evaluate(Float64Array.from(x), y, jacobian);
  return { y: Array.from(y), jacobian: Array.from(jacobian) };
};

describe('value-stream primitives', () => {
  const all = binaryUnits(['product', 'ratio', 'power']);

  it('compute products, ratios, powers and the six functions with their derivatives', () => {
    const b = evaluate(all, 3, 2);
    expect(b.y).toEqual([6, 1.5, 9]);
    // ∂(ab) = (b, a); ∂(a/b) = (1/b, −a/b²); ∂(a^b) = (b·a^(b−1), a^b·ln a)
    expect(b.jacobian).toEqual([2, 3, 0.5, -0.75, 6, 9 * Math.log(3)]);
    const u = evaluate(UNARY_UNITS, 0.5);
    expect(u.y).toEqual([Math.sin(0.5), Math.cos(0.5), Math.tan(0.5), Math.log(0.5), Math.exp(0.5), Math.sqrt(0.5)]);
    expect(u.jacobian[3]).toBe(2); // d log v = 1/v
  });

  it('give 0 with zero gradient outside their domain or beyond ±CAP, never NaN', () => {
    expect(evaluate(all, 1, 0).y[1]).toBe(0); // a/0
    expect(evaluate(all, -8, 1 / 3).y[2]).toBe(0); // fractional power of a negative base
    expect(evaluate(all, 10, 7).y[2]).toBe(0); // 1e7 > CAP
    expect(CAP).toBe(1e6);
    const u = evaluate(UNARY_UNITS, -1);
    expect(u.y[3]).toBe(0); // log of a negative
    expect(u.y[5]).toBe(0); // sqrt of a negative
    expect(u.jacobian[3]).toBe(0);
    for (const v of [...evaluate(all, 0, 0).y, ...evaluate(all, 0, -1).y, ...evaluate(UNARY_UNITS, 0).y]) expect(Number.isFinite(v)).toBe(true);
  });

  it('rowMap back-propagates the Jacobian (finite differences, both backends)', async () => {
    for (const name of ['js', 'wasm'] as const) {
      const backend = await createBackend(name);
      const data = [1.5, 2, 0.7, -1.2, 2.5, 0.4];
      const result = gradCheck(backend, [{ rows: 3, cols: 2, data }], (tape, [x]) => rowMap(tape, x as never, all), { step: 1e-3 });
      expect(result.maxRelError).toBeLessThan(1e-2);
    }
  });

  it('are chosen by the binaryUnits option, checked by name', async () => {
    const backend = await createBackend('js');
    const two = new DagNN(backend, { hidden: 2 });
    const three = new DagNN(backend, { hidden: 2, binaryUnits: ['product', 'ratio', 'power'] });
    expect(two.stateDict()['*.units'].length).toBe(2);
    expect(three.stateDict()['*.units'].length).toBe(3);
    expect(() => three.loadStateDict(two.stateDict())).toThrow(/'\+\.units' has 2 values/);
    expect(() => new DagNN(backend, { hidden: 2, binaryUnits: ['sum' as never] })).toThrow(ModelOptionError);
  });
});
