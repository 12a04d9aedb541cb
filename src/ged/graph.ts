/**
 * Graph edit distance cost model on directed graphs with ordered out-edges, and the
 * Riesen–Bunke assignment matrices built on it.
 *
 * An edge u → w is labelled with its child position (w is u's k-th child). A node mapping
 * π (a partial injection from a's nodes to b's) induces exactly one edit script:
 *   - nodes: substitute u by π(u), delete unmapped nodes of a, insert unmapped nodes of b;
 *   - edges: an edge u →k w of a is kept when π(u) →k' π(w) is an edge of b (cost
 *     edgeSubstitute when k ≠ k', 0 otherwise) and deleted otherwise; every edge of b that no
 *     kept edge maps onto is inserted.
 * GED(a, b) is the least cost over all π (node costs × alpha, edge costs × beta).
 */
import type { EditCosts } from './costs';
import { substituteCost, type NodeKey } from './costs';
import type { LabelledGraph } from './input';

/** A LabelledGraph with its in-edges and an adjacency table (position + 1, 0 = no edge). */
export class GraphIndex {
  readonly n: number;
  readonly keys: readonly NodeKey[];
  /** out[u]: [child, position] */
  readonly out: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
  /** inn[u]: [parent, position of u among the parent's children] */
  readonly inn: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
  private readonly adjacency: Int32Array;
  readonly edgeCount: number;

  constructor(g: LabelledGraph) {
    const n = g.nodes.length;
    this.n = n;
    this.keys = g.nodes;
    const out: Array<Array<[number, number]>> = Array.from({ length: n }, () => []);
    const inn: Array<Array<[number, number]>> = Array.from({ length: n }, () => []);
    this.adjacency = new Int32Array(n * n);
    let edges = 0;
    for (let u = 0; u < n; u++) {
      g.children[u].forEach((w, k) => {
        out[u].push([w, k]);
        inn[w].push([u, k]);
        this.adjacency[u * n + w] = k + 1;
        edges++;
      });
    }
    this.out = out;
    this.inn = inn;
    this.edgeCount = edges;
  }

  /** position + 1 of the edge u → w, 0 when there is none */
  edge(u: number, w: number): number {
    return this.adjacency[u * this.n + w];
  }

  degree(u: number): number {
    return this.out[u].length + this.inn[u].length;
  }
}

/** Costs with the weights folded in. */
export interface ScaledCosts {
  nodeInsert: number;
  nodeDelete: number;
  edgeInsert: number;
  edgeDelete: number;
  edgeSubstitute: number;
  sub: (u: NodeKey, v: NodeKey) => number;
}

export function scaleCosts(c: EditCosts): ScaledCosts {
  return {
    nodeInsert: c.alpha * c.nodeInsert,
    nodeDelete: c.alpha * c.nodeDelete,
    edgeInsert: c.beta * c.edgeInsert,
    edgeDelete: c.beta * c.edgeDelete,
    edgeSubstitute: c.beta * c.edgeSubstitute,
    sub: (u, v) => substituteCost(u, v, c),
  };
}

/**
 * The exact cost of the edit script induced by `map` (map[u] = π(u), −1 = deleted), the
 * definition in the header comment, computed directly.
 */
export function editPathCost(a: GraphIndex, b: GraphIndex, map: ArrayLike<number>, c: ScaledCosts): number {
  let cost = 0;
  const covered = new Uint8Array(b.n);
  for (let u = 0; u < a.n; u++) {
    const v = map[u];
    if (v < 0) cost += c.nodeDelete;
    else {
      cost += c.sub(a.keys[u], b.keys[v]);
      covered[v] = 1;
    }
  }
  for (let v = 0; v < b.n; v++) if (!covered[v]) cost += c.nodeInsert;
  let kept = 0;
  for (let u = 0; u < a.n; u++) {
    for (const [w, k] of a.out[u]) {
      const pu = map[u];
      const pw = map[w];
      const e = pu >= 0 && pw >= 0 ? b.edge(pu, pw) : 0;
      if (e === 0) cost += c.edgeDelete;
      else {
        kept++;
        if (e - 1 !== k) cost += c.edgeSubstitute;
      }
    }
  }
  return cost + (b.edgeCount - kept) * c.edgeInsert;
}

/**
 * Least cost of matching two multisets of edge labels (child positions): `shared` labels
 * pair up for free, the rest of the smaller side pairs up at min(substitute, delete + insert),
 * and the surplus of the larger side is deleted or inserted.
 */
function labelMatchingCost(p: number, q: number, shared: number, c: ScaledCosts): number {
  const paired = Math.min(p, q);
  return (paired - shared) * Math.min(c.edgeSubstitute, c.edgeDelete + c.edgeInsert) + (p - paired) * c.edgeDelete + (q - paired) * c.edgeInsert;
}

/** Size of the multiset intersection of two ascending lists of positions (a merge). */
function sharedCount(x: Int32Array, y: Int32Array): number {
  let i = 0;
  let j = 0;
  let shared = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      shared++;
      i++;
      j++;
    } else if (x[i] < y[j]) i++;
    else j++;
  }
  return shared;
}

/**
 * The state of a partial mapping for the assignment bound: which nodes are still free.
 * `mapA[u]` is π(u) (≥ 0), −1 for deleted, −2 for undecided; `usedB[v]` marks b's nodes
 * already taken by a decided node.
 */
export interface PartialMapping {
  mapA: Int32Array;
  usedB: Uint8Array;
}

/** Labels (ascending) of `u`'s out- and in-edges whose other endpoint satisfies `keep`. */
function edgeLabels(g: GraphIndex, u: number, keep: (w: number) => boolean): { out: Int32Array; inn: Int32Array } {
  const out: number[] = [];
  const inn: number[] = [];
  for (const [w, k] of g.out[u]) if (keep(w)) out.push(k);
  for (const [w, k] of g.inn[u]) if (keep(w)) inn.push(k);
  return { out: Int32Array.from(out).sort(), inn: Int32Array.from(inn).sort() };
}

/**
 * The Riesen–Bunke cost matrix of the free nodes: rows = free nodes of a (`rows`) then one
 * ε row per free node of b, columns = free nodes of b (`cols`) then one ε column per free
 * node of a; size (r + s)². Entry (u, v) is
 *   node cost(u, v)
 *   + cross(u, v): the exact cost of every edge between u or v and an already decided node
 *     (such an edge has exactly one free endpoint, so its fate is fixed by the pair alone)
 *   + edgeFactor × the least cost of matching u's and v's edge labels among free nodes.
 * With edgeFactor = ½ every free–free edge is charged half at each end, so the optimal
 * assignment is a LOWER bound on the cost of completing the mapping (each edit of such an
 * edge is paid in full at its two endpoints' pairs, and each pair's local matching is at
 * most what the script pays there). With edgeFactor = 1 it is the classic Riesen–Bunke
 * matrix, a better guide for an upper-bound assignment.
 * Deletion (u, ε_u) and insertion (ε_v, v) are the diagonal of their blocks; the rest of
 * those blocks is +Infinity, and the ε–ε block is 0.
 */
export function assignmentMatrix(
  a: GraphIndex, b: GraphIndex, rows: readonly number[], cols: readonly number[],
  state: PartialMapping | null, c: ScaledCosts, edgeFactor: number,
): Float64Array {
  return assignmentMatrices(a, b, rows, cols, state, c, [edgeFactor])[0];
}

/** The matrices of several edge factors at once (they share every term but the factor). */
export function assignmentMatrices(
  a: GraphIndex, b: GraphIndex, rows: readonly number[], cols: readonly number[],
  state: PartialMapping | null, c: ScaledCosts, edgeFactors: readonly number[],
): Float64Array[] {
  const r = rows.length;
  const s = cols.length;
  const size = r + s;
  const ms = edgeFactors.map(() => new Float64Array(size * size).fill(Infinity));
  const freeA = (w: number) => state === null || state.mapA[w] === -2;
  const freeB = (w: number) => state === null || !state.usedB[w];
  const labelsA = rows.map((u) => edgeLabels(a, u, freeA));
  const labelsB = cols.map((v) => edgeLabels(b, v, freeB));
  // cross edges: a's edges from u to decided nodes, b's edges from v to used nodes
  const crossA = rows.map((u) => (state === null ? [] : crossEdges(a, u, (w) => state.mapA[w] !== -2)));
  const crossB = cols.map((v) => (state === null ? [] : crossEdges(b, v, (w) => state.usedB[w] === 1)));
  const keysB = cols.map((v) => b.keys[v]);
  for (let i = 0; i < r; i++) {
    const u = rows[i];
    const keyA = a.keys[u];
    const { out: outA, inn: innA } = labelsA[i];
    for (let j = 0; j < s; j++) {
      const { out: outB, inn: innB } = labelsB[j];
      const local =
        labelMatchingCost(outA.length, outB.length, sharedCount(outA, outB), c) +
        labelMatchingCost(innA.length, innB.length, sharedCount(innA, innB), c);
      const fixed = c.sub(keyA, keysB[j]) + (state === null ? 0 : crossCost(a, b, u, cols[j], crossA[i], crossB[j], state, c));
      for (let f = 0; f < ms.length; f++) ms[f][i * size + j] = fixed + edgeFactors[f] * local;
    }
    const degree = outA.length + innA.length;
    for (let f = 0; f < ms.length; f++) {
      ms[f][i * size + s + i] = c.nodeDelete + crossA[i].length * c.edgeDelete + edgeFactors[f] * degree * c.edgeDelete;
    }
  }
  for (let k = 0; k < s; k++) {
    const degree = labelsB[k].out.length + labelsB[k].inn.length;
    for (let f = 0; f < ms.length; f++) {
      const m = ms[f];
      m[(r + k) * size + k] = c.nodeInsert + crossB[k].length * c.edgeInsert + edgeFactors[f] * degree * c.edgeInsert;
      m.fill(0, (r + k) * size + s, (r + k + 1) * size); // the ε–ε block
    }
  }
  return ms;
}

/** Edges between u and nodes satisfying `decided`: [other end, position, u is the source]. */
function crossEdges(g: GraphIndex, u: number, decided: (w: number) => boolean): Array<[number, number, boolean]> {
  const out: Array<[number, number, boolean]> = [];
  for (const [w, k] of g.out[u]) if (decided(w)) out.push([w, k, true]);
  for (const [w, k] of g.inn[u]) if (decided(w)) out.push([w, k, false]);
  return out;
}

/**
 * Cost of the cross edges when u maps to v: a's cross edges of u are kept (possibly at
 * another position) or deleted; b's cross edges of v that none of them maps onto are inserted.
 */
function crossCost(
  a: GraphIndex, b: GraphIndex, u: number, v: number,
  crossA: ReadonlyArray<readonly [number, number, boolean]>, crossB: ReadonlyArray<readonly [number, number, boolean]>,
  state: PartialMapping, c: ScaledCosts,
): number {
  let cost = 0;
  let kept = 0;
  for (const [w, k, outgoing] of crossA) {
    const pw = state.mapA[w];
    const e = pw < 0 ? 0 : outgoing ? b.edge(v, pw) : b.edge(pw, v);
    if (e === 0) cost += c.edgeDelete;
    else {
      kept++;
      if (e - 1 !== k) cost += c.edgeSubstitute;
    }
  }
  return cost + (crossB.length - kept) * c.edgeInsert;
}

/**
 * The cost of deciding u ↦ v (v = −1: delete u) given the decided nodes: u's node cost plus
 * every edge between u (or v) and a decided node. Summing this over the decision order gives
 * editPathCost of the final mapping (each edge is decided when its second endpoint is).
 */
export function decisionCost(a: GraphIndex, b: GraphIndex, u: number, v: number, state: PartialMapping, c: ScaledCosts): number {
  const crossA = crossEdges(a, u, (w) => state.mapA[w] !== -2 && w !== u);
  if (v < 0) return c.nodeDelete + crossA.length * c.edgeDelete;
  const crossB = crossEdges(b, v, (w) => state.usedB[w] === 1 && w !== v);
  return c.sub(a.keys[u], b.keys[v]) + crossCost(a, b, u, v, crossA, crossB, state, c);
}
