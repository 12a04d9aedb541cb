import { beforeAll, describe, expect, it } from 'vitest';
import { Tape } from '../../src/autograd/index';
import { createBackend, type Backend } from '../../src/backend/index';
import { MathGraph } from '../../src/graph/index';
import { buildPlan, DagNN, KIND_ARITY, KIND_NAMES, KIND_NUMBER, KIND_SYMBOL, PlanError, ValueProbe } from '../../src/model/index';
import { replicatePlan } from '../../src/model/plan';
import { Prng } from '../../src/util/prng';
import { countingBackend, inputsOf, lossOnce } from './helpers';

/** A random depth-`depth` expression over + − * and sin whose every level has each op. */
function randomTree(prng: Prng, depth: number): string {
  if (depth === 0) return String(prng.int(0, 9));
  const op = prng.pick(['+', '-', '*', 'sin']);
  if (op === 'sin') return `(sin ${randomTree(prng, depth - 1)})`;
  return `(${op} ${randomTree(prng, depth - 1)} ${randomTree(prng, depth - 1)})`;
}

describe('buildPlan', () => {
  it('orders rows by (depth, kind) in contiguous groups and interleaves children per node', () => {
    const polish = ['(+ (* 2 x) 3)', '(- 4 (sin y))', '7', '(* (+ 1 2) (+ x 5))'];
    const graphs = polish.map((p) => MathGraph.fromPolish(p));
    const plan = buildPlan(graphs.map((graph) => ({ graph, bindings: { x: 2 } })));
    const total = graphs.reduce((s, g) => s + g.size, 0);
    expect(plan.nodeCount).toBe(total);
    // groups tile [0, N) in order and are sorted by (depth, kind)
    let row = 0;
    for (let i = 0; i < plan.groups.length; i++) {
      const g = plan.groups[i];
      expect(g.start).toBe(row);
      row += g.count;
      if (i > 0) {
        const p = plan.groups[i - 1];
        expect(p.depth < g.depth || (p.depth === g.depth && p.kind < g.kind)).toBe(true);
      }
    }
    expect(row).toBe(total);
    // every node sits in the group of its depth and kind, children interleaved in order
    const groupOfRow = (r: number) => plan.groups.find((g) => r >= g.start && r < g.start + g.count)!;
    graphs.forEach((graph, gi) => {
      const depth = graph.depths();
      for (let id = 0; id < graph.size; id++) {
        const r = plan.rowOf[gi][id];
        const group = groupOfRow(r);
        expect(group.depth).toBe(depth[id]);
        const type = graph.types[id];
        const kindName = type === 'int' || type === 'float' ? 'number' : type === 'symbol' ? 'symbol' : String(graph.values[id]);
        expect(KIND_NAMES[group.kind]).toBe(kindName);
        const local = r - group.start;
        const children = graph.children[id];
        expect(children.length).toBe(KIND_ARITY[group.kind]);
        children.forEach((c, s) => expect(group.childRows[local * group.arity + s]).toBe(plan.rowOf[gi][c]));
        if (group.kind === KIND_NUMBER) expect(group.leafValues[local]).toBe(Number(graph.values[id]));
        if (group.kind === KIND_SYMBOL) expect(group.leafValues[local]).toBe(graph.values[id] === 'x' ? 2 : NaN);
      }
    });
    expect(Array.from(plan.rootRows)).toEqual(plan.rowOf.map((rows) => rows[0]));
  });

  it('gives constants their value and unknown names the shared symbol row', () => {
    const plan = buildPlan(inputsOf(['(+ pi (* e foo))']));
    const symbols = plan.groups.find((g) => g.kind === KIND_SYMBOL)!;
    expect(Array.from(symbols.leafValues).sort()).toEqual([Math.E, Math.PI, NaN].sort());
  });

  it('raises typed errors naming the graph and node', () => {
    expect(() => buildPlan([])).toThrow(PlanError);
    const compact = MathGraph.fromPolish('(+ 1 2)').toArrays();
    compact.labels[0] = 'frobnicate';
    expect(() => buildPlan([{ graph: compact }])).toThrow(/graphs\[0\]\.nodes\[0\]: 'frobnicate'/);
    expect(() => buildPlan([{ graph: MathGraph.fromPolish('(+ 1 2)'), root: 5 }])).toThrow(/graphs\[0\]\.root = 5/);
  });
});

describe('replicatePlan', () => {
  // the oracle: buildPlan of the repeated inputs (copy c of graph g is graph c·G + g)
  const prng = new Prng('replicate');
  const polish = ['(+ (* 2 x) 3)', '(- 4 (sin y))', '7', '(* (+ 1 2) (+ x 5))', 'x', '(+ pi (* e foo))', ...Array.from({ length: 6 }, (_, i) => randomTree(prng, 1 + (i % 4)))];
  const inputs = polish.map((p, i) => ({ graph: MathGraph.fromPolish(p), bindings: { x: i - 2.5, y: 7 } }));

  it.each([1, 2, 5])('of %i copies equals the plan of the repeated inputs', (copies) => {
    const repeated = Array.from({ length: copies }, () => inputs).flat();
    const expected = buildPlan(repeated);
    const got = replicatePlan(buildPlan(inputs), copies);
    expect(got.graphCount).toBe(expected.graphCount);
    expect(got.nodeCount).toBe(expected.nodeCount);
    expect(got.levels).toBe(expected.levels);
    expect(got.rootRows).toEqual(expected.rootRows);
    expect(got.rowOf).toEqual(expected.rowOf);
    expect(got.groups).toEqual(expected.groups);
    expect(got.inputs.map((input) => input.graph)).toEqual(repeated.map((input) => input.graph));
  });

  it('refuses a copy count that is not a positive integer', () => {
    expect(() => replicatePlan(buildPlan(inputs), 0)).toThrow(PlanError);
    expect(() => replicatePlan(buildPlan(inputs), 1.5)).toThrow(/copies must be a positive integer/);
  });

  it('is what a ValueProbe runs: the plan of its inputs repeated with the variable bound to 0, then each copy bound in place', () => {
    const probed = inputs.filter((_, i) => polish[i].includes('x'));
    const K = 3;
    const probe = new ValueProbe(probed, probed.map(() => ({ exprs: [0], variable: 'x' })), K);
    const bound = probed.map((input) => ({ ...input, bindings: { ...input.bindings, x: 0 } }));
    expect(probe.plan.groups).toEqual(buildPlan(Array.from({ length: K }, () => bound).flat()).groups);
    const xs = Array.from({ length: K * probed.length }, (_, p) => p + 0.5);
    probe.bind(xs);
    const expected = buildPlan(Array.from({ length: K }, (_, c) => probed.map((input, i) => ({ ...input, bindings: { ...input.bindings, x: xs[c * probed.length + i] } }))).flat());
    expect(probe.plan.groups).toEqual(expected.groups);
    const seed = probe.seed();
    const leaves = expected.rowOf.flatMap((rows, p) => [...rows].filter((_, id) => (probed[p % probed.length].graph as MathGraph).values[id] === 'x'));
    expect([...seed.keys()].filter((r) => seed[r] === 1)).toEqual([...leaves].sort((a, b) => a - b));
  });
});

describe('kernel calls per batch (DESIGN principle 3)', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await createBackend('js');
  });

  it('stay constant as the node count grows 32× at fixed depth and kinds', () => {
    const counting = countingBackend(backend);
    const model = new DagNN(counting.backend, { hidden: 8, seed: 3 });
    const tape = new Tape(counting.backend);
    const prng = new Prng('plan sizes');
    const calls: number[] = [];
    const nodes: number[] = [];
    for (const graphs of [8, 64, 256]) {
      // depth-3 trees; the first four (one op on every level) fix the set of (depth, kind) groups
      const full = (op: string, d: number): string => (d === 0 ? '1' : op === 'sin' ? `(sin ${full(op, d - 1)})` : `(${op} ${full(op, d - 1)} ${full(op, d - 1)})`);
      const polish = ['+', '-', '*', 'sin'].map((op) => full(op, 3));
      while (polish.length < graphs) polish.push(randomTree(prng, 3));
      const inputs = inputsOf(polish);
      const groups = new Set(buildPlan(inputsOf(polish.slice(0, 4))).groups.map((g) => `${g.depth}:${g.kind}`));
      expect(new Set(buildPlan(inputs).groups.map((g) => `${g.depth}:${g.kind}`))).toEqual(groups);
      counting.reset();
      lossOnce(model, tape, inputs, polish.map(() => ({ type: 0, value: 1 })), {}, true);
      calls.push(counting.calls());
      nodes.push(inputs.reduce((s, i) => s + (i.graph as MathGraph).size, 0));
      tape.reset();
    }
    expect(nodes[2]).toBeGreaterThan(25 * nodes[0]);
    expect(calls[1]).toBe(calls[0]);
    expect(calls[2]).toBe(calls[0]);
  });

  it('grow with depth', () => {
    const counting = countingBackend(backend);
    const model = new DagNN(counting.backend, { hidden: 8, seed: 3 });
    const tape = new Tape(counting.backend);
    const callsAt = (polish: string[]) => {
      counting.reset();
      lossOnce(model, tape, inputsOf(polish), polish.map(() => ({ type: 0, value: 1 })), {}, true);
      tape.reset();
      return counting.calls();
    };
    const shallow = callsAt(['(+ 1 2)']);
    const deep = callsAt(['(+ (+ (+ 1 2) 3) 4)']);
    expect(deep).toBeGreaterThan(shallow);
  });
});
