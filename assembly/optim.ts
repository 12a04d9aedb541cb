// Kernels of area 'optim'. Twins: src/backend/js/optim.ts (same names, heap first).
//
// One fused pass per optimizer update: every kernel reads the parameter, its gradient and
// the optimizer's state buffers once, and writes the parameter and the state once. The
// formulas are PyTorch's single-tensor implementations (torch/optim/*.py, 1.13); where
// PyTorch and TensorFlow/Keras differ the comment beside the kernel says which way we go.
//
// Conventions:
//   - p, g and every state pointer address n f32 values; they do not overlap each other.
//   - Scalars that change from step to step (bias corrections, the learning rate, the
//     first-step switches of SGD) are computed by the caller in float64 and passed here as
//     f32, which rounds them once. Constants such as 1 - beta1 are passed precomputed too,
//     so that no f32 subtraction in here loses their low bits.
//   - Every operation is one IEEE f32 operation in a fixed order (SIMD128 has no fused
//     multiply-add), in the vector body and in the scalar tail alike. The TypeScript twins
//     do the same operations with Math.fround after each, so both backends produce
//     bit-identical results (double rounding is harmless for + - * / sqrt).
//   - The caller guarantees finite gradients (the optimizer checks with countNonFinite first);
//     nothing in here tests for NaN.
//   - Loop shape, the same in every kernel: the per-vector work is an @inline function of the
//     byte offset; the main loop runs it twice per iteration (two independent f32x4 groups
//     give the out-of-order core more to overlap, measurably faster when the data is in
//     cache, see bench/optim.ts), then one more group if an odd one is left, then the scalar
//     tail for n mod 4. Offsets are byte offsets from the start of every buffer.

// @ts-ignore: decorator
@inline function byteLength(n: i32): usize {
  return <usize>n << 2;
}

// @ts-ignore: decorator
@inline function vectorBytes(bytes: usize): usize {
  return bytes & ~(<usize>15);
}

// ---------------------------------------------------------------------------------------
// SGD without momentum (torch.optim.SGD, momentum = 0):
//   d = g + weightDecay * p          (coupled L2: the decay goes through the gradient)
//   p = p - lr * d
// @ts-ignore: decorator
@inline function sgdVector(at: usize, p: usize, g: usize, vLr: v128, vWd: v128): void {
  const x = v128.load(p + at);
  const d = f32x4.add(v128.load(g + at), f32x4.mul(vWd, x));
  v128.store(p + at, f32x4.sub(x, f32x4.mul(vLr, d)));
}

export function sgdStep(p: usize, g: usize, n: i32, lr: f32, weightDecay: f32): void {
  if (n <= 0) return;
  const bytes = byteLength(n);
  const body = vectorBytes(bytes);
  const vLr = f32x4.splat(lr);
  const vWd = f32x4.splat(weightDecay);
  let i: usize = 0;
  for (; i + 32 <= body; i += 32) {
    sgdVector(i, p, g, vLr, vWd);
    sgdVector(i + 16, p, g, vLr, vWd);
  }
  if (i < body) {
    sgdVector(i, p, g, vLr, vWd);
    i += 16;
  }
  for (; i < bytes; i += 4) {
    const x = load<f32>(p + i);
    const d = load<f32>(g + i) + weightDecay * x;
    store<f32>(p + i, x - lr * d);
  }
}

// ---------------------------------------------------------------------------------------
// SGD with momentum (torch.optim.SGD), per element:
//   d   = g + weightDecay * p
//   buf = bufDecay * buf + gradScale * d
//         PyTorch starts the buffer as a copy of d on the first step and afterwards uses
//         buf = momentum * buf + (1 - dampening) * d. The caller passes
//         (bufDecay, gradScale) = (0, 1) on the first step and (momentum, 1 - dampening)
//         after it; the buffer is zero before the first step, so 0 * buf + 1 * d == d exactly.
//   nesterov: d = d + momentum * buf         (PyTorch: dampening must be 0 with nesterov)
//   else:     d = buf
//   p   = p - lr * d
// TensorFlow's MomentumOptimizer keeps v = momentum * v - lr * g (lr inside the buffer) and
// has no dampening; we follow PyTorch (lr outside, so a schedule changes it immediately).
// @ts-ignore: decorator
@inline function sgdMomentumVector(
  at: usize, p: usize, g: usize, buf: usize,
  vLr: v128, vWd: v128, vMomentum: v128, vBufDecay: v128, vGradScale: v128, nesterov: bool,
): void {
  const x = v128.load(p + at);
  const d = f32x4.add(v128.load(g + at), f32x4.mul(vWd, x));
  const b = f32x4.add(f32x4.mul(vBufDecay, v128.load(buf + at)), f32x4.mul(vGradScale, d));
  v128.store(buf + at, b);
  const step = nesterov ? f32x4.add(d, f32x4.mul(vMomentum, b)) : b;
  v128.store(p + at, f32x4.sub(x, f32x4.mul(vLr, step)));
}

// @ts-ignore: decorator
@inline function sgdMomentumLoop(
  p: usize, g: usize, buf: usize, n: i32,
  lr: f32, weightDecay: f32, momentum: f32, bufDecay: f32, gradScale: f32, nesterov: bool,
): void {
  const bytes = byteLength(n);
  const body = vectorBytes(bytes);
  const vLr = f32x4.splat(lr);
  const vWd = f32x4.splat(weightDecay);
  const vMomentum = f32x4.splat(momentum);
  const vBufDecay = f32x4.splat(bufDecay);
  const vGradScale = f32x4.splat(gradScale);
  let i: usize = 0;
  for (; i + 32 <= body; i += 32) {
    sgdMomentumVector(i, p, g, buf, vLr, vWd, vMomentum, vBufDecay, vGradScale, nesterov);
    sgdMomentumVector(i + 16, p, g, buf, vLr, vWd, vMomentum, vBufDecay, vGradScale, nesterov);
  }
  if (i < body) {
    sgdMomentumVector(i, p, g, buf, vLr, vWd, vMomentum, vBufDecay, vGradScale, nesterov);
    i += 16;
  }
  for (; i < bytes; i += 4) {
    const x = load<f32>(p + i);
    const d = load<f32>(g + i) + weightDecay * x;
    const b = bufDecay * load<f32>(buf + i) + gradScale * d;
    store<f32>(buf + i, b);
    const step = nesterov ? d + momentum * b : b;
    store<f32>(p + i, x - lr * step);
  }
}

export function sgdMomentumStep(
  p: usize, g: usize, buf: usize, n: i32,
  lr: f32, weightDecay: f32, momentum: f32, bufDecay: f32, gradScale: f32, nesterov: i32,
): void {
  if (n <= 0) return;
  // two instantiations with the flag a constant, so the loop body has no branch
  if (nesterov) sgdMomentumLoop(p, g, buf, n, lr, weightDecay, momentum, bufDecay, gradScale, true);
  else sgdMomentumLoop(p, g, buf, n, lr, weightDecay, momentum, bufDecay, gradScale, false);
}

// ---------------------------------------------------------------------------------------
// Adam and AdamW (torch.optim.Adam / AdamW), per element:
//   g'    = g + weightDecay * p               (Adam's coupled L2; the caller passes 0 for AdamW)
//   m     = beta1 * m + oneMinusBeta1 * g'
//   v     = beta2 * v + oneMinusBeta2 * g' * g'
//   vmax  = max(vmax, v)                      (amsgrad only; the denominator then uses vmax)
//   denom = sqrt(v) * invBc2Sqrt + eps
//   p     = p * decay - stepSize * (m / denom)
// with, computed by the caller in float64 for step t (1-based):
//   stepSize   = lr / (1 - beta1^t)
//   invBc2Sqrt = 1 / sqrt(1 - beta2^t)
//   decay      = 1 - lr * weightDecay for AdamW (decoupled decay, applied to p before the
//                Adam step exactly as PyTorch's param.mul_(1 - lr * wd)); 1 for Adam.
// eps goes OUTSIDE the square root and AFTER the bias correction of v (PyTorch:
// denom = sqrt(v) / sqrt(bc2) + eps). TensorFlow/Keras instead add eps to the uncorrected
// sqrt(v) and fold the correction into the step size (an "epsilon hat" = eps * sqrt(bc2));
// the two agree only when eps is negligible. PyTorch divides by sqrt(bc2); we multiply by
// its reciprocal (one rounding apart).
// @ts-ignore: decorator
@inline function adamVector(
  at: usize, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  vBeta1: v128, vOneMinusBeta1: v128, vBeta2: v128, vOneMinusBeta2: v128, vEps: v128,
  vStepSize: v128, vInvBc2Sqrt: v128, vWd: v128, vDecay: v128, amsgrad: bool,
): void {
  const x = v128.load(p + at);
  const gi = f32x4.add(v128.load(g + at), f32x4.mul(vWd, x));
  const mi = f32x4.add(f32x4.mul(vBeta1, v128.load(m + at)), f32x4.mul(vOneMinusBeta1, gi));
  let vi = f32x4.add(f32x4.mul(vBeta2, v128.load(v + at)), f32x4.mul(vOneMinusBeta2, f32x4.mul(gi, gi)));
  v128.store(m + at, mi);
  v128.store(v + at, vi);
  if (amsgrad) {
    vi = f32x4.max(v128.load(vmax + at), vi);
    v128.store(vmax + at, vi);
  }
  const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vi), vInvBc2Sqrt), vEps);
  v128.store(p + at, f32x4.sub(f32x4.mul(x, vDecay), f32x4.mul(vStepSize, f32x4.div(mi, denom))));
}

// @ts-ignore: decorator
@inline function adamLoop(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32,
  stepSize: f32, invBc2Sqrt: f32, weightDecay: f32, decay: f32, amsgrad: bool,
): void {
  const bytes = byteLength(n);
  const body = vectorBytes(bytes);
  const vBeta1 = f32x4.splat(beta1);
  const vOneMinusBeta1 = f32x4.splat(oneMinusBeta1);
  const vBeta2 = f32x4.splat(beta2);
  const vOneMinusBeta2 = f32x4.splat(oneMinusBeta2);
  const vEps = f32x4.splat(eps);
  const vStepSize = f32x4.splat(stepSize);
  const vInvBc2Sqrt = f32x4.splat(invBc2Sqrt);
  const vWd = f32x4.splat(weightDecay);
  const vDecay = f32x4.splat(decay);
  let i: usize = 0;
  for (; i + 32 <= body; i += 32) {
    adamVector(i, p, g, m, v, vmax, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vEps, vStepSize, vInvBc2Sqrt, vWd, vDecay, amsgrad);
    adamVector(i + 16, p, g, m, v, vmax, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vEps, vStepSize, vInvBc2Sqrt, vWd, vDecay, amsgrad);
  }
  if (i < body) {
    adamVector(i, p, g, m, v, vmax, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vEps, vStepSize, vInvBc2Sqrt, vWd, vDecay, amsgrad);
    i += 16;
  }
  for (; i < bytes; i += 4) {
    const x = load<f32>(p + i);
    const gi = load<f32>(g + i) + weightDecay * x;
    const mi = beta1 * load<f32>(m + i) + oneMinusBeta1 * gi;
    let vi = beta2 * load<f32>(v + i) + oneMinusBeta2 * (gi * gi);
    store<f32>(m + i, mi);
    store<f32>(v + i, vi);
    if (amsgrad) {
      vi = max(load<f32>(vmax + i), vi);
      store<f32>(vmax + i, vi);
    }
    const denom = Mathf.sqrt(vi) * invBc2Sqrt + eps;
    store<f32>(p + i, x * decay - stepSize * (mi / denom));
  }
}

export function adamStep(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32,
  stepSize: f32, invBc2Sqrt: f32, weightDecay: f32, decay: f32,
): void {
  if (n <= 0) return;
  adamLoop(p, g, m, v, 0, n, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, invBc2Sqrt, weightDecay, decay, false);
}

/** adamStep with amsgrad: vmax holds the running maximum of v and replaces v in the denominator. */
export function adamAmsgradStep(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32,
  stepSize: f32, invBc2Sqrt: f32, weightDecay: f32, decay: f32,
): void {
  if (n <= 0) return;
  adamLoop(p, g, m, v, vmax, n, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, invBc2Sqrt, weightDecay, decay, true);
}

// ---------------------------------------------------------------------------------------
// RMSprop (torch.optim.RMSprop), per element:
//   g'   = g + weightDecay * p
//   sq   = alpha * sq + oneMinusAlpha * g' * g'
//   centered: ga = alpha * ga + oneMinusAlpha * g';  avg = sqrt(sq - ga * ga) + eps
//   else:                                             avg = sqrt(sq) + eps
//   momentum > 0: buf = momentum * buf + g' / avg;  p = p - lr * buf
//   else:                                           p = p - lr * (g' / avg)
// eps goes OUTSIDE the square root (PyTorch); TensorFlow's RMSprop adds it inside,
// sqrt(sq + eps). Centering subtracts the squared mean gradient (Graves 2013).
// @ts-ignore: decorator
@inline function rmspropVector(
  at: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  vLr: v128, vAlpha: v128, vOneMinusAlpha: v128, vEps: v128, vWd: v128, vMomentum: v128,
  centered: bool, withMomentum: bool,
): void {
  const x = v128.load(p + at);
  const gi = f32x4.add(v128.load(g + at), f32x4.mul(vWd, x));
  const s = f32x4.add(f32x4.mul(vAlpha, v128.load(sq + at)), f32x4.mul(vOneMinusAlpha, f32x4.mul(gi, gi)));
  v128.store(sq + at, s);
  let avg: v128;
  if (centered) {
    const a = f32x4.add(f32x4.mul(vAlpha, v128.load(ga + at)), f32x4.mul(vOneMinusAlpha, gi));
    v128.store(ga + at, a);
    avg = f32x4.add(f32x4.sqrt(f32x4.sub(s, f32x4.mul(a, a))), vEps);
  } else {
    avg = f32x4.add(f32x4.sqrt(s), vEps);
  }
  if (withMomentum) {
    const b = f32x4.add(f32x4.mul(vMomentum, v128.load(buf + at)), f32x4.div(gi, avg));
    v128.store(buf + at, b);
    v128.store(p + at, f32x4.sub(x, f32x4.mul(vLr, b)));
  } else {
    v128.store(p + at, f32x4.sub(x, f32x4.mul(vLr, f32x4.div(gi, avg))));
  }
}

// @ts-ignore: decorator
@inline function rmspropLoop(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr: f32, alpha: f32, oneMinusAlpha: f32, eps: f32, weightDecay: f32, momentum: f32,
  centered: bool, withMomentum: bool,
): void {
  const bytes = byteLength(n);
  const body = vectorBytes(bytes);
  const vLr = f32x4.splat(lr);
  const vAlpha = f32x4.splat(alpha);
  const vOneMinusAlpha = f32x4.splat(oneMinusAlpha);
  const vEps = f32x4.splat(eps);
  const vWd = f32x4.splat(weightDecay);
  const vMomentum = f32x4.splat(momentum);
  let i: usize = 0;
  for (; i + 32 <= body; i += 32) {
    rmspropVector(i, p, g, sq, ga, buf, vLr, vAlpha, vOneMinusAlpha, vEps, vWd, vMomentum, centered, withMomentum);
    rmspropVector(i + 16, p, g, sq, ga, buf, vLr, vAlpha, vOneMinusAlpha, vEps, vWd, vMomentum, centered, withMomentum);
  }
  if (i < body) {
    rmspropVector(i, p, g, sq, ga, buf, vLr, vAlpha, vOneMinusAlpha, vEps, vWd, vMomentum, centered, withMomentum);
    i += 16;
  }
  for (; i < bytes; i += 4) {
    const x = load<f32>(p + i);
    const gi = load<f32>(g + i) + weightDecay * x;
    const s = alpha * load<f32>(sq + i) + oneMinusAlpha * (gi * gi);
    store<f32>(sq + i, s);
    let avg: f32;
    if (centered) {
      const a = alpha * load<f32>(ga + i) + oneMinusAlpha * gi;
      store<f32>(ga + i, a);
      avg = Mathf.sqrt(s - a * a) + eps;
    } else {
      avg = Mathf.sqrt(s) + eps;
    }
    if (withMomentum) {
      const b = momentum * load<f32>(buf + i) + gi / avg;
      store<f32>(buf + i, b);
      store<f32>(p + i, x - lr * b);
    } else {
      store<f32>(p + i, x - lr * (gi / avg));
    }
  }
}

/**
 * ga is read and written only when centered != 0, buf only when momentum > 0 (both may be 0
 * otherwise).
 */
export function rmspropStep(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr: f32, alpha: f32, oneMinusAlpha: f32, eps: f32, weightDecay: f32, momentum: f32, centered: i32,
): void {
  if (n <= 0) return;
  const withMomentum = momentum > 0;
  // four instantiations with constant flags: no branch in any loop body
  if (centered) {
    if (withMomentum) rmspropLoop(p, g, sq, ga, buf, n, lr, alpha, oneMinusAlpha, eps, weightDecay, momentum, true, true);
    else rmspropLoop(p, g, sq, ga, buf, n, lr, alpha, oneMinusAlpha, eps, weightDecay, momentum, true, false);
  } else {
    if (withMomentum) rmspropLoop(p, g, sq, ga, buf, n, lr, alpha, oneMinusAlpha, eps, weightDecay, momentum, false, true);
    else rmspropLoop(p, g, sq, ga, buf, n, lr, alpha, oneMinusAlpha, eps, weightDecay, momentum, false, false);
  }
}

// ---------------------------------------------------------------------------------------
// Adagrad (torch.optim.Adagrad), per element:
//   g'  = g + weightDecay * p
//   sum = sum + g' * g'
//   p   = p - clr * (g' / (sqrt(sum) + eps))
// with clr = lr / (1 + (t - 1) * lrDecay) computed by the caller in float64 for step t.
// eps goes OUTSIDE the square root (PyTorch); TensorFlow's Adagrad has no eps term and
// starts the accumulator at 0.1 instead (PyTorch: initial_accumulator_value, default 0).
// @ts-ignore: decorator
@inline function adagradVector(at: usize, p: usize, g: usize, sum: usize, vClr: v128, vEps: v128, vWd: v128): void {
  const x = v128.load(p + at);
  const gi = f32x4.add(v128.load(g + at), f32x4.mul(vWd, x));
  const s = f32x4.add(v128.load(sum + at), f32x4.mul(gi, gi));
  v128.store(sum + at, s);
  const std = f32x4.add(f32x4.sqrt(s), vEps);
  v128.store(p + at, f32x4.sub(x, f32x4.mul(vClr, f32x4.div(gi, std))));
}

export function adagradStep(p: usize, g: usize, sum: usize, n: i32, clr: f32, eps: f32, weightDecay: f32): void {
  if (n <= 0) return;
  const bytes = byteLength(n);
  const body = vectorBytes(bytes);
  const vClr = f32x4.splat(clr);
  const vEps = f32x4.splat(eps);
  const vWd = f32x4.splat(weightDecay);
  let i: usize = 0;
  for (; i + 32 <= body; i += 32) {
    adagradVector(i, p, g, sum, vClr, vEps, vWd);
    adagradVector(i + 16, p, g, sum, vClr, vEps, vWd);
  }
  if (i < body) {
    adagradVector(i, p, g, sum, vClr, vEps, vWd);
    i += 16;
  }
  for (; i < bytes; i += 4) {
    const x = load<f32>(p + i);
    const gi = load<f32>(g + i) + weightDecay * x;
    const s = load<f32>(sum + i) + gi * gi;
    store<f32>(sum + i, s);
    store<f32>(p + i, x - clr * (gi / (Mathf.sqrt(s) + eps)));
  }
}
