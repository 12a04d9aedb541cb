import { beforeAll, describe, expect, it } from 'vitest';
import { create, all } from 'mathjs';
import { gradCheck, Tape, type TensorLike } from '../../src/autograd/index';
import { createBackend, type Backend } from '../../src/backend/index';
import { DataGenerator } from '../../src/data/index';
import { buildPlan, DagNN, fitQuadrature, numericLoss, numericTarget, planInput, recordsLoss, routeOf, ValueProbe, type NumericTarget } from '../../src/model/index';
import { hostValueStream } from '../../src/model/valuestream';
import { Adam } from '../../src/optim/index';
import { BACKENDS, inputsOf } from './helpers';

const math = create(all);

/** The exact arithmetic as value weights (+ − add, × ÷ ^ their units): an oracle for these tests only. */
function setExactArithmetic(net: DagNN): void {
  const state = net.stateDict();
  const set = (name: string, values: number[]) => state[name]?.set(values);
  set('+.add', [1, 1]);
  set('-.add', [1, -1]);
  for (const k of ['*', '/', '^']) set(`${k}.add`, [0, 0]);
  set('*.units', [1, 0, 0].slice(0, state['*.units'].length));
  set('/.units', [0, 1, 0].slice(0, state['/.units'].length));
  if (state['^.units'].length === 3) set('^.units', [0, 0, 1]);
  for (const k of ['+', '-']) set(`${k}.units`, new Array(state[`${k}.units`].length).fill(0));
  net.loadStateDict(state);
}

const INTEGRALS = ['(integrate (+ (* 2 x) 1) x 0 1)', '(integrate (* x (+ x 2)) x 1 2)', '(integrate (- 3 (/ x 2)) x 1 3)'];
const SOLVES = ['(solve (= (+ (* 2 x) 5) 13) x)', '(solve (= (* (- x 1) (+ x 5)) 7) x)', '(solve (= (- (* x x) 3) 6) x)'];

describe.each(BACKENDS)('task heads on %s', (backendName) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await createBackend(backendName);
  });

  it('a probe evaluates the value stream with the variable bound, and its forward-mode slope, as mathjs does', () => {
    const net = new DagNN(backend, { hidden: 4, valueStream: 'host', binaryUnits: ['product', 'ratio', 'power'] });
    setExactArithmetic(net);
    const exprs = ['(+ (* 3 (^ x 2)) (/ x 4))', '(- (* x x) (+ x 7))'];
    const infix = ['3 * x^2 + x / 4', 'x * x - (x + 7)'];
    const inputs = inputsOf(exprs);
    const probe = new ValueProbe(inputs, inputs.map(() => ({ exprs: [0], variable: 'x' })), 3);
    const xs = [-1.5, 0.25, 2, 0.5, -3, 4];
    probe.bind(xs);
    const tape = new Tape(backend);
    const { values64, tangent64 } = hostValueStream(tape, probe.plan, net.streamInputs(), probe.seed());
    xs.forEach((x, p) => {
      const i = p % 2;
      const row = probe.rows(0)[p];
      expect(values64[row]).toBeCloseTo(math.evaluate(infix[i], { x }), 12);
      expect(tangent64![row]).toBeCloseTo(math.derivative(infix[i], 'x').evaluate({ x }), 12);
    });
  });

  it('passes a finite-difference gradient check through the integration head (quadrature and value weights)', () => {
    const model = new DagNN(backend, { hidden: 3, seed: 'heads', valueStream: 'host', quadraturePoints: 4, rootSteps: 0 });
    // exact arithmetic: no denominator of a ratio unit near 0, where central differences fail
    setExactArithmetic(model);
    const params = model.parameters();
    const plan = buildPlan(inputsOf(INTEGRALS));
    const targets: NumericTarget[] = [{ type: 0, value: 2.5 }, { type: 1, value: 5 }, { type: 0, value: 4.5 }];
    // the type rule reads the value's integrality as a constant: with its weights at 0 (as
    // initialised) the type logits do not move when a value weight does
    const data = params.map((p) => (p.name === 'quadrature.weights' ? Float32Array.from([0.2, 0.3, 0.3, 0.2]) : p.name === 'quadrature.type' ? new Float32Array(p.size) : p.data));
    const result = gradCheck(
      backend,
      params.map((p, i) => ({ rows: p.rows, cols: p.cols, data: data[i], parameter: true })),
      (tape, xs: TensorLike[]) => model.withParameters(xs, () => numericLoss(tape, model.forward(tape, plan), targets, { auxScale: 1, tau: 1, detachType: false }).loss),
      { step: 1e-2, floor: 3e-3 },
    );
    const reached = ['quadrature.weights', '+.add', '*.units', '-.add', '/.units'];
    params.forEach((p, i) => {
      const fd = result.finiteDifference![i];
      if (reached.includes(p.name)) expect(result.analytic[i].some((g) => g !== 0), p.name).toBe(true);
      if (p.name !== 'quadrature.type') expect(fd.maxRelError, `${p.name}: ${fd.maxRelError}`).toBeLessThan(1e-2);
    });
  });

  it('passes a finite-difference gradient check through the root head: the implicit gradient into the value weights, and the iterate objective into the step sizes', () => {
    const model = new DagNN(backend, { hidden: 3, seed: 'roots', valueStream: 'host', quadraturePoints: 0, rootSteps: 12 });
    setExactArithmetic(model);
    const params = model.parameters();
    const inputs = inputsOf(SOLVES);
    const plan = buildPlan(inputs);
    const targets: NumericTarget[] = [{ type: 0, value: 4.5 }, { type: 0, value: -5.5 }, { type: 0, value: -3.5 }];
    // a converged iteration from the left (μ = −8, α = 1): x_N is the smallest root, so x_N's
    // derivative in a value weight is the implicit one
    const data = params.map((p) => (p.name === 'root.start' ? Float32Array.of(-8) : p.name === 'root.steps' ? new Float32Array(p.size).fill(1) : p.name === 'root.type' ? new Float32Array(p.size) : p.data));
    const main = gradCheck(
      backend,
      params.map((p, i) => ({ rows: p.rows, cols: p.cols, data: data[i], parameter: true })),
      (tape, xs: TensorLike[]) => model.withParameters(xs, () => numericLoss(tape, model.forward(tape, plan), targets, { auxScale: 1, tau: 1, detachType: false }).loss),
      { step: 1e-3, floor: 3e-3 },
    );
    params.forEach((p, i) => {
      if (p.name.startsWith('root.')) return;
      expect(main.finiteDifference![i].maxRelError, `${p.name}: ${main.finiteDifference![i].maxRelError}`).toBeLessThan(2e-2);
    });
    expect(main.analytic[params.findIndex((p) => p.name === '+.add')].some((g) => g !== 0)).toBe(true);
    // the head's own objective: exact sensitivities of every iterate in α (μ's is a smoothed
    // estimate, not a derivative: not checked here)
    const partial = params.map((p) => (p.name === 'root.steps' ? Float32Array.from({ length: p.size }, (_, k) => 0.3 + 0.05 * k) : data[params.indexOf(p)]));
    partial[params.findIndex((p) => p.name === 'root.start')] = Float32Array.of(-2);
    const own = gradCheck(
      backend,
      params.map((p, i) => ({ rows: p.rows, cols: p.cols, data: partial[i], parameter: true })),
      (tape, xs: TensorLike[]) => model.withParameters(xs, () => model.root!.iterateLoss(tape, inputs, model.streamInputs(), [4, -6, -3])),
      { step: 1e-3, floor: 3e-3 },
    );
    const steps = params.findIndex((p) => p.name === 'root.steps');
    expect(own.analytic[steps].every((g) => g !== 0)).toBe(true);
    // the objective is stored in float32: its central differences carry ≈ 1e-7·L/h of noise
    expect(own.finiteDifference![steps].maxRelError).toBeLessThan(0.1);
  });

  it('learns its quadrature weights and its iteration from data: neutral when fresh, trained after a few hundred updates, and the same on both backends', async () => {
    const net = new DagNN(backend, { hidden: 4, valueStream: 'host', typeHead: 'exact', binaryUnits: ['product', 'ratio', 'power'], quadraturePoints: 8, rootSteps: 6 });
    setExactArithmetic(net);
    expect(Array.from(net.integration!.weights.data).every((w) => w === 0)).toBe(true);
    expect(net.root!.start.data[0]).toBe(0);
    expect(Array.from(net.root!.steps.data).every((a) => a === 0)).toBe(true);
    const generator = new DataGenerator({ seed: 3 });
    const records = [...generator.take(6, 96), ...generator.take(7, 96)];
    const params = [...net.parameterRoles().quadrature, ...net.parameterRoles().root];
    const optimizer = new Adam(params, { lr: 3e-2 });
    const tape = new Tape(backend);
    for (let step = 0; step < 150; step++) {
      const batch = Array.from({ length: 32 }, (_, i) => records[(step * 32 + i) % records.length]);
      for (const p of params) p.grad.fill(0);
      tape.backward(recordsLoss(tape, net, batch).loss);
      optimizer.step();
      tape.reset();
    }
    expect(Array.from(net.integration!.weights.data).filter((w) => Math.abs(w) > 1e-3).length).toBeGreaterThan(4);
    expect(net.root!.start.data[0]).toBeLessThan(-1);
    expect(Array.from(net.root!.steps.data).every((a) => a > 0.1)).toBe(true);
    // wasm/js parity of the heads' answers for the same weights
    const other = await createBackend(backendName === 'js' ? 'wasm' : 'js');
    const twin = new DagNN(other, { hidden: 4, valueStream: 'host', typeHead: 'exact', binaryUnits: ['product', 'ratio', 'power'], quadraturePoints: 8, rootSteps: 6 });
    twin.loadStateDict(net.stateDict());
    const probe = records.filter((_, i) => i % 8 === 0).map(planInput);
    const a = net.predictBatch(probe).map((g) => g.toPolish());
    const b = twin.predictBatch(probe).map((g) => g.toPolish());
    expect(b).toEqual(a);
  });
});

describe('fitQuadrature (robust least squares on probed integrands)', () => {
  it('learns from level-6 records a rule that integrates x^k (k ≤ K − 3) over [a, b] as the analytic antiderivative does', async () => {
    const backend = await createBackend('js');
    const net = new DagNN(backend, { hidden: 4, valueStream: 'host', binaryUnits: ['product', 'ratio', 'power'], quadraturePoints: 8, rootSteps: 0 });
    setExactArithmetic(net);
    const records = new DataGenerator({ seed: 8 }).take(6, 300);
    const head = net.integration!;
    const tape = new Tape(backend);
    const s = head.sample(tape, records.map(planInput), net.streamInputs());
    const K = head.K;
    const B = records.length;
    const X = new Float64Array(B * K);
    for (let c = 0; c < K; c++) for (let i = 0; i < B; i++) X[i * K + c] = s.spans[i] * s.f64[c * B + i];
    const w = fitQuadrature(X, Float64Array.from(records, (r) => r.result_numeric!), K);
    // the moments up to degree K − 3 (the data pins the highest ones less: few integrands reach them)
    for (let k = 0; k <= K - 3; k++) {
      const [a, b] = [-2, 3];
      let I = 0;
      head.points.forEach((t, c) => (I += w[c] * (a + (b - a) * t) ** k));
      I *= b - a;
      const exact = (b ** (k + 1) - a ** (k + 1)) / (k + 1);
      expect(Math.abs(I - exact), `x^${k}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(exact)));
    }
    // and routes: every generated level-6 record goes to the integration head
    expect(records.every((r) => routeOf(planInput(r)).route === 'integrate')).toBe(true);
    expect(numericTarget(records[0]).value).toBe(Number(records[0].result_graph.nodes[0].value));
  });
});

describe.each(BACKENDS)('number fit of the decoded derivative (level 5) on %s', (backendName) => {
  it('fits the coefficients of a right-shaped tree to the value stream’s slope, matching mathjs’ derivative, and leaves a wrong shape alone', async () => {
    const backend = await createBackend(backendName);
    const net = new DagNN(backend, { hidden: 4, valueStream: 'host', binaryUnits: ['product', 'ratio', 'power'] });
    setExactArithmetic(net);
    const { fitNumbers } = await import('../../src/model/numberfit');
    const { decoderTree } = await import('../../src/model/index');
    const { MathGraph } = await import('../../src/graph/index');
    const { exprAndVariable } = await import('../../src/model/index');
    // f, its derivative's infix for mathjs, and a decoded tree of the right shape with wrong numbers
    const cases = [
      { f: '(* (+ 4 x) (* 2 x))', infix: '(4 + x) * 2 * x', decoded: '(+ (* 3 x) 5)' },
      { f: '(^ (* 2 x) 3)', infix: '(2 * x)^3', decoded: '(* 20 (^ x 2))' },
      { f: '(/ 3 (* 7 x))', infix: '3 / (7 * x)', decoded: '(/ -3 (* 6 (^ x 2)))' },
      { f: '(^ x 3)', infix: 'x^3', decoded: '(* 3 x)' }, // wrong shape: no fit
    ];
    const inputs = inputsOf(cases.map((c) => `(derive ${c.f} x)`));
    const trees = cases.map((c) => decoderTree(MathGraph.fromPolish(c.decoded).toJSON(), 'case', false));
    const tape = new Tape(backend);
    const fitted = fitNumbers(tape, net.streamInputs(), inputs, inputs.map(exprAndVariable), trees);
    expect(fitted).toEqual([true, true, true, false]);
    const { treeGraph } = await import('../../src/model/index');
    cases.slice(0, 3).forEach((c, i) => {
      const answer = treeGraph(trees[i]).toPolish();
      for (const x of [0.3, 1.7, -2.2]) {
        const mine = math.evaluate(toInfix(answer), { x });
        expect(mine).toBeCloseTo(math.derivative(c.infix, 'x').evaluate({ x }), 9);
      }
    });
    expect(treeGraph(trees[0]).toPolish()).toBe('(+ (* 4 x) 8)');
    expect(treeGraph(trees[3]).toPolish()).toBe('(* 3 x)');
  });
});

/** Polish → mathjs infix (binary ops only). */
function toInfix(polish: string): string {
  const tokens = polish.replace(/\(/g, ' ( ').replace(/\)/g, ' ) ').trim().split(/\s+/);
  let i = 0;
  const read = (): string => {
    const t = tokens[i++];
    if (t !== '(') return t;
    const o = tokens[i++];
    const a = read();
    const b = read();
    i++;
    return `(${a} ${o} ${b})`;
  };
  return read();
}
