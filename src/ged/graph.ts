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

/** Size of the multiset intersection of two small lists of positions. */
function sharedCount(x: readonly number[], y: readonly number[]): number {
  if (x.length === 0 || y.length === 0) return 0;
  const counts = new Map<number, number>();
  for (const k of x) counts.set(k, (counts.get(k) ?? 0) + 1);
  let shared = 0;
  for (const k of y) {
    const have = counts.get(k) ?? 0;
    if (have > 0) {
      shared++;
      counts.set(k, have - 1);
    }
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

/** Labels of `u`'s out- and in-edges whose other endpoint satisfies `keep`. */
function edgeLabels(g: GraphIndex, u: number, keep: (w: number) => boolean): { out: number[]; inn: number[] } {
  const out: number[] = [];
  const inn: number[] = [];
  for (const [w, k] of g.out[u]) if (keep(w)) out.push(k);
  for (const [w, k] of g.inn[u]) if (keep(w)) inn.push(k);
  return { out, inn };
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
  const r = rows.length;
  const s = cols.length;
  const size = r + s;
  const m = new Float64Array(size * size);
  const freeA = (w: number) => state === null || state.mapA[w] === -2;
  const freeB = (w: number) => state === null || !state.usedB[w];
  const labelsA = rows.map((u) => edgeLabels(a, u, freeA));
  const labelsB = cols.map((v) => edgeLabels(b, v, freeB));
  // cross edges: a's edges from u to decided nodes, b's edges from v to used nodes
  const crossA = rows.map((u) => (state === null ? [] : crossEdges(a, u, (w) => state.mapA[w] !== -2)));
  const crossB = cols.map((v) => (state === null ? [] : crossEdges(b, v, (w) => state.usedB[w] === 1)));
  for (let i = 0; i < r; i++) {
    const u = rows[i];
    for (let j = 0; j < s; j++) {
      const v = cols[j];
      const local =
        labelMatchingCost(labelsA[i].out.length, labelsB[j].out.length, sharedCount(labelsA[i].out, labelsB[j].out), c) +
        labelMatchingCost(labelsA[i].inn.length, labelsB[j].inn.length, sharedCount(labelsA[i].inn, labelsB[j].inn), c);
      const cross = state === null ? 0 : crossCost(a, b, u, v, crossA[i], crossB[j], state, c);
      m[i * size + j] = c.sub(a.keys[u], b.keys[v]) + cross + edgeFactor * local;
    }
    for (let k = 0; k < r; k++) {
      const d = labelsA[i].out.length + labelsA[i].inn.length;
      m[i * size + s + k] = k === i ? c.nodeDelete + crossA[i].length * c.edgeDelete + edgeFactor * d * c.edgeDelete : Infinity;
    }
  }
  for (let k = 0; k < s; k++) {
    const d = labelsB[k].out.length + labelsB[k].inn.length;
    for (let j = 0; j < s; j++) {
      m[(r + k) * size + j] = k === j ? c.nodeInsert + crossB[k].length * c.edgeInsert + edgeFactor * d * c.edgeInsert : Infinity;
    }
    // ε–ε block stays 0
  }
  return m;
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
