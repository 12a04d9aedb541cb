import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { typeCode, type EditCosts, type NodeKey } from '../../src/ged/costs';
import { graphEditDistance, graphMappingCost } from '../../src/ged/ged';
import type { LabelledGraph } from '../../src/ged/input';
import { solveAssignment } from '../../src/ged/lsap';
import { MathGraph } from '../../src/graph/index';
import { backendOf, rng, type BackendName } from './helpers';

interface FixtureNode {
  type: string;
  value: number | string;
  label: string;
}
interface FixtureGraph {
  nodes: FixtureNode[];
  children: number[][];
}
interface Fixture {
  networkx: string;
  costSets: Record<string, Record<string, number>>;
  cases: Array<{ kind: string; costs: string; a: FixtureGraph; b: FixtureGraph; ged: number }>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/ged/networkx_ged.json', import.meta.url), 'utf8')) as Fixture;

function toGraph(g: FixtureGraph): LabelledGraph {
  const nodes: NodeKey[] = g.nodes.map((n) => {
    const type = typeCode(n.type);
    return { label: n.label, type, value: type <= 1 ? Number(n.value) : NaN };
  });
  return { nodes, children: g.children };
}

function toCosts(c: Record<string, number>): Partial<EditCosts> {
  return {
    nodeInsert: c.node_insert, nodeDelete: c.node_delete, nodeType: c.node_type, nodeValue: c.node_value,
    edgeInsert: c.edge_insert, edgeDelete: c.edge_delete, edgeSubstitute: c.edge_substitute,
    tolerance: c.tolerance, alpha: c.alpha, beta: c.beta,
  };
}

/** GED by trying every node mapping (partial injection) and costing its script plainly. */
function bruteForceGed(a: LabelledGraph, b: LabelledGraph, costs: Partial<EditCosts>): number {
  const map: Array<[number, number]> = [];
  const used = new Array<boolean>(b.nodes.length).fill(false);
  let best = Infinity;
  const go = (u: number) => {
    if (u === a.nodes.length) {
      best = Math.min(best, plainScriptCost(a, b, map, costs));
      return;
    }
    go(u + 1);
    for (let v = 0; v < b.nodes.length; v++) {
      if (used[v]) continue;
      used[v] = true;
      map.push([u, v]);
      go(u + 1);
      map.pop();
      used[v] = false;
    }
  };
  go(0);
  return best;
}

/** The edit script of a mapping costed from the definition (independent of src/ged/graph.ts). */
function plainScriptCost(a: LabelledGraph, b: LabelledGraph, pairs: ReadonlyArray<readonly [number, number]>, costs: Partial<EditCosts>): number {
  const c = { nodeInsert: 1, nodeDelete: 1, nodeType: 1, nodeValue: 1, edgeInsert: 1, edgeDelete: 1, edgeSubstitute: 1, tolerance: -1, alpha: 1, beta: 1, ...costs };
  const to = new Map(pairs.map(([u, v]) => [u, v]));
  const sub = (x: NodeKey, y: NodeKey) => {
    if (x.label === y.label) return 0;
    if (x.type !== y.type) return c.nodeType;
    if (x.type <= 1 && Math.abs(x.value - y.value) <= c.tolerance) return 0;
    return c.nodeValue;
  };
  let nodes = (a.nodes.length - pairs.length) * c.nodeDelete + (b.nodes.length - pairs.length) * c.nodeInsert;
  for (const [u, v] of pairs) nodes += sub(a.nodes[u], b.nodes[v]);
  const edgesB = new Map<string, number>();
  b.children.forEach((kids, v) => kids.forEach((w, k) => edgesB.set(`${v}>${w}`, k)));
  let edges = 0;
  let kept = 0;
  a.children.forEach((kids, u) =>
    kids.forEach((w, k) => {
      const key = `${to.get(u)}>${to.get(w)}`;
      const pos = edgesB.get(key);
      if (pos === undefined) edges += c.edgeDelete;
      else {
        kept++;
        if (pos !== k) edges += c.edgeSubstitute;
      }
    }),
  );
  edges += (edgesB.size - kept) * c.edgeInsert;
  return c.alpha * nodes + c.beta * edges;
}

function randomGraph(random: () => number, n: number): LabelledGraph {
  const labels = ['+', '*', 'x', '1', '2'];
  const nodes = Array.from({ length: n }, () => {
    const label = labels[Math.floor(random() * labels.length)];
    const type = label === '+' || label === '*' ? typeCode('op') : label === 'x' ? typeCode('symbol') : typeCode('int');
    return { label, type, value: type === 0 ? Number(label) : NaN };
  });
  const children = nodes.map((_, i) => {
    const kids: number[] = [];
    for (let j = i + 1; j < n; j++) if (random() < 0.4) kids.push(j);
    return random() < 0.5 ? kids.reverse() : kids;
  });
  return { nodes, children };
}

describe.each<BackendName>(['wasm', 'js'])('graphEditDistance on %s', (name) => {
  it(`matches networkx on all ${fixture.cases.length} fixture pairs, with a mapping that costs the distance`, async () => {
    const backend = await backendOf(name);
    let agreed = 0;
    for (const [k, cse] of fixture.cases.entries()) {
      const a = toGraph(cse.a);
      const b = toGraph(cse.b);
      const costs = toCosts(fixture.costSets[cse.costs]);
      const r = graphEditDistance(a, b, { method: 'exact', costs, backend });
      expect(r.exact, `case ${k}`).toBe(true);
      expect(r.distance, `case ${k} (${cse.kind}, ${cse.costs})`).toBeCloseTo(cse.ged, 9);
      expect(r.lowerBound).toBeCloseTo(cse.ged, 9);
      expect(plainScriptCost(a, b, r.mapping.pairs, costs)).toBeCloseTo(r.distance, 9);
      expect(graphMappingCost(a, b, r.mapping, costs)).toBeCloseTo(r.distance, 9);
      // the bipartite bounds bracket the networkx distance
      const bp = graphEditDistance(a, b, { method: 'bipartite', costs, backend });
      expect(bp.lowerBound).toBeLessThanOrEqual(cse.ged + 1e-9);
      expect(bp.upperBound).toBeGreaterThanOrEqual(cse.ged - 1e-9);
      expect(plainScriptCost(a, b, bp.mapping.pairs, costs)).toBeCloseTo(bp.upperBound, 9);
      agreed++;
    }
    expect(agreed).toBe(fixture.cases.length);
  });

  it('matches brute force over all node mappings on random small DAGs, also where substituting costs more than delete + insert', async () => {
    const backend = await backendOf(name);
    const random = rng(name === 'wasm' ? 61 : 62);
    const costSets: Partial<EditCosts>[] = [
      { nodeDelete: 1.5, edgeInsert: 0.5, edgeSubstitute: 0.25, beta: 2 },
      { nodeType: 3, nodeValue: 2.5, edgeSubstitute: 3, alpha: 0.5 }, // the regime networkx gets wrong (issue #8099)
    ];
    for (let t = 0; t < 80; t++) {
      const a = randomGraph(random, 1 + Math.floor(random() * 5));
      const b = randomGraph(random, 1 + Math.floor(random() * 5));
      const costs = costSets[t % 2];
      const r = graphEditDistance(a, b, { method: 'exact', costs, backend });
      expect(r.distance).toBeCloseTo(bruteForceGed(a, b, costs), 9);
      expect(plainScriptCost(a, b, r.mapping.pairs, costs)).toBeCloseTo(r.distance, 9);
    }
  });

  it('times out honestly: bounds bracket the exact distance and exact is false', async () => {
    const backend = await backendOf(name);
    const random = rng(71);
    let timedOut = 0;
    for (let t = 0; t < 5; t++) {
      const a = randomGraph(random, 9);
      const b = randomGraph(random, 9);
      const quick = graphEditDistance(a, b, { method: 'exact', timeoutMs: 0, backend });
      const full = graphEditDistance(a, b, { method: 'exact', backend });
      expect(full.exact).toBe(true);
      expect(quick.lowerBound).toBeLessThanOrEqual(full.distance + 1e-9);
      expect(quick.upperBound).toBeGreaterThanOrEqual(full.distance - 1e-9);
      expect(quick.distance).toBe(quick.upperBound);
      expect(plainScriptCost(a, b, quick.mapping.pairs, {})).toBeCloseTo(quick.distance, 9);
      if (!quick.exact) timedOut++;
      else expect(quick.lowerBound).toBe(quick.upperBound);
    }
    expect(timedOut).toBeGreaterThan(0);
  });
});

describe('graphEditDistance inputs', () => {
  it('accepts MathGraphs, Polish text and dataset JSON; child order is an edge label', async () => {
    const backend = await backendOf('js');
    expect(graphEditDistance('(- x 2)', '(- x 2)', { backend }).distance).toBe(0);
    // swapping operands: two edge substitutions (or two relabels)
    expect(graphEditDistance('(- x 2)', '(- 2 x)', { backend }).distance).toBe(2);
    expect(graphEditDistance('(- x 2)', '(- 2 x)', { backend, costs: { edgeSubstitute: 0 } }).distance).toBe(0);
    const g = MathGraph.fromPolish('(+ (* 2 3) 4)');
    expect(graphEditDistance(g, g.toJSON(), { backend }).distance).toBe(0);
    expect(graphEditDistance(g, '(+ (* 2 3) 5)', { backend }).distance).toBe(1);
  });
});

describe('lsapSolve', () => {
  it('finds the optimum of random matrices (brute force over permutations) on both backends', async () => {
    const random = rng(81);
    for (const name of ['wasm', 'js'] as const) {
      const backend = await backendOf(name);
      for (let t = 0; t < 40; t++) {
        const n = 1 + Math.floor(random() * 7);
        const m = Float64Array.from({ length: n * n }, () => (random() < 0.15 ? Infinity : Math.round(random() * 20) / 4));
        const best = bruteForceAssignment(n, m);
        const r = solveAssignment(backend, n, m);
        expect(r.cost).toBe(best);
        if (Number.isFinite(best)) {
          expect(new Set(r.rowToCol).size).toBe(n);
          expect(Array.from(r.rowToCol).reduce((s, j, i) => s + m[i * n + j], 0)).toBe(best);
        }
      }
    }
  });

  it('picks the same assignment on wasm and js when costs tie (odd and even sizes, forbidden cells)', async () => {
    const random = rng(83);
    const [w, j] = await Promise.all([backendOf('wasm'), backendOf('js')]);
    for (const n of [1, 2, 3, 7, 8, 31, 64]) {
      const m = Float64Array.from({ length: n * n }, () => (random() < 0.1 ? Infinity : Math.floor(random() * 3)));
      for (let i = 0; i < n; i++) m[i * n + i] = Math.floor(random() * 3); // keep a finite permutation
      const rw = solveAssignment(w, n, m);
      const rj = solveAssignment(j, n, m);
      expect(Number.isFinite(rw.cost)).toBe(true);
      expect(rw.cost).toBe(rj.cost);
      expect(Array.from(rw.rowToCol)).toEqual(Array.from(rj.rowToCol));
    }
  });

  it('agrees between wasm and js on 100×100 matrices', async () => {
    const random = rng(82);
    const n = 100;
    const m = Float64Array.from({ length: n * n }, () => random() * 10);
    const [w, j] = await Promise.all([backendOf('wasm'), backendOf('js')]);
    const rw = solveAssignment(w, n, m);
    const rj = solveAssignment(j, n, m);
    expect(rw.cost).toBe(rj.cost);
    expect(Array.from(rw.rowToCol)).toEqual(Array.from(rj.rowToCol));
  });
});

function bruteForceAssignment(n: number, m: Float64Array): number {
  let best = Infinity;
  const used = new Array<boolean>(n).fill(false);
  const go = (i: number, cost: number) => {
    if (i === n) {
      best = Math.min(best, cost);
      return;
    }
    for (let j = 0; j < n; j++) {
      if (used[j]) continue;
      used[j] = true;
      go(i + 1, cost + m[i * n + j]);
      used[j] = false;
    }
  };
  go(0, 0);
  return best;
}
