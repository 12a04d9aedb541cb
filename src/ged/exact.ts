/**
 * Exact graph edit distance by depth-first branch and bound over node mappings.
 *
 * The nodes of a are decided one at a time (order: most connected to the nodes decided so
 * far, then highest degree), each mapped to a free node of b or deleted. A search node
 * carries g = the exact cost of everything already decided (decisionCost: node costs and
 * every edge whose endpoints are both decided) and the bound g + h, where h is the optimal
 * assignment of the free nodes (assignmentMatrix with the cross-edge costs, edge factor ½),
 * a lower bound on any completion. Children are explored cheapest bound first and pruned
 * when their bound reaches the best script found (initially the bipartite upper bound).
 * When all of a is decided, h is the exact cost of inserting the rest of b, so a leaf's
 * bound is its script's cost.
 *
 * On timeout the search stops and reports the best script found (upper bound) and the
 * least bound among the subtrees it had not finished, which every unexplored script
 * respects (lower bound).
 */
import type { Backend } from '../backend/index';
import { assignmentMatrix, decisionCost, type GraphIndex, type PartialMapping, type ScaledCosts } from './graph';
import { solveAssignment } from './lsap';

export interface SearchResult {
  lowerBound: number;
  upperBound: number;
  map: Int32Array;
  exact: boolean;
  /** search nodes expanded */
  expanded: number;
}

/** Relative slack below which a bound is treated as not better than the incumbent. */
const EPS = 1e-9;

class Timeout {}

function decisionOrder(a: GraphIndex): number[] {
  const order: number[] = [];
  const placed = new Uint8Array(a.n);
  const links = new Int32Array(a.n); // edges to placed nodes
  for (let step = 0; step < a.n; step++) {
    let best = -1;
    for (let u = 0; u < a.n; u++) {
      if (placed[u]) continue;
      if (best < 0 || links[u] > links[best] || (links[u] === links[best] && a.degree(u) > a.degree(best))) best = u;
    }
    placed[best] = 1;
    order.push(best);
    for (const [w] of a.out[best]) links[w]++;
    for (const [w] of a.inn[best]) links[w]++;
  }
  return order;
}

export function branchAndBound(
  backend: Backend, a: GraphIndex, b: GraphIndex, c: ScaledCosts,
  start: { lowerBound: number; upperBound: number; map: Int32Array }, timeoutMs: number,
): SearchResult {
  const deadline = performance.now() + timeoutMs;
  const order = decisionOrder(a);
  const state: PartialMapping = { mapA: new Int32Array(a.n).fill(-2), usedB: new Uint8Array(b.n) };
  let upper = start.upperBound;
  let bestMap = start.map.slice();
  let expanded = 0;
  // per depth: children bounds (ascending) and the index being explored, for the timeout bound
  const frameBounds: number[][] = [];
  const frameNext: number[] = [];
  let timeoutBound = Infinity;
  let timeoutDepth = 0;

  const freeBound = (depth: number): number => {
    const rows: number[] = [];
    for (let k = depth; k < order.length; k++) rows.push(order[k]);
    const cols: number[] = [];
    for (let v = 0; v < b.n; v++) if (!state.usedB[v]) cols.push(v);
    const size = rows.length + cols.length;
    return solveAssignment(backend, size, assignmentMatrix(a, b, rows, cols, state, c, 0.5)).cost;
  };

  const expand = (depth: number, g: number, bound: number): void => {
    expanded++;
    if ((expanded & 15) === 0 && performance.now() > deadline) {
      timeoutBound = bound;
      timeoutDepth = depth;
      throw new Timeout();
    }
    if (depth === order.length) {
      if (bound < upper) {
        upper = bound;
        bestMap = state.mapA.slice();
      }
      return;
    }
    const u = order[depth];
    const children: Array<{ v: number; g: number; bound: number }> = [];
    for (let v = -1; v < b.n; v++) {
      if (v >= 0 && state.usedB[v]) continue;
      const dg = decisionCost(a, b, u, v, state, c);
      state.mapA[u] = v;
      if (v >= 0) state.usedB[v] = 1;
      children.push({ v, g: g + dg, bound: g + dg + freeBound(depth + 1) });
      state.mapA[u] = -2;
      if (v >= 0) state.usedB[v] = 0;
    }
    children.sort((x, y) => x.bound - y.bound);
    frameBounds[depth] = children.map((ch) => ch.bound);
    for (let k = 0; k < children.length; k++) {
      const ch = children[k];
      if (ch.bound >= upper - EPS * Math.max(1, upper)) break;
      frameNext[depth] = k;
      state.mapA[u] = ch.v;
      if (ch.v >= 0) state.usedB[ch.v] = 1;
      try {
        expand(depth + 1, ch.g, ch.bound);
      } finally {
        state.mapA[u] = -2;
        if (ch.v >= 0) state.usedB[ch.v] = 0;
      }
    }
  };

  if (start.upperBound - start.lowerBound <= EPS * Math.max(1, start.upperBound)) {
    return { lowerBound: start.lowerBound, upperBound: start.upperBound, map: bestMap, exact: true, expanded };
  }
  try {
    expand(0, 0, Math.max(start.lowerBound, freeBound(0)));
  } catch (err) {
    if (!(err instanceof Timeout)) throw err;
    // unexplored: the node that timed out and, at every depth above it, the siblings after the one being explored
    let lower = Math.min(upper, timeoutBound);
    for (let d = 0; d < timeoutDepth; d++) {
      const rest = frameBounds[d]?.[frameNext[d] + 1];
      if (rest !== undefined) lower = Math.min(lower, rest);
    }
    return { lowerBound: Math.max(start.lowerBound, lower), upperBound: upper, map: bestMap, exact: false, expanded };
  }
  return { lowerBound: upper, upperBound: upper, map: bestMap, exact: true, expanded };
}
