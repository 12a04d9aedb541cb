import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { treeEditDistance, treeEditDistanceBatch, treeMappingCost } from '../../src/ged/ted';
import type { TreeInput } from '../../src/ged/input';
import { flattenTreeNode, type TreeNode } from '../../src/ged/tree';
import { MathGraph } from '../../src/graph/index';
import {
  arbTree, backendOf, bruteForceTed, forestDistance, isTreeMapping, plainMappingCost, randomTree, rng, show,
  type BackendName, type UnitCosts,
} from './helpers';

const ALPHABET = ['a', 'b', 'c', 'd'];
const leaf = (label: string): TreeNode => ({ label });
const node = (label: string, ...children: TreeNode[]): TreeNode => ({ label, children });
// the single-pair path flattens through the iterative reader (FlatTree), not the batch's walk
const forestDistanceByFlat = (a: TreeNode, b: TreeNode, backend: Awaited<ReturnType<typeof backendOf>>) =>
  treeEditDistance(flattenTreeNode(a), flattenTreeNode(b), undefined, { backend }).distance;

describe.each<BackendName>(['wasm', 'js'])('treeEditDistance on %s', (name) => {
  it('matches textbook cases', async () => {
    const backend = await backendOf(name);
    // Zhang & Shasha's figure: f(d(a c(b)) e) vs f(c(d(a b)) e) has distance 2
    const a = node('f', node('d', leaf('a'), node('c', leaf('b'))), leaf('e'));
    const b = node('f', node('c', node('d', leaf('a'), leaf('b'))), leaf('e'));
    expect(treeEditDistance(a, b, undefined, { backend }).distance).toBe(2);
    expect(treeEditDistance(a, a, undefined, { backend }).distance).toBe(0);
    expect(treeEditDistance(leaf('x'), leaf('y'), undefined, { backend }).distance).toBe(1);
    expect(treeEditDistance(leaf('x'), node('x', leaf('y'), leaf('z')), undefined, { backend }).distance).toBe(2);
  });

  it('agrees with the forest recursion on 300 random trees of up to 12 nodes, and its mapping costs the distance', async () => {
    const backend = await backendOf(name);
    const random = rng(name === 'wasm' ? 11 : 12);
    for (let t = 0; t < 300; t++) {
      const a = randomTree(random, 1 + Math.floor(random() * 12), ALPHABET);
      const b = randomTree(random, 1 + Math.floor(random() * 12), ALPHABET);
      const { distance, mapping } = treeEditDistance(a, b, undefined, { backend });
      const oracle = forestDistance(a, b);
      expect(distance, `${show(a)} vs ${show(b)}`).toBe(oracle);
      expect(isTreeMapping(a, b, mapping.pairs), `mapping of ${show(a)} vs ${show(b)}`).toBe(true);
      expect(plainMappingCost(a, b, mapping.pairs)).toBe(distance);
      expect(treeMappingCost(a, b, mapping)).toBe(distance);
      expect(mapping.deleted.length + mapping.pairs.length).toBe(flattenTreeNode(a).size);
      expect(mapping.inserted.length + mapping.pairs.length).toBe(flattenTreeNode(b).size);
    }
  });

  it('agrees with brute force over all tree mappings on tiny trees', async () => {
    const backend = await backendOf(name);
    const random = rng(name === 'wasm' ? 21 : 22);
    for (let t = 0; t < 150; t++) {
      const a = randomTree(random, 1 + Math.floor(random() * 5), ['a', 'b']);
      const b = randomTree(random, 1 + Math.floor(random() * 5), ['a', 'b']);
      expect(treeEditDistance(a, b, undefined, { backend }).distance, `${show(a)} vs ${show(b)}`).toBe(bruteForceTed(a, b));
    }
  });

  it('handles weighted, asymmetric costs on every kernel path (checked against the recursion)', async () => {
    const backend = await backendOf(name);
    const random = rng(31);
    // f64 cells with full costs; f64 cells, label-only; scaled i32 cells (dyadic costs); f64 again because
    // the largest distance would overflow the i32 range
    const configs: Array<[Parameters<typeof treeEditDistance>[2], UnitCosts]> = [
      [{ nodeInsert: 0.7, nodeDelete: 1.3, nodeType: 2.5, nodeValue: 2.5, alpha: 0.5 }, { ins: 0.35, del: 0.65, sub: (x, y) => (x === y ? 0 : 1.25) }],
      [{ nodeInsert: 0.3, nodeDelete: 0.7, nodeType: 1.1, nodeValue: 1.1 }, { ins: 0.3, del: 0.7, sub: (x, y) => (x === y ? 0 : 1.1) }],
      [{ nodeInsert: 0.25, nodeDelete: 1.5, nodeType: 0.75, nodeValue: 0.75 }, { ins: 0.25, del: 1.5, sub: (x, y) => (x === y ? 0 : 0.75) }],
      [{ nodeInsert: 2 ** 26, nodeDelete: 2 ** 26, nodeType: 2 ** 25, nodeValue: 2 ** 25 }, { ins: 2 ** 26, del: 2 ** 26, sub: (x, y) => (x === y ? 0 : 2 ** 25) }],
    ];
    for (const [costs, oracleCosts] of configs) {
      for (let t = 0; t < 40; t++) {
        const a = randomTree(random, 1 + Math.floor(random() * 10), ALPHABET);
        const b = randomTree(random, 1 + Math.floor(random() * 10), ALPHABET);
        const { distance, mapping } = treeEditDistance(a, b, costs, { backend });
        const want = forestDistance(a, b, oracleCosts);
        expect(Math.abs(distance - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, want));
        expect(isTreeMapping(a, b, mapping.pairs)).toBe(true);
        expect(Math.abs(plainMappingCost(a, b, mapping.pairs, oracleCosts) - distance)).toBeLessThanOrEqual(1e-12 * Math.max(1, want));
      }
    }
  });

  it('batch equals pair by pair, with shared and repeated trees', async () => {
    const backend = await backendOf(name);
    const random = rng(41);
    const trees = Array.from({ length: 40 }, () => randomTree(random, 1 + Math.floor(random() * 20), ALPHABET));
    const pairs = Array.from({ length: 200 }, () => [trees[Math.floor(random() * 40)], trees[Math.floor(random() * 40)]] as const);
    const batch = treeEditDistanceBatch(pairs, undefined, { backend });
    expect(batch).toBeInstanceOf(Float64Array);
    expect(Array.from(batch)).toEqual(pairs.map(([a, b]) => treeEditDistance(a, b, undefined, { backend }).distance));
    expect(treeEditDistanceBatch([], undefined, { backend }).length).toBe(0);
  });

  it('batch (the kernel orients each pair) equals single pairs (oriented here) on 2 000 random pairs of every input kind', async () => {
    const backend = await backendOf(name);
    const random = rng(name === 'wasm' ? 43 : 44);
    const comb = (n: number, right: boolean): TreeNode => {
      let t: TreeNode = leaf('1');
      for (let k = 0; k < n; k++) t = right ? node('+', leaf(ALPHABET[k % 4]), t) : node('*', t, leaf(ALPHABET[k % 4]));
      return t;
    };
    const polish = ['(+ (* 2 3) 4)', '(sin (+ x 0.5))', '(* (+ 1 2) (- x y))', '(/ (exp x) (+ x (* 2 x)))', 'x'];
    const input = (): TreeInput => {
      const u = random();
      if (u < 0.1) return comb(1 + Math.floor(random() * 14), random() < 0.5);
      if (u < 0.2) return polish[Math.floor(random() * polish.length)];
      if (u < 0.3) return MathGraph.fromPolish(polish[Math.floor(random() * polish.length)]);
      const t = randomTree(random, 1 + Math.floor(random() * 24), ALPHABET);
      return u < 0.4 ? flattenTreeNode(t) : t;
    };
    const pairs = Array.from({ length: 2000 }, () => [input(), input()] as const);
    for (const costs of [undefined, { nodeType: 2, nodeValue: 0.5, tolerance: 0.75 }]) {
      const batch = treeEditDistanceBatch(pairs, costs, { backend });
      const single = pairs.map(([a, b]) => treeEditDistance(a, b, costs, { backend }).distance);
      expect(Array.from(batch)).toEqual(single);
    }
  });

  it('runs combs both ways and a 3 000-deep chain without recursion', async () => {
    const backend = await backendOf(name);
    // right comb (+ 1 (+ 1 (+ 1 …))): O(n⁴) for left-path Zhang–Shasha, cheap along right paths
    const comb = (n: number, label: string): TreeNode => (n === 0 ? leaf('1') : node(label, leaf('1'), comb(n - 1, label)));
    const d = treeEditDistance(comb(150, '+'), comb(140, '*'), undefined, { backend }).distance;
    expect(d).toBe(140 + 20); // 140 relabels of + to *, 10 ops and 10 leaves deleted
    let chain: TreeNode = leaf('z');
    for (let i = 0; i < 3000; i++) chain = node(i % 2 ? 'a' : 'b', chain);
    const r = treeEditDistance(chain, node('b', leaf('z')), undefined, { backend });
    expect(r.distance).toBe(2999);
  });

  it('batches deep nested trees (past the recursive flattening) both ways, and names bad inputs', async () => {
    const backend = await backendOf(name);
    let chain: TreeNode = leaf('z');
    for (let i = 0; i < 1200; i++) chain = node(i % 3 ? 'a' : 'b', chain);
    // a right comb is cheaper along right paths: its pairs are packed mirrored
    const comb = (n: number): TreeNode => (n === 0 ? leaf('1') : node('+', leaf('1'), comb(n - 1)));
    const small = node('b', leaf('z'), leaf('1'));
    const pairs = [[chain, small], [small, chain], [comb(300), comb(290)], [small, comb(300)], [chain, chain]] as const;
    const single = pairs.map(([a, b]) => forestDistanceByFlat(a, b, backend));
    expect(Array.from(treeEditDistanceBatch(pairs, undefined, { backend }))).toEqual(single);
    expect(single[2]).toBe(20);
    expect(single[4]).toBe(0);
    expect(() => treeEditDistanceBatch([[small, small], [null as unknown as TreeNode, small]], undefined, { backend })).toThrow(/pairs\[1\]\[0\]/);
    expect(() => treeEditDistanceBatch([[small, node('+', { label: 3 } as unknown as TreeNode)]], undefined, { backend })).toThrow(/tree node 1 \(preorder\): label must be a string/);
  });

  it('is a metric on random trees (identity, symmetry, triangle inequality)', async () => {
    const backend = await backendOf(name);
    fc.assert(
      fc.property(arbTree(9, ALPHABET), arbTree(9, ALPHABET), arbTree(9, ALPHABET), (a, b, c) => {
        const d = (x: TreeNode, y: TreeNode) => treeEditDistance(x, y, undefined, { backend }).distance;
        const ab = d(a, b);
        expect(d(a, a)).toBe(0);
        expect(ab === 0).toBe(show(a) === show(b));
        expect(d(b, a)).toBe(ab);
        expect(d(a, c)).toBeLessThanOrEqual(ab + d(b, c));
      }),
      { numRuns: 150, seed: name === 'wasm' ? 7 : 8 },
    );
  });
});

describe('MathGraph and Polish inputs', () => {
  it('reads Polish text and MathGraphs; ids are MathGraph (preorder) ids', async () => {
    const backend = await backendOf('wasm');
    const r = treeEditDistance('(+ (* 2 3) 4)', MathGraph.fromPolish('(+ (* 2 x) 4)'), undefined, { backend });
    expect(r.distance).toBe(1);
    expect(r.mapping.relabelled).toEqual([[3, 3]]); // preorder: + * 2 3 4
    expect(r.mapping.pairs.length).toBe(5);
    // deleting the * node re-hangs 2 and 3 under +: (+ 2 3 4) is one deletion away
    const d = treeEditDistance('(+ (* 2 3) 4)', '(+ (- 2 3) 4)', undefined, { backend });
    expect(d.distance).toBe(1);
    expect(treeEditDistance('(sin x)', '(+ (sin x) 0.5)', undefined, { backend }).distance).toBe(2); // insert + and 0.5
    // floats print with a point: 2 (int) and 2.0 (float) are different labels and types
    expect(treeEditDistance('(+ x 2)', '(+ x 2.0)', undefined, { backend }).distance).toBe(1);
    expect(() => treeEditDistance('(+ x', '(+ x 2)', undefined, { backend })).toThrow(/a: not a Polish expression/);
  });

  it('uses node values with a tolerance on parsed expressions', async () => {
    const backend = await backendOf('js');
    expect(treeEditDistance('(* 0.333 x)', '(* 0.3333 x)', undefined, { backend }).distance).toBe(1);
    expect(treeEditDistance('(* 0.333 x)', '(* 0.3333 x)', { tolerance: 1e-3 }, { backend }).distance).toBe(0);
  });
});

describe('value-aware costs', () => {
  it('compares numeric values within the tolerance and types before values', async () => {
    const backend = await backendOf('wasm');
    const num = (v: number, type = 'float'): TreeNode => ({ label: String(v), type, value: v });
    const a = { label: '+', type: 'op', children: [num(1.0004), { label: 'x', type: 'symbol' }] };
    const b = { label: '+', type: 'op', children: [num(1.0), { label: 'y', type: 'symbol' }] };
    const costs = { nodeType: 3, nodeValue: 1 };
    expect(treeEditDistance(a, b, costs, { backend }).distance).toBe(2);
    expect(treeEditDistance(a, b, { ...costs, tolerance: 5e-4 }, { backend }).distance).toBe(1);
    // int 2 vs float 2.0 differ in type: substitution costs nodeType (3), cheaper to delete + insert (2)
    expect(treeEditDistance(num(2, 'int'), num(2.5), costs, { backend }).distance).toBe(2);
    expect(treeEditDistance(num(2, 'int'), num(2.5), { ...costs, nodeType: 1.5 }, { backend }).distance).toBe(1.5);
  });
});

describe('twin parity', () => {
  it('wasm and js agree on typed trees with numeric values, type cost below and above value cost', async () => {
    const [w, j] = await Promise.all([backendOf('wasm'), backendOf('js')]);
    const random = rng(52);
    const kinds: Array<() => TreeNode> = [
      () => ({ label: String(Math.floor(random() * 3)), type: 'int', value: Math.floor(random() * 3) }),
      () => {
        const v = Math.round(random() * 8) / 4;
        return { label: v.toFixed(2), type: 'float', value: v };
      },
      () => ({ label: random() < 0.5 ? 'x' : 'y', type: 'symbol' }),
      () => ({ label: random() < 0.5 ? '+' : '*', type: 'op' }),
    ];
    const typedTree = (size: number): TreeNode => {
      const nodes = Array.from({ length: size }, () => ({ ...kinds[Math.floor(random() * kinds.length)](), children: [] as TreeNode[] }));
      for (let k = 1; k < size; k++) nodes[Math.floor(random() * k)].children.push(nodes[k]);
      return nodes[0];
    };
    const pairs = Array.from({ length: 300 }, () => [typedTree(1 + Math.floor(random() * 30)), typedTree(1 + Math.floor(random() * 30))] as const);
    for (const costs of [{ nodeType: 0.5, nodeValue: 2, tolerance: 0.25 }, { nodeType: 2, nodeValue: 0.75 }, { nodeType: 0.75, nodeValue: 0.75, tolerance: 0 }]) {
      expect(Array.from(treeEditDistanceBatch(pairs, costs, { backend: w }))).toEqual(Array.from(treeEditDistanceBatch(pairs, costs, { backend: j })));
    }
  });

  it('byte cells (pairs up to 62 nodes, distances up to 254) agree with the twin, on both sides of every limit', async () => {
    const [w, j] = await Promise.all([backendOf('wasm'), backendOf('js')]);
    const random = rng(53);
    const sized = (na: number, nb: number) => [randomTree(random, na, ALPHABET), randomTree(random, nb, ALPHABET)] as const;
    // widths 1-64 lanes (1 to 4 vectors a row), and 63+ nodes (i32 cells)
    const pairs = Array.from({ length: 400 }, () => sized(1 + Math.floor(random() * 66), 1 + Math.floor(random() * 66)));
    expect(Array.from(treeEditDistanceBatch(pairs, undefined, { backend: w }))).toEqual(Array.from(treeEditDistanceBatch(pairs, undefined, { backend: j })));
    // byte cells need (nA + nB)·(largest cost) <= 254: with insert/delete 2 and relabel 4, 63 nodes
    // in all are the last on byte cells, 64 the first past them; disjoint alphabets make the
    // distance 2·(nA + nB) (relabel = delete + insert)
    const other = (t: TreeNode): TreeNode => ({ label: t.label.toUpperCase(), children: t.children?.map(other) });
    const edge = [sized(32, 31), sized(31, 32), sized(32, 32), sized(30, 30)].flatMap(([a, b]) => [[a, b], [a, other(b)]] as const);
    const costs = { nodeInsert: 2, nodeDelete: 2, nodeType: 4, nodeValue: 4 };
    const got = treeEditDistanceBatch(edge, costs, { backend: w });
    expect(Array.from(got)).toEqual(Array.from(treeEditDistanceBatch(edge, costs, { backend: j })));
    expect([got[1], got[3], got[5], got[7]]).toEqual([126, 126, 128, 120]);
  });

  it('byte cells with dyadic, asymmetric costs agree with the forest recursion', async () => {
    const backend = await backendOf('wasm');
    const random = rng(54);
    const costs = { nodeInsert: 0.25, nodeDelete: 1.5, nodeType: 0.75, nodeValue: 0.75 };
    const oracleCosts: UnitCosts = { ins: 0.25, del: 1.5, sub: (x, y) => (x === y ? 0 : 0.75) };
    const pairs = Array.from({ length: 120 }, () => [randomTree(random, 1 + Math.floor(random() * 18), ALPHABET), randomTree(random, 1 + Math.floor(random() * 18), ALPHABET)] as const);
    const got = treeEditDistanceBatch(pairs, costs, { backend });
    pairs.forEach(([a, b], k) => expect(got[k], `${show(a)} vs ${show(b)}`).toBe(forestDistance(a, b, oracleCosts)));
  });

  it('wasm and js give identical distances on 500 random pairs', async () => {
    const [w, j] = await Promise.all([backendOf('wasm'), backendOf('js')]);
    const random = rng(51);
    const pairs = Array.from(
      { length: 500 },
      () => [randomTree(random, 1 + Math.floor(random() * 40), ALPHABET), randomTree(random, 1 + Math.floor(random() * 40), ALPHABET)] as const,
    );
    const costs = { nodeInsert: 0.5, nodeValue: 1.5 };
    expect(Array.from(treeEditDistanceBatch(pairs, costs, { backend: w }))).toEqual(Array.from(treeEditDistanceBatch(pairs, costs, { backend: j })));
  });
});
