import { describe, expect, it } from 'vitest';
import { ops, Tape } from '../../src/autograd/index';
import { createBackend } from '../../src/backend/index';
import { MathGraph } from '../../src/graph/index';
import { buildPlan, DagNN } from '../../src/model/index';
import { binaryUnits, unaryUnits } from '../../src/model/units';
import { nonIntegrality } from '../../src/model/valuestream';

const inputs = [
  { graph: MathGraph.fromPolish('(+ (* 2 3) (/ 7 2))') },
  { graph: MathGraph.fromPolish('(- (^ x 2) (sin 1))'), bindings: { x: 3 } },
  { graph: MathGraph.fromPolish('(sqrt (+ 1 3))') },
];

describe('host value stream (valueStream host)', () => {
  it('computes what the float32 kernel path computes, with the same gradients', async () => {
    const backend = await createBackend('js');
    const options = { hidden: 4, seed: 3, binaryUnits: ['product', 'ratio', 'power'] as const };
    const tapeModel = new DagNN(backend, { ...options });
    const hostModel = new DagNN(backend, { ...options, valueStream: 'host' });
    const run = (model: DagNN) => {
      const tape = new Tape(backend);
      for (const p of model.parameters()) p.zeroGrad();
      const out = model.forward(tape, buildPlan(inputs));
      const values = Array.from(tape.values(out.values));
      tape.backward(ops.sum(tape, ops.mul(tape, out.values, out.values)));
      const grads = Object.fromEntries(model.parameterRoles().values.map((p) => [p.name, Array.from(p.grad)]));
      tape.reset();
      return { values, grads, values64: out.values64 };
    };
    const a = run(tapeModel);
    const b = run(hostModel);
    expect(a.values64).toBeUndefined();
    expect(b.values64!.length).toBe(3);
    b.values.forEach((v, i) => expect(v).toBeCloseTo(a.values[i], 4));
    for (const [name, g] of Object.entries(a.grads)) g.forEach((x, i) => expect(b.grads[name][i]).toBeCloseTo(x, 2));
  });

  it('float64 keeps integer answers integral where float32 does not', async () => {
    const backend = await createBackend('js');
    const graph = { graph: MathGraph.fromPolish('(* (* (/ 1 3) 7) 3)') }; // 7: float32 gives 7.0000005
    const value = (precision: 'f32' | 'f64') => {
      const model = new DagNN(backend, { hidden: 2, binaryUnits: ['product', 'ratio'], valueStream: 'host', valuePrecision: precision });
      const units = model.parameters().filter((p) => p.name === '*.units' || p.name === '/.units');
      for (const p of model.parameters()) if (p.name.endsWith('.add') || p.name.endsWith('.units')) p.data.fill(0);
      units[0].data.set([1, 0]); // * → product
      units[1].data.set([0, 1]); // / → ratio
      const tape = new Tape(backend);
      const v = model.forward(tape, buildPlan([graph])).values64![0];
      tape.reset();
      return v;
    };
    expect(value('f64')).toBeCloseTo(7, 12); // 6.999999999999999: within float64 noise
    expect(value('f32')).not.toBe(7);
    expect(nonIntegrality(value('f64'))).toBe(0);
    expect(nonIntegrality(value('f32'))).toBeGreaterThan(0.9);
  });

  it('floatness: gradient of the per-kind logits matches finite differences', async () => {
    const backend = await createBackend('js');
    const model = new DagNN(backend, { hidden: 2, binaryUnits: ['product', 'ratio', 'power'], valueStream: 'host', typeHead: 'exact', floatPropagation: 'learned', seed: 1 });
    const exact = model.parameters().find((p) => p.name === 'value.exact')!;
    for (let i = 0; i < exact.size; i++) exact.data[i] = Math.sin(i + 1); // a generic point
    const tape = new Tape(backend);
    const objective = () => {
      const out = model.forward(tape, buildPlan(inputs));
      // the type logits are linear in the root floatness: their sum exercises every path
      return ops.sum(tape, out.typeLogits);
    };
    exact.zeroGrad();
    const loss = objective();
    tape.backward(loss);
    tape.reset();
    const analytic = Array.from(exact.grad);
    const h = 1e-2;
    for (let i = 0; i < exact.size; i++) {
      const x = exact.data[i];
      exact.data[i] = x + h;
      const up = tape.scalar(objective());
      tape.reset();
      exact.data[i] = x - h;
      const down = tape.scalar(objective());
      tape.reset();
      exact.data[i] = x;
      expect(analytic[i]).toBeCloseTo((up - down) / (2 * h), 2);
    }
    expect(analytic.some((g) => Math.abs(g) > 1e-3)).toBe(true);
  });

  it('unitBound: a result beyond the bound is out of the domain', () => {
    const y = new Float64Array(1);
    const j = new Float64Array(2);
    binaryUnits(['power'], 100).evaluate(Float64Array.from([5, 3]), y, j);
    expect([y[0], j[0], j[1]]).toEqual([0, 0, 0]);
    binaryUnits(['power'], 1000).evaluate(Float64Array.from([5, 3]), y, j);
    expect(y[0]).toBe(125);
    const u = new Float64Array(6);
    unaryUnits(1000).evaluate(Float64Array.from([8]), u, new Float64Array(6));
    expect(u[4]).toBe(0); // exp 8 ≈ 2981 > 1000
    expect(u[0]).toBe(Math.sin(8));
  });
});
