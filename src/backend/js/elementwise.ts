import type { Heap } from '../heap';

// Twins of assembly/elementwise.ts: same names and signatures, with the heap as first parameter.
//
// Pointers are byte offsets; `>>> 2` turns one into an index of h.f32 / h.i32. Storing into a
// Float32Array rounds to f32, and every product that feeds a sum is rounded with Math.fround
// first, so each line performs the same f32 operations as the wasm kernel: results are
// bit-identical, except sum and sumSquares, which add in plain sequential float64 here.
// Counts ≤ 0 do nothing (the loops simply do not run).

const fround = Math.fround;

/** out[i] = value */
export function fill(h: Heap, out: number, n: number, value: number): void {
  if (n <= 0) return;
  const o = out >>> 2;
  h.f32.fill(value, o, o + n);
}

/** out[i] = x[i] for n floats (memmove semantics). */
export function copy(h: Heap, out: number, x: number, n: number): void {
  if (n <= 0) return;
  h.f32.copyWithin(out >>> 2, x >>> 2, (x >>> 2) + n);
}

/** out = a + b */
export function add(h: Heap, out: number, a: number, b: number, n: number): void {
  const f = h.f32, o = out >>> 2, ia = a >>> 2, ib = b >>> 2;
  for (let i = 0; i < n; i++) f[o + i] = f[ia + i] + f[ib + i];
}

/** out = a − b */
export function sub(h: Heap, out: number, a: number, b: number, n: number): void {
  const f = h.f32, o = out >>> 2, ia = a >>> 2, ib = b >>> 2;
  for (let i = 0; i < n; i++) f[o + i] = f[ia + i] - f[ib + i];
}

/** out = a ⊙ b */
export function mul(h: Heap, out: number, a: number, b: number, n: number): void {
  const f = h.f32, o = out >>> 2, ia = a >>> 2, ib = b >>> 2;
  for (let i = 0; i < n; i++) f[o + i] = f[ia + i] * f[ib + i];
}

/** out = alpha · x */
export function scale(h: Heap, out: number, x: number, alpha: number, n: number): void {
  const f = h.f32, o = out >>> 2, ix = x >>> 2, a = fround(alpha);
  for (let i = 0; i < n; i++) f[o + i] = f[ix + i] * a;
}

/** y += alpha · x */
export function axpy(h: Heap, y: number, alpha: number, x: number, n: number): void {
  const f = h.f32, iy = y >>> 2, ix = x >>> 2, a = fround(alpha);
  for (let i = 0; i < n; i++) f[iy + i] = f[iy + i] + fround(a * f[ix + i]);
}

/** out += a ⊙ b */
export function mulAccumulate(h: Heap, out: number, a: number, b: number, n: number): void {
  const f = h.f32, o = out >>> 2, ia = a >>> 2, ib = b >>> 2;
  for (let i = 0; i < n; i++) f[o + i] = f[o + i] + fround(f[ia + i] * f[ib + i]);
}

/** out[i,j] = x[i,j] + row[j] */
export function addRowBroadcast(h: Heap, out: number, x: number, row: number, rows: number, cols: number): void {
  const f = h.f32, o = out >>> 2, ix = x >>> 2, ir = row >>> 2;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) f[o + i * cols + j] = f[ix + i * cols + j] + f[ir + j];
  }
}

/** out[j] += Σ_i x[i,j], adding row after row into out (the wasm kernel's order). */
export function sumRowsAccumulate(h: Heap, out: number, x: number, rows: number, cols: number): void {
  const f = h.f32, o = out >>> 2, ix = x >>> 2;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) f[o + j] = f[o + j] + f[ix + i * cols + j];
  }
}

/** Σ x[i] in float64 */
export function sum(h: Heap, x: number, n: number): number {
  const f = h.f32, ix = x >>> 2;
  let total = 0;
  for (let i = 0; i < n; i++) total += f[ix + i];
  return total;
}

/** Σ x[i]² in float64 (each square is exact in float64) */
export function sumSquares(h: Heap, x: number, n: number): number {
  const f = h.f32, ix = x >>> 2;
  let total = 0;
  for (let i = 0; i < n; i++) total += f[ix + i] * f[ix + i];
  return total;
}

/** max |x[i]|, 0 for n = 0, NaN if any x[i] is NaN */
export function maxAbs(h: Heap, x: number, n: number): number {
  const f = h.f32, ix = x >>> 2;
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(f[ix + i]));
  return m;
}

/** x[i] = min(max(x[i], lo), hi); NaN stays NaN */
export function clampInPlace(h: Heap, x: number, n: number, lo: number, hi: number): void {
  const f = h.f32, ix = x >>> 2, l = fround(lo), u = fround(hi);
  for (let i = 0; i < n; i++) f[ix + i] = Math.min(Math.max(f[ix + i], l), u);
}

/** how many x[i] are NaN or ±Inf */
export function countNonFinite(h: Heap, x: number, n: number): number {
  const f = h.f32, ix = x >>> 2;
  let count = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(f[ix + i])) count++;
  return count;
}

/** how many x[i] have a bit pattern other than +0.0 (−0 counts) */
export function countNonZeroBits(h: Heap, x: number, n: number): number {
  const b = h.i32, ix = x >>> 2;
  let count = 0;
  for (let i = 0; i < n; i++) if (b[ix + i] !== 0) count++;
  return count;
}

/** dst[0..n) = src[0..n); 1 when dst had other bits before, 0 when it was already a bitwise copy (then nothing is written) */
export function copyIfChanged(h: Heap, dst: number, src: number, n: number): number {
  const b = h.i32, id = dst >>> 2, is = src >>> 2;
  let i = 0;
  while (i < n && b[id + i] === b[is + i]) i++;
  if (i >= n) return 0;
  b.copyWithin(id, is, is + n);
  return 1;
}

/** dst[r, 0..cols) = src[r, 0..cols), row strides in elements */
export function copyBlock(h: Heap, dst: number, dstStride: number, src: number, srcStride: number, rows: number, cols: number): void {
  if (cols <= 0) return;
  const f = h.f32, id = dst >>> 2, is = src >>> 2;
  for (let r = 0; r < rows; r++) f.copyWithin(id + r * dstStride, is + r * srcStride, is + r * srcStride + cols);
}

/** dst[r, 0..cols) += src[r, 0..cols) */
export function addBlock(h: Heap, dst: number, dstStride: number, src: number, srcStride: number, rows: number, cols: number): void {
  const f = h.f32, id = dst >>> 2, is = src >>> 2;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) f[id + r * dstStride + j] = f[id + r * dstStride + j] + f[is + r * srcStride + j];
  }
}
