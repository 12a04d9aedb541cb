/**
 * Riesen–Bunke bipartite bounds on graph edit distance (Riesen & Bunke 2009, "Approximate
 * graph edit distance computation by means of bipartite graph matching").
 *
 * Lower bound: the optimal assignment of the (n + m)² matrix of ./graph.ts with edge costs
 * halved (edgeFactor ½). Why it is valid: the edit script of any node mapping π pays
 * Σ_u node cost(u, π(u)) plus its edge edits; charge each edge edit half to each of its two
 * endpoints. At a pair (u, v) the edges incident to u and v are matched by the script in
 * some way (kept edges pair up, the rest are deleted or inserted), which costs at least the
 * least-cost matching of their labels that the matrix entry uses. So every script costs at
 * least the assignment cost of its own node mapping, hence at least the optimum. (This is
 * the "BRANCH" lower bound of Blumenthal & Gamper, exact for node-only differences.)
 *
 * Upper bound: the exact cost (editPathCost) of the edit script induced by an assignment.
 * We take the better of the assignment above and the classic Riesen–Bunke one (full edge
 * costs), both of which are real scripts.
 */
import type { Backend } from '../backend/index';
import { assignmentMatrices, editPathCost, type GraphIndex, type ScaledCosts } from './graph';
import { solveAssignment } from './lsap';

export interface GedBounds {
  lowerBound: number;
  upperBound: number;
  /** the node mapping achieving upperBound: map[u] = π(u), −1 deleted */
  map: Int32Array;
}

/** Node mapping of an assignment over the matrix of all nodes: row u → column < m keeps u. */
export function mappingOfAssignment(n: number, m: number, rowToCol: Int32Array): Int32Array {
  const map = new Int32Array(n);
  for (let u = 0; u < n; u++) map[u] = rowToCol[u] < m ? rowToCol[u] : -1;
  return map;
}

export function bipartiteBounds(backend: Backend, a: GraphIndex, b: GraphIndex, c: ScaledCosts): GedBounds {
  const rows = Array.from({ length: a.n }, (_, u) => u);
  const cols = Array.from({ length: b.n }, (_, v) => v);
  const size = a.n + b.n;
  const [halfMatrix, fullMatrix] = assignmentMatrices(a, b, rows, cols, null, c, [0.5, 1]);
  const half = solveAssignment(backend, size, halfMatrix);
  const full = solveAssignment(backend, size, fullMatrix);
  const mapHalf = mappingOfAssignment(a.n, b.n, half.rowToCol);
  const mapFull = mappingOfAssignment(a.n, b.n, full.rowToCol);
  const ubHalf = editPathCost(a, b, mapHalf, c);
  const ubFull = editPathCost(a, b, mapFull, c);
  return ubFull < ubHalf
    ? { lowerBound: half.cost, upperBound: ubFull, map: mapFull }
    : { lowerBound: half.cost, upperBound: ubHalf, map: mapHalf };
}
