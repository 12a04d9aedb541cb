// Inline SIMD helpers shared by the elementwise and nn kernels. Nothing here is exported from
// the module (assembly/index.ts does not re-export this file), so none of it needs a twin.
//
// Conventions: pointers are byte offsets; `bytes` arguments are multiples of 4 (whole f32s);
// v128 loads and stores may be unaligned (the alignment immediate is only a hint in wasm).

// ---------------------------------------------------------------------------------------------
// Horizontal reductions of one vector.

// @ts-ignore: decorator
@inline export function sumLanesF64x2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// @ts-ignore: decorator
@inline export function sumLanesI32x4(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** max over the four lanes; NaN in any lane gives NaN (f32.max propagates NaN). */
// @ts-ignore: decorator
@inline export function maxLanesF32x4(v: v128): f32 {
  return max<f32>(
    max<f32>(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    max<f32>(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
  );
}

/** The two high lanes of an f32x4 widened to f64x2 (promote_low takes the two low lanes). */
// @ts-ignore: decorator
@inline export function promoteHighF32x4(v: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3));
}

// ---------------------------------------------------------------------------------------------
// Row helpers: `bytes` floats-worth of memory, vector body and scalar tail.

/** dst[i] += src[i] over `bytes` bytes (dst may equal src). */
// @ts-ignore: decorator
@inline export function addInto(dst: usize, src: usize, bytes: usize): void {
  const vecBytes = bytes & ~(<usize>15);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) {
    v128.store(dst + i, f32x4.add(v128.load(dst + i), v128.load(src + i)));
  }
  for (; i < bytes; i += 4) {
    store<f32>(dst + i, load<f32>(dst + i) + load<f32>(src + i));
  }
}

/** Σ x[i] over `bytes` bytes of f32, accumulated in f64 lanes (exact widening, f64 adds). */
// @ts-ignore: decorator
@inline export function sumF64(x: usize, bytes: usize): f64 {
  const vecBytes = bytes & ~(<usize>15);
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) {
    const v = v128.load(x + i);
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
    hi = f64x2.add(hi, promoteHighF32x4(v));
  }
  let total = sumLanesF64x2(f64x2.add(lo, hi));
  for (; i < bytes; i += 4) total += <f64>load<f32>(x + i);
  return total;
}

// ---------------------------------------------------------------------------------------------
// e^x for four f32 lanes (WebAssembly has no vector exp).
//
// Method (Cephes expf, S. L. Moshier):
//   k = nearest(x·log2(e)),  r = x − k·ln2 with ln2 = C1 + C2 split so k·C1 is exact
//   (C1 has 9 significant bits and |k| ≤ 150), so r ∈ [−ln2/2, ln2/2] carries ~no error;
//   e^r ≈ 1 + r + r²·P(r), P of degree 5 (minimax coefficients from Cephes);
//   2^k is built in the exponent bits by integer ops: (k + 127) << 23. To cover the whole f32
//   range with normal scale factors, 2^k is applied as 2^(k>>1) · 2^(k − (k>>1)), both halves
//   within [−75, 65]: results overflow to +Inf past x ≈ 88.72 and underflow gradually
//   (subnormals) to 0 below x ≈ −103.97, exactly as a correctly rounded expf does.
// Inputs are clamped to [−104, 89] first (beyond, the result is 0 or +Inf anyway), which keeps
// k inside i32 range; NaN passes through the clamp and the polynomial and comes out NaN.
//
// Accuracy, measured against float64 Math.exp on every 13th f32 of [−87.33, 88.72] (47 M
// points, normal results): max relative error 8.1e-8, under 1 ulp (faithfully rounded).
// The kernels built on it (tanh, sigmoid, gelu, softmax) state and test their own bounds in
// test/backend/nn.test.ts.

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// @ts-ignore: decorator
@inline const LN2_C1: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_C2: f32 = -2.12194440e-4;

/** e^{x + c} for a small correction |c| ≲ ulp(x) (0 for a plain exp), see expDifferenceF32x4 */
// @ts-ignore: decorator
@inline function expCorrectedF32x4(x: v128, c: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-104.0)), f32x4.splat(89.0));
  const kf = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  // x − k·C1 is exact; the correction joins before the tiny k·C2 term
  let r = f32x4.add(f32x4.sub(x, f32x4.mul(kf, f32x4.splat(LN2_C1))), c);
  r = f32x4.sub(r, f32x4.mul(kf, f32x4.splat(LN2_C2)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  // e^r = P(r)·r² + r + 1, summed small-to-large
  const er = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  const k = i32x4.trunc_sat_f32x4_s(kf);
  const kHalf = i32x4.shr_s(k, 1);
  const kRest = i32x4.sub(k, kHalf);
  const bias = i32x4.splat(127);
  const scaleHalf = i32x4.shl(i32x4.add(kHalf, bias), 23);
  const scaleRest = i32x4.shl(i32x4.add(kRest, bias), 23);
  return f32x4.mul(f32x4.mul(er, scaleHalf), scaleRest);
}

// @ts-ignore: decorator
@inline export function expF32x4(x: v128): v128 {
  return expCorrectedF32x4(x, f32x4.splat(0));
}

/**
 * e^{a − b} without the rounding error of the f32 difference: a − b = hi + lo exactly
 * (Knuth's TwoSum), and lo is fed into the range-reduced argument. Plain expF32x4(a − b) would
 * carry the difference's rounding, a relative error of up to |a − b|·2^-24 (6e-6 at a − b =
 * −100), which softmax would pass on to its small probabilities and to the log-loss.
 */
// @ts-ignore: decorator
@inline export function expDifferenceF32x4(a: v128, b: v128): v128 {
  const hi = f32x4.sub(a, b);
  const aVirtual = f32x4.add(hi, b);
  const bVirtual = f32x4.sub(aVirtual, hi); // ≈ b: the part of hi that came from b
  let lo = f32x4.add(f32x4.sub(a, aVirtual), f32x4.sub(bVirtual, b));
  // Only where |hi| < 128 does e^{hi} depend on lo (then |lo| ≤ 2^-18); beyond, the result is
  // 0 or +Inf anyway, the clamp inside would strip hi but not lo (lo can be ~1e31 when
  // hi ≈ −3e38), and for infinite or NaN hi TwoSum makes lo NaN. So lo is zeroed there.
  lo = v128.and(lo, f32x4.lt(f32x4.abs(hi), f32x4.splat(128)));
  return expCorrectedF32x4(hi, lo);
}

// ---------------------------------------------------------------------------------------------
// Partial vectors: the last 1–3 floats of an array carried in one v128 (other lanes zero), so
// a tail gets exactly the arithmetic of the vector body without a second scalar formula.

/** lanes 0..count-1 from p[0..count), the rest 0; count ∈ [1, 3] */
// @ts-ignore: decorator
@inline export function loadPartial(p: usize, count: usize): v128 {
  let v = v128.load32_zero(p);
  if (count > 1) v = v128.load32_lane(p + 4, v, 1);
  if (count > 2) v = v128.load32_lane(p + 8, v, 2);
  return v;
}

/** p[0..count) = lanes 0..count-1; count ∈ [1, 3]; memory past p[count-1] is not touched */
// @ts-ignore: decorator
@inline export function storePartial(p: usize, v: v128, count: usize): void {
  v128.store32_lane(p, v, 0);
  if (count > 1) v128.store32_lane(p + 4, v, 1);
  if (count > 2) v128.store32_lane(p + 8, v, 2);
}

/** Σ a[i]·b[i] over `bytes` bytes: products and sums in f64 (an f32 product is exact in f64). */
// @ts-ignore: decorator
@inline export function dotF64(a: usize, b: usize, bytes: usize): f64 {
  const vecBytes = bytes & ~(<usize>15);
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) {
    const va = v128.load(a + i);
    const vb = v128.load(b + i);
    lo = f64x2.add(lo, f64x2.mul(f64x2.promote_low_f32x4(va), f64x2.promote_low_f32x4(vb)));
    hi = f64x2.add(hi, f64x2.mul(promoteHighF32x4(va), promoteHighF32x4(vb)));
  }
  let total = sumLanesF64x2(f64x2.add(lo, hi));
  for (; i < bytes; i += 4) total += <f64>load<f32>(a + i) * <f64>load<f32>(b + i);
  return total;
}

/** max of `bytes` bytes of f32 (−Inf when empty); NaN anywhere gives NaN */
// @ts-ignore: decorator
@inline export function maxF32(x: usize, bytes: usize): f32 {
  const vecBytes = bytes & ~(<usize>15);
  let m = f32x4.splat(-Infinity);
  let i: usize = 0;
  for (; i < vecBytes; i += 16) m = f32x4.max(m, v128.load(x + i));
  let result = maxLanesF32x4(m);
  for (; i < bytes; i += 4) result = max<f32>(result, load<f32>(x + i));
  return result;
}
