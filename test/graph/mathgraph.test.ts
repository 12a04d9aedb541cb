import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Expr, fn, int, op, parse, print, sym } from '../../src/engine/index';
import { GraphError, MathGraph, TOKEN_VOCABULARY, label } from '../../src/graph/index';

describe('MathGraph', () => {
  it('writes exactly the DESIGN.md dataset JSON', () => {
    expect(MathGraph.fromPolish('(+ (* 2 3) 4)').toJSON()).toEqual({
      nodes: [
        { id: 0, type: 'op', value: '+' },
        { id: 1, type: 'op', value: '*' },
        { id: 2, type: 'int', value: 2 },
        { id: 3, type: 'int', value: 3 },
        { id: 4, type: 'int', value: 4 },
      ],
      edges: [
        { from: 0, to: 1 },
        { from: 0, to: 4 },
        { from: 1, to: 2 },
        { from: 1, to: 3 },
      ],
    });
  });

  it('types every node and keeps values', () => {
    const g = MathGraph.fromPolish('(integrate (* 2.5 (sin x)) x -1 pi)');
    expect(g.toJSON().nodes.map((n) => [n.type, n.value])).toEqual([
      ['fn', 'integrate'], ['op', '*'], ['float', 2.5], ['fn', 'sin'], ['symbol', 'x'], ['symbol', 'x'], ['int', -1], ['symbol', 'pi'],
    ]);
    expect(Array.from({ length: g.size }, (_, i) => g.label(i))).toEqual(['integrate', '*', '2.5', 'sin', 'x', 'x', '-1', 'pi']);
    expect(label({ type: 'float', value: 2 })).toBe('2.0');
    const big = MathGraph.fromPolish('(^ 2 18446744073709551616)');
    expect(big.toJSON().nodes[2]).toEqual({ id: 2, type: 'int', value: '18446744073709551616' });
    expect(MathGraph.fromJSON(JSON.parse(JSON.stringify(big.toJSON()))).toPolish()).toBe('(^ 2 18446744073709551616)');
  });

  it('computes depth levels from the leaves and a topological order', () => {
    const g = MathGraph.fromPolish('(+ (* 2 (- x 1)) 4)');
    expect(Array.from(g.depths())).toEqual([3, 2, 0, 1, 0, 0, 0]);
    expect(g.depth).toBe(3);
    expect(g.levels()).toEqual([[2, 4, 5, 6], [3], [1], [0]]);
    const order = Array.from(g.topoOrder());
    const position = new Map(order.map((id, i) => [id, i]));
    for (let i = 0; i < g.size; i++) for (const c of g.children[i]) expect(position.get(c)!).toBeLessThan(position.get(i)!);
  });

  it('gives compact arrays for batching', () => {
    const g = MathGraph.fromPolish('(derive (^ x 2) x)');
    const a = g.toArrays();
    expect(a.size).toBe(5);
    expect(Array.from(a.typeCode)).toEqual([4, 3, 2, 0, 2]);
    expect(Array.from(a.tokenCode)).toEqual([TOKEN_VOCABULARY.indexOf('derive'), TOKEN_VOCABULARY.indexOf('^'), TOKEN_VOCABULARY.indexOf('x'), -1, TOKEN_VOCABULARY.indexOf('x')]);
    expect(Array.from(a.numericValue).map((v) => (Number.isNaN(v) ? null : v))).toEqual([null, null, null, 2, null]);
    const childrenOf = (i: number) => Array.from(a.childIndex.subarray(a.childStart[i], a.childStart[i + 1]));
    expect([0, 1, 2, 3, 4].map(childrenOf)).toEqual([[1, 4], [2, 3], [], [], []]);
    expect(Array.from(a.depth)).toEqual([2, 1, 0, 0, 0]);
    expect(Array.from(a.topoOrder)).toEqual([2, 3, 4, 1, 0]);
    expect(Array.from(a.levelStart)).toEqual([0, 3, 4, 5]);
    expect(a.labels).toEqual(['derive', '^', 'x', '2', 'x']);
  });

  it('handles 10 000-deep graphs without recursion', () => {
    const depth = 10_000;
    const text = '(+ 1 '.repeat(depth) + 'x' + ')'.repeat(depth);
    const g = MathGraph.fromPolish(text);
    expect(g.depth).toBe(depth);
    expect(g.toPolish()).toBe(text);
    expect(MathGraph.fromJSON(g.toJSON()).toPolish()).toBe(text);
  });

  it('fromJSON rejects bad graphs with a typed error naming the field', () => {
    const ok = MathGraph.fromPolish('(+ 1 x)').toJSON();
    const broken = (mutate: (j: any) => void) => {
      const j = JSON.parse(JSON.stringify(ok));
      mutate(j);
      try {
        MathGraph.fromJSON(j);
      } catch (err) {
        expect(err).toBeInstanceOf(GraphError);
        return (err as GraphError).field;
      }
      throw new Error('expected a GraphError');
    };
    expect(broken((j) => (j.nodes[1].id = 5))).toBe('graph.nodes[1].id');
    expect(broken((j) => (j.nodes[1].type = 'number'))).toBe('graph.nodes[1].type');
    expect(broken((j) => (j.nodes[1].value = 1.5))).toBe('graph.nodes[1].value');
    expect(broken((j) => (j.nodes[2].value = 'sin'))).toBe('graph.nodes[2].value');
    expect(broken((j) => (j.nodes[0].value = '%'))).toBe('graph.nodes[0].value');
    expect(broken((j) => (j.edges[1].to = 7))).toBe('graph.edges[1].to');
    expect(broken((j) => j.edges.pop())).toBe('graph.nodes[0]');
    expect(broken((j) => (j.edges = 'none'))).toBe('graph.edges');
    expect(broken((j) => j.edges.push({ from: 2, to: 0 }))).toBe('graph.nodes[2]');
    expect(broken((j) => (j.nodes = []))).toBe('graph.nodes');
    const cycle = { nodes: [{ id: 0, type: 'fn', value: 'sin' }, { id: 1, type: 'fn', value: 'cos' }, { id: 2, type: 'fn', value: 'exp' }], edges: [{ from: 0, to: 1 }, { from: 1, to: 2 }, { from: 2, to: 1 }] };
    expect(() => MathGraph.fromJSON(cycle)).toThrow(/cycle/);
    const derive = MathGraph.fromPolish('(derive x x)').toJSON();
    derive.nodes[2] = { id: 2, type: 'symbol', value: 'pi' };
    expect(() => MathGraph.fromJSON(derive)).toThrow(GraphError);
    const eq = { nodes: [{ id: 0, type: 'op', value: '=' }, { id: 1, type: 'int', value: 1 }, { id: 2, type: 'int', value: 1 }], edges: [{ from: 0, to: 1 }, { from: 0, to: 2 }] };
    expect(() => MathGraph.fromJSON(eq)).toThrow(/only allowed/);
  });

  it('reads DAGs with shared children', () => {
    const dag = {
      nodes: [{ id: 0, type: 'op', value: '*' }, { id: 1, type: 'op', value: '+' }, { id: 2, type: 'symbol', value: 'x' }, { id: 3, type: 'int', value: 1 }],
      edges: [{ from: 0, to: 1 }, { from: 0, to: 1 }, { from: 1, to: 2 }, { from: 1, to: 3 }],
    };
    const g = MathGraph.fromJSON(dag);
    expect(g.toPolish()).toBe('(* (+ x 1) (+ x 1))');
    expect(Array.from(g.depths())).toEqual([2, 1, 0, 0]);
  });
});

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }).map((v) => int(v)),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => parse(print({ type: 'float', value: v }))),
  fc.constantFrom('x', 'y', 'e', 'pi').map((v) => sym(v)),
);
const tree: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.tuple(fc.constantFrom('+', '-', '*', '/', '^') as fc.Arbitrary<'+'>, tie('e'), tie('e')).map(([o, a, b]) => op(o, a, b)),
    fc.tuple(fc.constantFrom('sin', 'exp', 'sqrt') as fc.Arbitrary<'sin'>, tie('e')).map(([f, a]) => fn(f, a)),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => fn('solve', op('=', a, b), sym('x'))),
  ),
})).e;

describe('polish <-> graph round trip (property)', () => {
  it('is lossless through JSON text', () => {
    fc.assert(
      fc.property(tree, (e) => {
        const text = print(e);
        const g = MathGraph.fromPolish(text);
        const back = MathGraph.fromJSON(JSON.parse(JSON.stringify(g.toJSON())));
        expect(back.toPolish()).toBe(text);
        expect(back.toJSON()).toEqual(g.toJSON());
        expect(MathGraph.jsonOf(e)).toEqual(g.toJSON());
        expect(g.size).toBe(g.toJSON().nodes.length);
        expect(g.depth).toBe(Math.max(...Array.from(g.depths())));
      }),
      { numRuns: 500 },
    );
  });

  // pre-order ids (every edge to a later node) take an allocation-free path; any other
  // numbering the general one: both must give the recursive definition's depths and orders
  it('gives the depths and levels of the recursive definition, whatever the numbering of the nodes', () => {
    fc.assert(
      fc.property(tree, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (e, seed) => {
        const json = MathGraph.fromExpr(e).toJSON();
        const n = json.nodes.length;
        // a permutation of the ids from the seed (a seeded Fisher–Yates)
        const perm = Array.from({ length: n }, (_, i) => i);
        let state = seed;
        for (let i = n - 1; i > 0; i--) {
          state = (state * 1103515245 + 12345) % 2 ** 31;
          const j = state % (i + 1);
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        const renumbered = {
          nodes: json.nodes.map((_, newId) => ({ ...json.nodes[perm.indexOf(newId)], id: newId })),
          edges: json.edges.map((ed) => ({ from: perm[ed.from], to: perm[ed.to] })),
        };
        for (const graph of [json, renumbered]) {
          const g = MathGraph.fromJSON(graph);
          expect(g.toPolish()).toBe(print(e));
          const kids = (id: number) => graph.edges.filter((ed) => ed.from === id).map((ed) => ed.to);
          const depthOf = (id: number): number => (kids(id).length === 0 ? 0 : 1 + Math.max(...kids(id).map(depthOf)));
          const depths = Array.from({ length: n }, (_, id) => depthOf(id));
          expect(Array.from(g.depths())).toEqual(depths);
          const a = g.toArrays();
          expect(Array.from(a.depth)).toEqual(depths);
          const byDepthThenId = Array.from({ length: n }, (_, id) => id).sort((x, y) => depths[x] - depths[y] || x - y);
          expect(Array.from(a.topoOrder)).toEqual(byDepthThenId);
          expect(Array.from(a.levelStart)).toEqual(Array.from({ length: Math.max(...depths) + 2 }, (_, d) => depths.filter((x) => x < d).length));
          expect(Array.from(g.topoOrder())).toEqual(byDepthThenId);
        }
      }),
      { numRuns: 300 },
    );
  });
});
