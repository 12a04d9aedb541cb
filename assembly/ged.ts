// Kernels of area 'ged'. Twins: src/backend/js/ged.ts (same names, heap first).
//
// tedBatch: exact tree edit distance (Zhang & Shasha 1989) of many pairs of ordered
// labelled trees in one call.
//
// Packed input (built by src/ged/ted.ts):
//   pairs     i32 × 8 per pair: nodeOffA, nA, keyrootOffA, nKeyrootsA, nodeOffB, nB, keyrootOffB, nKeyrootsB
//   labels    i32 per node (label ids; equal ids = equal labels), types i32 per node,
//   values    f64 per node, llds i32 per node (leftmost leaf, local postorder index),
//   keyroots  i32 (local postorder indices, ascending). Node k of a tree at nodeOff is global node nodeOff + k.
// Costs (alpha already applied): insert, delete, and substitute(x, y) =
//   0 if labels equal; typeCost if types differ; 0 if numeric (type 0/1) and |vx − vy| <= tolerance; valueCost otherwise.
// Scratch: td ≥ max(nA·nB) f64 (tree distances, row-major nA × nB, left holding the LAST
// pair's table so a caller can backtrack a mapping), fd ≥ max((nA+1)·(nB+1)) f64.
// out: f64 per pair.
//
// The forest table of keyroot pair (i, j) is indexed fd[a][b], a = x − lld(i) + 1 for the
// forest of A's postorder nodes lld(i)..x (a = 0: empty), likewise b; its row stride is
// the width (j − lld(j) + 2) of that keyroot pair, so the live part of the table stays compact.
// Invariant when cell (a, b) is filled: every td[x'][y'] with x' < x in A's subtree of i
// off i's leftmost path, or y' off j's leftmost path, is final (keyroots ascend, and each
// node's tree distance is produced by the keyroot pair whose two leftmost paths hold it).
//
// Not vectorised: every cell depends on its left neighbour in the same row (the insertion
// term), so the row is a serial chain; the loops are scalar over raw pointers instead.

// @ts-ignore: decorator
@inline function substitute(
  labels: usize, types: usize, values: usize, x: i32, y: i32,
  typeCost: f64, valueCost: f64, tolerance: f64,
): f64 {
  if (load<i32>(labels + (<usize>x << 2)) == load<i32>(labels + (<usize>y << 2))) return 0;
  const tx = load<i32>(types + (<usize>x << 2));
  if (tx != load<i32>(types + (<usize>y << 2))) return typeCost;
  if (<u32>tx <= 1 && abs<f64>(load<f64>(values + (<usize>x << 3)) - load<f64>(values + (<usize>y << 3))) <= tolerance) return 0;
  return valueCost;
}

export function tedBatch(
  pairCount: i32, pairs: usize, labels: usize, types: usize, values: usize, llds: usize, keyroots: usize,
  insertCost: f64, deleteCost: f64, typeCost: f64, valueCost: f64, tolerance: f64,
  td: usize, fd: usize, out: usize,
): void {
  for (let p = 0; p < pairCount; p++) {
    const rec = pairs + (<usize>p << 5);
    const offA = load<i32>(rec);
    const nA = load<i32>(rec, 4);
    const krA = keyroots + (<usize>load<i32>(rec, 8) << 2);
    const nKrA = load<i32>(rec, 12);
    const offB = load<i32>(rec, 16);
    const nB = load<i32>(rec, 20);
    const krB = keyroots + (<usize>load<i32>(rec, 24) << 2);
    const nKrB = load<i32>(rec, 28);
    let result: f64 = 0;
    if (nA == 0) result = <f64>nB * insertCost;
    else if (nB == 0) result = <f64>nA * deleteCost;
    else {
      const lldA = llds + (<usize>offA << 2);
      const lldB = llds + (<usize>offB << 2);
      for (let ka = 0; ka < nKrA; ka++) {
        const i = load<i32>(krA + (<usize>ka << 2));
        for (let kb = 0; kb < nKrB; kb++) {
          const j = load<i32>(krB + (<usize>kb << 2));
          keyrootPair(
            i, j, offA, offB, nB, lldA, lldB, labels, types, values,
            insertCost, deleteCost, typeCost, valueCost, tolerance, td, fd,
          );
        }
      }
      result = load<f64>(td + ((<usize>(nA - 1) * <usize>nB + <usize>(nB - 1)) << 3));
    }
    store<f64>(out + (<usize>p << 3), result);
  }
}

// The forest distances of keyroot pair (i, j); writes td[x][y] for x on i's leftmost path
// and y on j's leftmost path.
// @ts-ignore: decorator
@inline function keyrootPair(
  i: i32, j: i32, offA: i32, offB: i32, nB: i32, lldA: usize, lldB: usize,
  labels: usize, types: usize, values: usize,
  insertCost: f64, deleteCost: f64, typeCost: f64, valueCost: f64, tolerance: f64,
  td: usize, fd: usize,
): void {
  const li = load<i32>(lldA + (<usize>i << 2));
  const lj = load<i32>(lldB + (<usize>j << 2));
  const rows = i - li + 2;
  const width = j - lj + 2;
  const stride = <usize>width << 3;
  // row 0: the empty A forest against B's forests lj..y (insertions only)
  store<f64>(fd, 0);
  for (let b = 1; b < width; b++) store<f64>(fd + (<usize>b << 3), <f64>b * insertCost);
  const lldBj = lldB + (<usize>lj << 2); // lld of B's node lj + b − 1 is at lldBj + 4(b − 1)
  for (let a = 1; a < rows; a++) {
    const x = li + a - 1;
    const lx = load<i32>(lldA + (<usize>x << 2));
    const row = fd + <usize>a * stride;
    const prev = row - stride;
    const tdRow = td + ((<usize>x * <usize>nB) << 3);
    let left = <f64>a * deleteCost; // fd[a][0]
    store<f64>(row, left);
    if (lx == li) {
      // x is on i's leftmost path: forest A[li..x] is the tree of x whenever y's forest is a tree too
      const gx = offA + x;
      for (let b = 1; b < width; b++) {
        const y = lj + b - 1;
        const ly = load<i32>(lldBj + (<usize>(b - 1) << 2));
        const del = load<f64>(prev + (<usize>b << 3)) + deleteCost;
        const ins = left + insertCost;
        let cell: f64;
        if (ly == lj) {
          const sub = load<f64>(prev + (<usize>(b - 1) << 3)) +
            substitute(labels, types, values, gx, offB + y, typeCost, valueCost, tolerance);
          cell = min(min(del, ins), sub);
          store<f64>(tdRow + (<usize>y << 3), cell);
        } else {
          // row 0 because lld(x) − 1 − (li − 1) = 0 for x on the path
          const tree = load<f64>(fd + (<usize>(ly - lj) << 3)) + load<f64>(tdRow + (<usize>y << 3));
          cell = min(min(del, ins), tree);
        }
        store<f64>(row + (<usize>b << 3), cell);
        left = cell;
      }
    } else {
      // x is off the path: its subtree is a finished tree; match it whole against y's subtree
      const base = fd + <usize>(lx - li) * stride; // the row of forest A[li..lld(x) − 1]
      for (let b = 1; b < width; b++) {
        const y = lj + b - 1;
        const ly = load<i32>(lldBj + (<usize>(b - 1) << 2));
        const del = load<f64>(prev + (<usize>b << 3)) + deleteCost;
        const ins = left + insertCost;
        const tree = load<f64>(base + (<usize>(ly - lj) << 3)) + load<f64>(tdRow + (<usize>y << 3));
        const cell = min(min(del, ins), tree);
        store<f64>(row + (<usize>b << 3), cell);
        left = cell;
      }
    }
  }
}

// lsapSolve: the linear sum assignment problem. Finds the permutation σ minimising
// Σ_i cost[i][σ(i)] over an n × n f64 matrix (row-major; +Infinity forbids a cell) and writes
// σ into rowToCol (i32 × n); returns the minimum (Infinity when no finite assignment exists).
// Algorithm: Hungarian method as shortest augmenting paths with row/column potentials
// (Kuhn–Munkres in the Jonker–Volgenant formulation without their initialisation
// heuristics), O(n³). Rows join one at a time; for row i a Dijkstra-like sweep over columns
// grows the alternating tree, keeping minv[j] = the least reduced cost of reaching column j.
// Invariants: u[r] + v[c] <= cost[r][c] for every row r already placed and every column c,
// with equality on the matched cells, so the matching stays optimal for the rows placed.
// Scratch (caller-allocated, ≥ 40·(n + 1) bytes): u, v, minv f64[n + 1]; p, way, used i32[n + 1].
// Arrays are 1-based; column 0 is the virtual start column (p[0] = the row being placed).
export function lsapSolve(n: i32, cost: usize, rowToCol: usize, scratch: usize): f64 {
  if (n <= 0) return 0;
  const len = <usize>(n + 1);
  const u = scratch;
  const v = u + (len << 3);
  const minv = v + (len << 3);
  const p = minv + (len << 3);
  const way = p + (len << 2);
  const used = way + (len << 2);
  memory.fill(u, 0, len << 4); // u and v
  memory.fill(p, 0, len << 2);
  for (let i = 1; i <= n; i++) {
    store<i32>(p, i);
    let j0: i32 = 0;
    for (let j: usize = 0; j < len; j++) {
      store<f64>(minv + (j << 3), Infinity);
      store<i32>(used + (j << 2), 0);
    }
    do {
      store<i32>(used + (<usize>j0 << 2), 1);
      const i0 = load<i32>(p + (<usize>j0 << 2));
      const ui0 = load<f64>(u + (<usize>i0 << 3));
      const row = cost + (<usize>(i0 - 1) * <usize>n << 3) - 8; // row[j] for j = 1..n
      let delta: f64 = Infinity;
      let j1: i32 = -1;
      for (let j = 1; j <= n; j++) {
        const jj = <usize>j;
        if (load<i32>(used + (jj << 2)) != 0) continue;
        const cur = load<f64>(row + (jj << 3)) - ui0 - load<f64>(v + (jj << 3));
        let m = load<f64>(minv + (jj << 3));
        if (cur < m) {
          m = cur;
          store<f64>(minv + (jj << 3), cur);
          store<i32>(way + (jj << 2), j0);
        }
        if (m < delta) {
          delta = m;
          j1 = j;
        }
      }
      if (j1 < 0) return Infinity; // every column left is forbidden for this row
      for (let j: usize = 0; j < len; j++) {
        if (load<i32>(used + (j << 2)) != 0) {
          const r = <usize>load<i32>(p + (j << 2));
          store<f64>(u + (r << 3), load<f64>(u + (r << 3)) + delta);
          store<f64>(v + (j << 3), load<f64>(v + (j << 3)) - delta);
        } else {
          store<f64>(minv + (j << 3), load<f64>(minv + (j << 3)) - delta);
        }
      }
      j0 = j1;
    } while (load<i32>(p + (<usize>j0 << 2)) != 0);
    // augment along the alternating path back to the virtual column 0
    do {
      const j1 = load<i32>(way + (<usize>j0 << 2));
      store<i32>(p + (<usize>j0 << 2), load<i32>(p + (<usize>j1 << 2)));
      j0 = j1;
    } while (j0 != 0);
  }
  let total: f64 = 0;
  for (let j = 1; j <= n; j++) {
    const r = load<i32>(p + (<usize>j << 2)) - 1;
    store<i32>(rowToCol + (<usize>r << 2), j - 1);
    total += load<f64>(cost + ((<usize>r * <usize>n + <usize>(j - 1)) << 3));
  }
  return total;
}
