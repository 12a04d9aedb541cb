// Twins of assembly/ged.ts: same names and signatures, with the heap as first parameter.
// They are the readable reference: plain loops over typed-array views, the same formulas.
import type { Heap } from '../heap';

/**
 * Tree edit distance of `pairCount` packed pairs (Zhang & Shasha 1989); see assembly/ged.ts
 * for the layout. Always on f64 cells: where the wasm kernel switches to scaled i32 cells
 * the costs are dyadic and every sum is exact in f64 too, so both give the same numbers. For keyroots i of A and j of B (ascending), the forest distance
 *   fd[a][b] = min( fd[a−1][b] + delete,  fd[a][b−1] + insert,
 *                   fd[a−1][b−1] + substitute(x, y)              when x and y are on the leftmost paths of i and j
 *                   fd[lld(x)−lld(i)][lld(y)−lld(j)] + td[x][y]   otherwise )
 * where x = lld(i) + a − 1, y = lld(j) + b − 1; the first case also sets td[x][y].
 */
export function tedBatch(
  h: Heap, pairCount: number, pairs: number, labels: number, types: number, values: number, llds: number, keyroots: number,
  insertCost: number, deleteCost: number, typeCost: number, valueCost: number, tolerance: number,
  td: number, fd: number, out: number,
): void {
  const I = h.i32;
  const F = h.f64;
  const lab = labels >>> 2, typ = types >>> 2, val = values >>> 3, lld = llds >>> 2, kr = keyroots >>> 2;
  const T = td >>> 3, D = fd >>> 3;
  const substitute = (x: number, y: number): number => {
    if (I[lab + x] === I[lab + y]) return 0;
    const tx = I[typ + x];
    if (tx !== I[typ + y]) return typeCost;
    if ((tx === 0 || tx === 1) && Math.abs(F[val + x] - F[val + y]) <= tolerance) return 0;
    return valueCost;
  };
  for (let p = 0; p < pairCount; p++) {
    const rec = (pairs >>> 2) + 8 * p;
    const [offA, nA, krOffA, nKrA, offB, nB, krOffB, nKrB] = I.subarray(rec, rec + 8);
    let result: number;
    if (nA === 0) result = nB * insertCost;
    else if (nB === 0) result = nA * deleteCost;
    else {
      for (let ka = 0; ka < nKrA; ka++) {
        const i = I[kr + krOffA + ka];
        for (let kb = 0; kb < nKrB; kb++) {
          const j = I[kr + krOffB + kb];
          const li = I[lld + offA + i];
          const lj = I[lld + offB + j];
          const width = j - lj + 2;
          const at = (a: number, b: number) => D + a * width + b;
          // borders accumulate (b·insert as a running sum) exactly as the wasm kernel does
          F[at(0, 0)] = 0;
          for (let b = 1; b < width; b++) F[at(0, b)] = F[at(0, b - 1)] + insertCost;
          for (let a = 1; a < i - li + 2; a++) {
            const x = li + a - 1;
            const lx = I[lld + offA + x];
            F[at(a, 0)] = F[at(a - 1, 0)] + deleteCost;
            for (let b = 1; b < width; b++) {
              const y = lj + b - 1;
              const ly = I[lld + offB + y];
              const del = F[at(a - 1, b)] + deleteCost;
              const ins = F[at(a, b - 1)] + insertCost;
              if (lx === li && ly === lj) {
                const cell = Math.min(del, ins, F[at(a - 1, b - 1)] + substitute(offA + x, offB + y));
                F[at(a, b)] = cell;
                F[T + x * nB + y] = cell;
              } else {
                F[at(a, b)] = Math.min(del, ins, F[at(lx - li, ly - lj)] + F[T + x * nB + y]);
              }
            }
          }
        }
      }
      result = F[T + (nA - 1) * nB + (nB - 1)];
    }
    F[(out >>> 3) + p] = result;
  }
}

/**
 * Linear sum assignment: the permutation σ minimising Σ_i cost[i][σ(i)] (n × n f64,
 * +Infinity forbids a cell), written to rowToCol; returns the minimum, Infinity when no
 * finite assignment exists. Hungarian method by shortest augmenting paths with potentials
 * u (rows), v (columns), 1-based, column 0 virtual; see assembly/ged.ts. Scratch ≥ 40·(n+1) bytes.
 */
export function lsapSolve(h: Heap, n: number, cost: number, rowToCol: number, scratch: number): number {
  if (n <= 0) return 0;
  const F = h.f64;
  const I = h.i32;
  const C = cost >>> 3;
  const len = n + 1;
  const u = new Float64Array(h.f64.buffer, scratch, len);
  const v = new Float64Array(h.f64.buffer, scratch + 8 * len, len);
  const minv = new Float64Array(h.f64.buffer, scratch + 16 * len, len);
  const p = new Int32Array(h.f64.buffer, scratch + 24 * len, len);
  const way = new Int32Array(h.f64.buffer, scratch + 28 * len, len);
  const used = new Int32Array(h.f64.buffer, scratch + 32 * len, len);
  u.fill(0);
  v.fill(0);
  p.fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = -1;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = F[C + (i0 - 1) * n + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      if (j1 < 0) return Infinity;
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  let total = 0;
  for (let j = 1; j <= n; j++) {
    const r = p[j] - 1;
    I[(rowToCol >>> 2) + r] = j - 1;
    total += F[C + r * n + (j - 1)];
  }
  return total;
}
