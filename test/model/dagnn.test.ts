import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, Tape, type TensorLike } from '../../src/autograd/index';
import { createBackend, type Backend } from '../../src/backend/index';
import { DataGenerator } from '../../src/data/index';
import { MathGraph } from '../../src/graph/index';
import { buildPlan, DagNN, ModelOptionError, ModelStateError, numericLoss, numericTarget, planInput, type NumericTarget } from '../../src/model/index';
import { Adam } from '../../src/optim/index';
import { BACKENDS, inputsOf, lossOnce } from './helpers';

// Tiny graphs touching every path: numbers, bound and unbound symbols, constants, binary
// ops (additive + multiplicative units), a unary function, shared depth levels.
const TINY = ['(+ 2 3)', '(* (- 1.5 x) y)', '(sin (/ pi 2))', '(- (^ 2 x) 0.5)', '(+ z 1)'];
const TINY_TARGETS: NumericTarget[] = [
  { type: 0, value: 5 },
  { type: 1, value: -0.75 },
  { type: 0, value: 1 },
  { type: 1, value: 3.5 },
  { type: 0, value: 2 },
];
const TINY_BINDINGS = { x: 0.5, y: -1.5 }; // z stays unbound

describe.each(BACKENDS)('DagNN on %s', (backendName) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await createBackend(backendName);
  });

  it('passes a whole-model finite-difference gradient check on tiny graphs', () => {
    const model = new DagNN(backend, { hidden: 3, seed: 'gradcheck' });
    const params = model.parameters();
    const inputs = inputsOf(TINY, TINY_BINDINGS);
    const plan = buildPlan(inputs);
    // only parameters the batch reaches: the others have zero gradient on both sides
    const used = new Set(['number', 'symbol', 'head', '+', '-', '*', '/', '^', 'sin']);
    const result = gradCheck(
      backend,
      params.map((p) => ({ rows: p.rows, cols: p.cols, data: p.data, parameter: true })),
      (tape, xs: TensorLike[]) =>
        model.withParameters(xs, () => {
          const out = model.forward(tape, plan);
          // auxScale 1 and τ 1: every term of the objective is O(1) here; the GED term
          // differentiated fully (its training-time stop-gradient is invisible to finite differences)
          return numericLoss(tape, out, TINY_TARGETS, { auxScale: 1, tau: 1, detachType: false }).loss;
        }),
    );
    let checked = 0;
    let maxAbs = 0;
    params.forEach((p, i) => {
      const fd = result.finiteDifference![i];
      if (used.has(p.name.split('.')[0])) {
        checked += p.size;
        maxAbs = Math.max(maxAbs, fd.maxAbsError);
        expect(result.analytic[i].some((g) => g !== 0), p.name).toBe(true);
      }
      expect(fd.maxRelError, `${p.name}: ${fd.maxRelError} (abs ${fd.maxAbsError})`).toBeLessThan(1e-2);
    });
    expect(checked).toBeGreaterThan(100);
    console.log(`[${backendName}] whole-model gradcheck: ${checked} parameters reached, max rel error ${result.maxRelError.toExponential(2)} (floor 1e-3), max abs error ${maxAbs.toExponential(2)}`);
  });

  it('stateDict / loadStateDict round-trip and reject bad names and shapes with typed errors', () => {
    const a = new DagNN(backend, { hidden: 4, seed: 1 });
    const b = new DagNN(backend, { hidden: 4, seed: 2 });
    const tape = new Tape(backend);
    const inputs = inputsOf(TINY, TINY_BINDINGS);
    const la = lossOnce(a, tape, inputs, TINY_TARGETS);
    tape.reset();
    expect(lossOnce(b, tape, inputs, TINY_TARGETS)).not.toBe(la);
    tape.reset();
    b.loadStateDict(a.stateDict());
    expect(lossOnce(b, tape, inputs, TINY_TARGETS)).toBe(la);
    tape.reset();
    const sd = a.stateDict();
    expect(() => b.loadStateDict({ ...sd, 'nope.W': new Float32Array(1) })).toThrow(ModelStateError);
    const { ['+.W']: _dropped, ...missing } = sd;
    expect(() => b.loadStateDict(missing)).toThrow(/'\+\.W' is missing/);
    expect(() => b.loadStateDict({ ...sd, '+.W': new Float32Array(3) })).toThrow(/'\+\.W' has 3 values, its shape \[8, 4\] needs 32/);
    expect(() => new DagNN(backend, { hidden: 0 })).toThrow(ModelOptionError);
  });

  it('predict returns a one-node MathGraph for Polish text and for graphs', () => {
    const model = new DagNN(backend, { hidden: 4, seed: 1 });
    const fromText = model.predict('(+ 2 3)');
    const fromGraph = model.predict(MathGraph.fromPolish('(+ 2 3)'));
    expect(fromText.size).toBe(1);
    expect(['int', 'float', 'symbol']).toContain(fromText.types[0]);
    expect(fromGraph.toJSON()).toEqual(fromText.toJSON());
  });
});

describe('wasm and js backends agree', () => {
  it('give the same losses within float32 tolerance over 30 Adam steps on mixed levels 1–4', async () => {
    const gen = new DataGenerator({ seed: 'parity' });
    const batches = Array.from({ length: 30 }, () => gen.mixedBatch({ 1: 1, 2: 1, 3: 1, 4: 1 }, 16));
    const run = async (name: 'js' | 'wasm') => {
      const backend = await createBackend(name);
      const model = new DagNN(backend, { hidden: 16, seed: 'parity' });
      const opt = new Adam(model.parameters(), { lr: 3e-3 });
      const tape = new Tape(backend);
      return batches.map((batch) => {
        const out = model.forward(tape, buildPlan(batch.map(planInput)));
        const { loss } = numericLoss(tape, out, batch.map(numericTarget));
        const value = tape.scalar(loss);
        opt.zeroGrad();
        tape.backward(loss);
        opt.step();
        tape.reset();
        return value;
      });
    };
    const js = await run('js');
    const wasm = await run('wasm');
    let worst = 0;
    js.forEach((l, i) => (worst = Math.max(worst, Math.abs(l - wasm[i]) / Math.max(1e-3, Math.abs(l)))));
    console.log(`js vs wasm over 30 steps: first loss ${js[0].toFixed(5)} / ${wasm[0].toFixed(5)}, last ${js[29].toFixed(5)} / ${wasm[29].toFixed(5)}, max rel diff ${worst.toExponential(2)}`);
    expect(js[0]).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1e-4);
  });
});
