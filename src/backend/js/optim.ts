import type { Heap } from '../heap';

// Twins of assembly/optim.ts: same names and signatures, with the heap as first parameter.
// The formulas (PyTorch's, with the TensorFlow differences) are documented beside the
// kernels. Each twin rounds its scalar arguments to f32 on entry (wasm does that at the call
// boundary) and rounds after every operation, in the kernel's order, so the two backends
// agree bit for bit: an f64 + - * / or sqrt of f32 inputs, rounded once to f32, is the
// correctly rounded f32 result.

const f = Math.fround;

/** p = p - lr * (g + weightDecay * p) */
export function sgdStep(h: Heap, p: number, g: number, n: number, lr: number, weightDecay: number): void {
  const m = h.f32;
  const pi = p >>> 2;
  const gi = g >>> 2;
  lr = f(lr);
  weightDecay = f(weightDecay);
  for (let i = 0; i < n; i++) {
    const x = m[pi + i];
    const d = f(m[gi + i] + f(weightDecay * x));
    m[pi + i] = f(x - f(lr * d));
  }
}

/**
 * d = g + weightDecay * p; buf = bufDecay * buf + gradScale * d;
 * p = p - lr * (nesterov ? d + momentum * buf : buf)
 */
export function sgdMomentumStep(
  h: Heap, p: number, g: number, buf: number, n: number,
  lr: number, weightDecay: number, momentum: number, bufDecay: number, gradScale: number, nesterov: number,
): void {
  const m = h.f32;
  const pi = p >>> 2;
  const gi = g >>> 2;
  const bi = buf >>> 2;
  lr = f(lr);
  weightDecay = f(weightDecay);
  momentum = f(momentum);
  bufDecay = f(bufDecay);
  gradScale = f(gradScale);
  for (let i = 0; i < n; i++) {
    const x = m[pi + i];
    const d = f(m[gi + i] + f(weightDecay * x));
    const b = f(f(bufDecay * m[bi + i]) + f(gradScale * d));
    m[bi + i] = b;
    const step = nesterov ? f(d + f(momentum * b)) : b;
    m[pi + i] = f(x - f(lr * step));
  }
}

function adamLoop(
  h: Heap, p: number, g: number, mp: number, vp: number, vmaxp: number, n: number,
  beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number,
  stepSize: number, invBc2Sqrt: number, weightDecay: number, decay: number, amsgrad: boolean,
): void {
  const mem = h.f32;
  const pi = p >>> 2;
  const gi = g >>> 2;
  const mi = mp >>> 2;
  const vi = vp >>> 2;
  const xi = vmaxp >>> 2;
  beta1 = f(beta1);
  oneMinusBeta1 = f(oneMinusBeta1);
  beta2 = f(beta2);
  oneMinusBeta2 = f(oneMinusBeta2);
  eps = f(eps);
  stepSize = f(stepSize);
  invBc2Sqrt = f(invBc2Sqrt);
  weightDecay = f(weightDecay);
  decay = f(decay);
  for (let i = 0; i < n; i++) {
    const x = mem[pi + i];
    const grad = f(mem[gi + i] + f(weightDecay * x));
    const m = f(f(beta1 * mem[mi + i]) + f(oneMinusBeta1 * grad));
    let v = f(f(beta2 * mem[vi + i]) + f(oneMinusBeta2 * f(grad * grad)));
    mem[mi + i] = m;
    mem[vi + i] = v;
    if (amsgrad) {
      v = Math.max(mem[xi + i], v);
      mem[xi + i] = v;
    }
    const denom = f(f(f(Math.sqrt(v)) * invBc2Sqrt) + eps);
    mem[pi + i] = f(f(x * decay) - f(stepSize * f(m / denom)));
  }
}

/**
 * Adam/AdamW: g' = g + wd p; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
 * p = p * decay - stepSize * m / (sqrt(v) * invBc2Sqrt + eps)
 */
export function adamStep(
  h: Heap, p: number, g: number, m: number, v: number, n: number,
  beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number,
  stepSize: number, invBc2Sqrt: number, weightDecay: number, decay: number,
): void {
  adamLoop(h, p, g, m, v, 0, n, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, invBc2Sqrt, weightDecay, decay, false);
}

/** adamStep with the denominator taken from vmax = max(vmax, v). */
export function adamAmsgradStep(
  h: Heap, p: number, g: number, m: number, v: number, vmax: number, n: number,
  beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number,
  stepSize: number, invBc2Sqrt: number, weightDecay: number, decay: number,
): void {
  adamLoop(h, p, g, m, v, vmax, n, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, stepSize, invBc2Sqrt, weightDecay, decay, true);
}

/**
 * RMSprop: g' = g + wd p; sq = a sq + (1-a) g'^2; avg = sqrt(sq [- ga^2]) + eps;
 * p = p - lr * (momentum > 0 ? (buf = momentum buf + g'/avg) : g'/avg)
 */
export function rmspropStep(
  h: Heap, p: number, g: number, sq: number, ga: number, buf: number, n: number,
  lr: number, alpha: number, oneMinusAlpha: number, eps: number, weightDecay: number, momentum: number, centered: number,
): void {
  const mem = h.f32;
  const pi = p >>> 2;
  const gi = g >>> 2;
  const si = sq >>> 2;
  const ai = ga >>> 2;
  const bi = buf >>> 2;
  lr = f(lr);
  alpha = f(alpha);
  oneMinusAlpha = f(oneMinusAlpha);
  eps = f(eps);
  weightDecay = f(weightDecay);
  momentum = f(momentum);
  const withMomentum = momentum > 0;
  for (let i = 0; i < n; i++) {
    const x = mem[pi + i];
    const grad = f(mem[gi + i] + f(weightDecay * x));
    const s = f(f(alpha * mem[si + i]) + f(oneMinusAlpha * f(grad * grad)));
    mem[si + i] = s;
    let avg: number;
    if (centered) {
      const a = f(f(alpha * mem[ai + i]) + f(oneMinusAlpha * grad));
      mem[ai + i] = a;
      avg = f(f(Math.sqrt(f(s - f(a * a)))) + eps);
    } else {
      avg = f(f(Math.sqrt(s)) + eps);
    }
    if (withMomentum) {
      const b = f(f(momentum * mem[bi + i]) + f(grad / avg));
      mem[bi + i] = b;
      mem[pi + i] = f(x - f(lr * b));
    } else {
      mem[pi + i] = f(x - f(lr * f(grad / avg)));
    }
  }
}

/** Adagrad: g' = g + wd p; sum += g'^2; p = p - clr * g' / (sqrt(sum) + eps) */
export function adagradStep(h: Heap, p: number, g: number, sum: number, n: number, clr: number, eps: number, weightDecay: number): void {
  const mem = h.f32;
  const pi = p >>> 2;
  const gi = g >>> 2;
  const si = sum >>> 2;
  clr = f(clr);
  eps = f(eps);
  weightDecay = f(weightDecay);
  for (let i = 0; i < n; i++) {
    const x = mem[pi + i];
    const grad = f(mem[gi + i] + f(weightDecay * x));
    const s = f(mem[si + i] + f(grad * grad));
    mem[si + i] = s;
    mem[pi + i] = f(x - f(clr * f(grad / f(f(Math.sqrt(s)) + eps))));
  }
}
