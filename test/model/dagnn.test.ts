import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, Tape, type TensorLike } from '../../src/autograd/index';
import { createBackend, type Backend } from '../../src/backend/index';
import { DataGenerator, type DatasetRecord } from '../../src/data/index';
import { MathGraph } from '../../src/graph/index';
import { buildPlan, DagNN, ModelOptionError, ModelStateError, numericLoss, numericTarget, planInput, type NumericTarget } from '../../src/model/index';
import { Adam } from '../../src/optim/index';
import { BACKENDS, inputsOf, lossOnce } from './helpers';

// Tiny graphs touching every path: numbers, bound and unbound symbols, constants, binary
// ops (additive + multiplicative units), a unary function, shared depth levels.
// The unary node's input stays well inside the domains of log and sqrt: near 0 their
// curvature is beyond what central differences resolve.
const TINY = ['(+ 2 3)', '(* (- 1.5 x) pi)', '(sin (- 3 2))', '(/ (^ 2 x) 0.5)', '(+ z 1)'];
const TINY_TARGETS: NumericTarget[] = [
  { type: 0, value: 5 },
  { type: 1, value: -0.75 },
  { type: 0, value: 1 },
  { type: 1, value: 3.5 },
  { type: 0, value: 2 },
];
const TINY_BINDINGS = { x: 0.5 }; // z stays unbound, pi is a constant

describe.each(BACKENDS)('DagNN on %s', (backendName) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await createBackend(backendName);
  });

  it('passes a whole-model finite-difference gradient check on tiny graphs', () => {
    // typeHead 'state': the default reads the value through a stop-gradient, which finite differences cannot see
    const model = new DagNN(backend, { hidden: 3, seed: 'gradcheck', typeHead: 'state' });
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
      // step 1e-2: the value units (exp, tan, powers) curve too much for the default 3e-2;
      // floor 3e-3: gradients below it are judged by absolute error (float32 noise ≈ 1e-5)
      { step: 1e-2, floor: 3e-3 },
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
    console.log(`[${backendName}] whole-model gradcheck: ${checked} parameters reached, max rel error ${result.maxRelError.toExponential(2)} (floor 3e-3), max abs error ${maxAbs.toExponential(2)}`);
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
  /** Per step: the loss before the update and the gradient of every parameter. */
  const trajectory = async (name: 'js' | 'wasm', batches: DatasetRecord[][]) => {
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
      const grads = model.parameters().map((p) => p.grad.slice());
      opt.step();
      tape.reset();
      return { loss: value, grads };
    });
  };
  const relativeDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-3, Math.abs(a));

  it('give the same loss and gradients on a mixed level 1–4 batch, and the same losses over 30 Adam steps on level 1', async () => {
    const gen = new DataGenerator({ seed: 'parity' });
    const mixed = [gen.mixedBatch({ 1: 1, 2: 1, 3: 1, 4: 1 }, 32)];
    const [js] = await trajectory('js', mixed);
    const [wasm] = await trajectory('wasm', mixed);
    expect(js.loss).toBeGreaterThan(0);
    expect(relativeDiff(js.loss, wasm.loss)).toBeLessThan(1e-5);
    let worstGrad = 0;
    js.grads.forEach((g, i) => {
      let scale = 0;
      for (const x of g) scale = Math.max(scale, Math.abs(x));
      for (let j = 0; j < g.length; j++) worstGrad = Math.max(worstGrad, Math.abs(g[j] - wasm.grads[i][j]) / Math.max(scale, 1e-6));
    });
    expect(worstGrad).toBeLessThan(1e-4);

    const level1 = Array.from({ length: 30 }, () => gen.take(1, 32));
    const js1 = await trajectory('js', level1);
    const wasm1 = await trajectory('wasm', level1);
    const worst = Math.max(...js1.map((s, i) => relativeDiff(s.loss, wasm1[i].loss)));
    console.log(`js vs wasm: mixed L1-4 loss ${js.loss.toFixed(6)} / ${wasm.loss.toFixed(6)}, worst gradient diff ${worstGrad.toExponential(2)} of each parameter's largest; level 1 over 30 steps max loss rel diff ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
  });
});
