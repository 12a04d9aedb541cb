// Kernels of area 'elementwise'. Twins: src/backend/js/elementwise.ts (same names, heap first).
//
// Every kernel is a vector body over whole f32x4 groups plus a scalar tail for the last
// n mod 4 elements. Counts ≤ 0 do nothing. Pointers are byte offsets of f32 (or i32) arrays;
// "out may alias a/b" means exactly the same pointer: each group is loaded before it is
// stored, so in-place use is safe, but partially overlapping ranges are not supported.
//
// Parity with the twins: the arithmetic kernels do one f32 operation per step in the same
// order as the twin (no fused multiply-add: SIMD128 has none), so their results are
// bit-identical. Only the reductions (sum, sumSquares) sum in a different order (f64 lanes
// here, sequential float64 in the twin): they agree to float64 rounding.

import { addInto, maxLanesF32x4, promoteHighF32x4, sumF64, sumLanesF64x2, sumLanesI32x4 } from "./vector-math";

// @ts-ignore: decorator
@inline function bytesOf(n: i32): usize {
  return <usize>n << 2;
}

// @ts-ignore: decorator
@inline function wholeVectors(bytes: usize): usize {
  return bytes & ~(<usize>15);
}

/** out[i] = value */
export function fill(out: usize, n: i32, value: f32): void {
  if (n <= 0) return;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  const v = f32x4.splat(value);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) v128.store(out + i, v);
  for (; i < bytes; i += 4) store<f32>(out + i, value);
}

/** out[i] = x[i] for n floats (memmove semantics: overlapping ranges are fine). */
export function copy(out: usize, x: usize, n: i32): void {
  if (n <= 0) return;
  memory.copy(out, x, bytesOf(n));
}

/** out = a + b */
export function add(out: usize, a: usize, b: usize, n: i32): void {
  if (n <= 0) return;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) v128.store(out + i, f32x4.add(v128.load(a + i), v128.load(b + i)));
  for (; i < bytes; i += 4) store<f32>(out + i, load<f32>(a + i) + load<f32>(b + i));
}

/** out = a − b */
export function sub(out: usize, a: usize, b: usize, n: i32): void {
  if (n <= 0) return;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) v128.store(out + i, f32x4.sub(v128.load(a + i), v128.load(b + i)));
  for (; i < bytes; i += 4) store<f32>(out + i, load<f32>(a + i) - load<f32>(b + i));
}

/** out = a ⊙ b */
export function mul(out: usize, a: usize, b: usize, n: i32): void {
  if (n <= 0) return;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) v128.store(out + i, f32x4.mul(v128.load(a + i), v128.load(b + i)));
  for (; i < bytes; i += 4) store<f32>(out + i, load<f32>(a + i) * load<f32>(b + i));
}

/** out = alpha · x (out may alias x) */
export function scale(out: usize, x: usize, alpha: f32, n: i32): void {
  if (n <= 0) return;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  const va = f32x4.splat(alpha);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) v128.store(out + i, f32x4.mul(v128.load(x + i), va));
  for (; i < bytes; i += 4) store<f32>(out + i, load<f32>(x + i) * alpha);
}

/** y += alpha · x (the product is rounded to f32 before the add, as in the twin) */
export function axpy(y: usize, alpha: f32, x: usize, n: i32): void {
  if (n <= 0) return;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  const va = f32x4.splat(alpha);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) {
    v128.store(y + i, f32x4.add(v128.load(y + i), f32x4.mul(va, v128.load(x + i))));
  }
  for (; i < bytes; i += 4) store<f32>(y + i, load<f32>(y + i) + alpha * load<f32>(x + i));
}

/** out += a ⊙ b (the backward of mul) */
export function mulAccumulate(out: usize, a: usize, b: usize, n: i32): void {
  if (n <= 0) return;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) {
    v128.store(out + i, f32x4.add(v128.load(out + i), f32x4.mul(v128.load(a + i), v128.load(b + i))));
  }
  for (; i < bytes; i += 4) store<f32>(out + i, load<f32>(out + i) + load<f32>(a + i) * load<f32>(b + i));
}

/** out[i,j] = x[i,j] + row[j] over a rows×cols matrix (out may alias x): the bias add. */
export function addRowBroadcast(out: usize, x: usize, row: usize, rows: i32, cols: i32): void {
  if (rows <= 0 || cols <= 0) return;
  const rowBytes = bytesOf(cols);
  const vecBytes = wholeVectors(rowBytes);
  for (let r = 0; r < rows; r++) {
    const offset = <usize>r * rowBytes;
    const o = out + offset;
    const xr = x + offset;
    let j: usize = 0;
    for (; j < vecBytes; j += 16) v128.store(o + j, f32x4.add(v128.load(xr + j), v128.load(row + j)));
    for (; j < rowBytes; j += 4) store<f32>(o + j, load<f32>(xr + j) + load<f32>(row + j));
  }
}

/**
 * out[j] += Σ_i x[i,j] over a rows×cols matrix: the bias gradient. Rows are added into out
 * one after another (i = 0, 1, ...), so every out[j] sees the same sequence of f32 adds as
 * in the twin; walking x row by row also reads it contiguously.
 */
export function sumRowsAccumulate(out: usize, x: usize, rows: i32, cols: i32): void {
  if (rows <= 0 || cols <= 0) return;
  const rowBytes = bytesOf(cols);
  for (let r = 0; r < rows; r++) addInto(out, x + <usize>r * rowBytes, rowBytes);
}

/** Σ x[i], in f64: each f32 widens exactly and the sums run in four f64 lanes. */
export function sum(x: usize, n: i32): f64 {
  if (n <= 0) return 0;
  return sumF64(x, bytesOf(n));
}

/**
 * Σ x[i]², in f64: an f32 squared is exact in f64 (24 + 24 bits < 53), so the only error is
 * the f64 summation — global-norm clipping over millions of parameters stays accurate and
 * values up to ~1e38 cannot overflow.
 */
export function sumSquares(x: usize, n: i32): f64 {
  if (n <= 0) return 0;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) {
    const v = v128.load(x + i);
    const vlo = f64x2.promote_low_f32x4(v);
    const vhi = promoteHighF32x4(v);
    lo = f64x2.add(lo, f64x2.mul(vlo, vlo));
    hi = f64x2.add(hi, f64x2.mul(vhi, vhi));
  }
  let total = sumLanesF64x2(f64x2.add(lo, hi));
  for (; i < bytes; i += 4) {
    const v = <f64>load<f32>(x + i);
    total += v * v;
  }
  return total;
}

/** max |x[i]| (0 when n = 0); NaN anywhere gives NaN, like Math.max. */
export function maxAbs(x: usize, n: i32): f32 {
  if (n <= 0) return 0;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  let m = f32x4.splat(0);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) m = f32x4.max(m, f32x4.abs(v128.load(x + i)));
  let result = maxLanesF32x4(m);
  for (; i < bytes; i += 4) result = max<f32>(result, abs<f32>(load<f32>(x + i)));
  return result;
}

/** x[i] = min(max(x[i], lo), hi); NaN stays NaN (f32 min/max propagate it, as Math.min/max do). */
export function clampInPlace(x: usize, n: i32, lo: f32, hi: f32): void {
  if (n <= 0) return;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) v128.store(x + i, f32x4.min(f32x4.max(v128.load(x + i), vlo), vhi));
  for (; i < bytes; i += 4) store<f32>(x + i, min<f32>(max<f32>(load<f32>(x + i), lo), hi));
}

// An f32 is NaN or ±Inf exactly when all its exponent bits are set.
// @ts-ignore: decorator
@inline const EXPONENT_BITS: i32 = 0x7f800000;

/** How many of x[0..n) are NaN or ±Inf. */
export function countNonFinite(x: usize, n: i32): i32 {
  if (n <= 0) return 0;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  const mask = i32x4.splat(EXPONENT_BITS);
  // each lane counts down by one per hit (a true comparison is all ones, i.e. −1)
  let negCount = i32x4.splat(0);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) {
    negCount = i32x4.add(negCount, i32x4.eq(v128.and(v128.load(x + i), mask), mask));
  }
  let count = -sumLanesI32x4(negCount);
  for (; i < bytes; i += 4) {
    if ((load<i32>(x + i) & EXPONENT_BITS) == EXPONENT_BITS) count++;
  }
  return count;
}

/**
 * How many of x[0..n) have a bit pattern other than +0.0 (−0 counts: a gradient that is all
 * +0 bits is the one an add or an optimizer step may skip exactly).
 */
export function countNonZeroBits(x: usize, n: i32): i32 {
  if (n <= 0) return 0;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  const zero = i32x4.splat(0);
  // each lane counts down by one per hit (a true comparison is all ones, i.e. −1)
  let negCount = i32x4.splat(0);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) negCount = i32x4.add(negCount, i32x4.ne(v128.load(x + i), zero));
  let count = -sumLanesI32x4(negCount);
  for (; i < bytes; i += 4) if (load<i32>(x + i) != 0) count++;
  return count;
}

/**
 * dst[0..n) = src[0..n); returns 1 when some dst[i] had other bits than src[i] before (0: dst
 * was already a bitwise copy, and nothing is written). Keeps a mirror of what was last sent.
 */
export function copyIfChanged(dst: usize, src: usize, n: i32): i32 {
  if (n <= 0) return 0;
  const bytes = bytesOf(n);
  const vecBytes = wholeVectors(bytes);
  let diff = i32x4.splat(0);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) diff = v128.or(diff, v128.xor(v128.load(dst + i), v128.load(src + i)));
  let changed = v128.any_true(diff);
  for (; i < bytes; i += 4) if (load<i32>(dst + i) != load<i32>(src + i)) changed = true;
  if (!changed) return 0;
  memory.copy(dst, src, bytes);
  return 1;
}

/**
 * dst[r, 0..cols) = src[r, 0..cols) for r < rows, with row strides in elements: writes one
 * block of columns of a wider matrix (concatenation along features) or reads one (split).
 */
export function copyBlock(dst: usize, dstStride: i32, src: usize, srcStride: i32, rows: i32, cols: i32): void {
  if (rows <= 0 || cols <= 0) return;
  const rowBytes = bytesOf(cols);
  const dstStep = <usize>dstStride << 2;
  const srcStep = <usize>srcStride << 2;
  for (let r = 0; r < rows; r++) memory.copy(dst + <usize>r * dstStep, src + <usize>r * srcStep, rowBytes);
}

/** dst[r, 0..cols) += src[r, 0..cols): the backward of copyBlock. */
export function addBlock(dst: usize, dstStride: i32, src: usize, srcStride: i32, rows: i32, cols: i32): void {
  if (rows <= 0 || cols <= 0) return;
  const rowBytes = bytesOf(cols);
  const dstStep = <usize>dstStride << 2;
  const srcStep = <usize>srcStride << 2;
  for (let r = 0; r < rows; r++) addInto(dst + <usize>r * dstStep, src + <usize>r * srcStep, rowBytes);
}
