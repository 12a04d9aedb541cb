import { describe, expect, it } from 'vitest';
import { ops, Tape } from '../../src/autograd/index';
import { createBackend } from '../../src/backend/index';
import { MathGraph } from '../../src/graph/index';
import { buildPlan, DagNN, KIND_NAMES } from '../../src/model/index';
import { binaryUnits, unaryUnits } from '../../src/model/units';
import { nonIntegrality } from '../../src/model/valuestream';

const inputs = [
  { graph: MathGraph.fromPolish('(+ (* 2 3) (/ 7 2))') },
  { graph: MathGraph.fromPolish('(^ (sin 1) 0)') },
  { graph: MathGraph.fromPolish('(* (/ 7 2) (+ 2 (sin 0)))') },
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
    expect(b.values64!.length).toBe(inputs.length);
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

  it.each(['exact', 'exact-linear'] as const)('floatness (%s head): gradient of the per-kind logits matches finite differences', async (typeHead) => {
    const backend = await createBackend('js');
    const model = new DagNN(backend, { hidden: 2, binaryUnits: ['product', 'ratio', 'power'], valueStream: 'host', typeHead, floatPropagation: 'learned', seed: 1 });
    const exact = model.parameters().find((p) => p.name === 'value.exact')!;
    for (let i = 0; i < exact.size; i++) exact.data[i] = Math.sin(i + 1); // a generic point
    // exact value weights, so some roots are integers (n = 0): the 'exact' head's gradient reaches f only there
    const get = (n: string) => model.parameters().find((p) => p.name === n)!;
    for (const p of model.parameterRoles().values) p.data.fill(0);
    get('+.add').data.set([1, 1]);
    get('-.add').data.set([1, -1]);
    get('*.units').data.set([1, 0, 0]);
    get('/.units').data.set([0, 1, 0]);
    get('^.units').data.set([0, 0, 1]);
    get('sin.units').data[0] = 1;
    get('sqrt.units').data[5] = 1;
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

describe('the exact type head', () => {
  it('answers float for (^ (sin 1) 0) and int for (sqrt 4) once sin and sqrt are inexact-making kinds', async () => {
    const backend = await createBackend('js');
    const model = new DagNN(backend, { hidden: 2, binaryUnits: ['product', 'ratio', 'power'], valueStream: 'host', typeHead: 'exact' });
    const get = (n: string) => model.parameters().find((p) => p.name === n)!;
    for (const p of model.parameterRoles().values) p.data.fill(0);
    get('^.units').data.set([0, 0, 1]);
    get('sin.units').data[0] = 1;
    get('sqrt.units').data[5] = 1;
    const exact = get('value.exact');
    exact.data.fill(-30); // no kind makes its results inexact …
    for (const k of ['sin', 'sqrt']) exact.data[2 * KIND_NAMES.indexOf(k)] = 30; // … but these two
    const answer = (polish: string) => model.predict(polish).toJSON().nodes[0];
    expect(answer('(^ (sin 1) 0)')).toMatchObject({ type: 'float', value: 1 });
    expect(answer('(sqrt 4)')).toMatchObject({ type: 'int', value: 2 });
    expect(answer('(sqrt 2)')).toMatchObject({ type: 'float', value: 1.414 });
    expect(answer('(^ 3 2)')).toMatchObject({ type: 'int', value: 9 });
  });
});

describe('parameter groups', () => {
  it('partition the parameters: one units group per inner kind, then exact, head, state, decoder', async () => {
    const backend = await createBackend('js');
    const model = new DagNN(backend, { hidden: 2, binaryUnits: ['product', 'ratio', 'power'], valueStream: 'host', typeHead: 'exact' });
    const groups = model.parameterGroups();
    const all = groups.flatMap((g) => g.params);
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all)).toEqual(new Set(model.parameters()));
    expect(groups.find((g) => g.name === 'units:^')!.params.map((p) => p.name)).toEqual(['^.add', '^.units']);
    expect(groups.map((g) => g.name).slice(-6)).toEqual(['exact', 'head', 'state', 'decoder', 'quadrature', 'root']);
    expect(groups.find((g) => g.name === 'decoder')!.params.every((p) => p.name.startsWith('decoder.'))).toBe(true);
  });
});

describe('per-kind unit bounds', () => {
  it('unitBounds lifts the bound of one kind and leaves the others bounded, on both value paths', async () => {
    const backend = await createBackend('js');
    for (const valueStream of ['tape', 'host'] as const) {
      const model = new DagNN(backend, { hidden: 2, binaryUnits: ['product', 'ratio', 'power'], valueStream, unitBound: 1000 });
      for (const p of model.parameterRoles().values) p.data.fill(0);
      const get = (n: string) => model.parameters().find((p) => p.name === n)!;
      get('exp.units').data[4] = 1;
      get('^.units').data[2] = 1;
      const value = (polish: string) => {
        const tape = new Tape(backend);
        const out = model.forward(tape, buildPlan([{ graph: MathGraph.fromPolish(polish) }]));
        const v = out.values64?.[0] ?? tape.values(out.values)[0];
        tape.reset();
        return v;
      };
      expect(value('(exp 8)')).toBe(0); // e^8 ≈ 2981 > 1000: out of the domain
      expect(value('(^ 10 4)')).toBe(0);
      model.unitBounds.exp = Infinity;
      expect(value('(exp 8)')).toBeCloseTo(Math.exp(8), 2);
      expect(value('(^ 10 4)')).toBe(0); // ^ still bounded
    }
  });
});
