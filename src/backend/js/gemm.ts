// Twins of assembly/gemm.ts: same names and signatures, with the heap as first parameter.
import type { Heap } from '../heap';

/**
 * C[m×n] = alpha · op(A) · op(B) + beta · C (+ bias[j] on every row when bias != 0),
 * row-major BLAS semantics, pointers are byte offsets into the heap:
 *   op(A)[i][p] = transA ? A[p·lda + i] : A[i·lda + p]     (op(A) is m×k)
 *   op(B)[p][j] = transB ? B[j·ldb + p] : B[p·ldb + j]     (op(B) is k×n)
 *   C[i][j]     = C[i·ldc + j]
 * beta == 0 ignores whatever C held (NaN included). The reference the wasm micro-kernel is
 * checked against: a plain i-p-j triple loop, each C row accumulated in float32 storage.
 */
export function gemm(
  h: Heap,
  transA: number, transB: number, m: number, n: number, k: number, alpha: number,
  a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, bias: number,
): void {
  const f = h.f32;
  const A = a >>> 2;
  const B = b >>> 2;
  const C = c >>> 2;
  const bias0 = bias >>> 2;
  for (let i = 0; i < m; i++) {
    const row = C + i * ldc;
    for (let j = 0; j < n; j++) {
      const scaled = beta === 0 ? 0 : beta * f[row + j];
      f[row + j] = bias !== 0 ? scaled + f[bias0 + j] : scaled;
    }
    for (let p = 0; p < k; p++) {
      const aip = Math.fround(alpha * (transA ? f[A + p * lda + i] : f[A + i * lda + p]));
      for (let j = 0; j < n; j++) {
        f[row + j] += aip * (transB ? f[B + j * ldb + p] : f[B + p * ldb + j]);
      }
    }
  }
}
