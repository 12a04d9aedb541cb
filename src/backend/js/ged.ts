// Twins of assembly/ged.ts: same names and signatures, with the heap as first parameter.
// They are the readable reference: plain loops over typed-array views, the same formulas.
import type { Heap } from '../heap';

/**
 * Tree edit distance of `pairCount` packed pairs (Zhang & Shasha 1989); see assembly/ged.ts
 * for the layout. For keyroots i of A and j of B (ascending), the forest distance
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
          F[at(0, 0)] = 0;
          for (let b = 1; b < width; b++) F[at(0, b)] = b * insertCost;
          for (let a = 1; a < i - li + 2; a++) {
            const x = li + a - 1;
            const lx = I[lld + offA + x];
            F[at(a, 0)] = a * deleteCost;
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
