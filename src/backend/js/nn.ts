import type { Heap } from '../heap';

// Twins of assembly/nn.ts: same names and signatures, with the heap as first parameter.
//
// The transcendental kernels (tanh, sigmoid, gelu, softmax, cross-entropy) compute in float64
// with Math.exp / Math.tanh / Math.log and round once to f32, so they are the accuracy
// reference the wasm polynomials are measured against. Every other kernel performs the wasm
// kernel's f32 operations in the same order (Math.fround on each intermediate), so the two
// backends agree bit for bit there. Index arrays are i32 and trusted to be in range.

const fround = Math.fround;

/** out = tanh(x) */
export function tanhForward(h: Heap, out: number, x: number, n: number): void {
  const f = h.f32, o = out >>> 2, ix = x >>> 2;
  for (let i = 0; i < n; i++) f[o + i] = Math.tanh(f[ix + i]);
}

/** dx += dy·(1 − y²), y the forward output */
export function tanhBackward(h: Heap, dx: number, y: number, dy: number, n: number): void {
  const f = h.f32, id = dx >>> 2, iy = y >>> 2, ig = dy >>> 2;
  for (let i = 0; i < n; i++) {
    const slope = fround(1 - fround(f[iy + i] * f[iy + i]));
    f[id + i] = f[id + i] + fround(f[ig + i] * slope);
  }
}

/** out = max(x, 0); NaN stays NaN */
export function reluForward(h: Heap, out: number, x: number, n: number): void {
  const f = h.f32, o = out >>> 2, ix = x >>> 2;
  for (let i = 0; i < n; i++) f[o + i] = Math.max(f[ix + i], 0);
}

/** dx += x > 0 ? dy : 0 */
export function reluBackward(h: Heap, dx: number, x: number, dy: number, n: number): void {
  const f = h.f32, id = dx >>> 2, ix = x >>> 2, ig = dy >>> 2;
  for (let i = 0; i < n; i++) f[id + i] = f[id + i] + (f[ix + i] > 0 ? f[ig + i] : 0);
}

/** out = x > 0 ? x : slope·x */
export function leakyReluForward(h: Heap, out: number, x: number, slope: number, n: number): void {
  const f = h.f32, o = out >>> 2, ix = x >>> 2, s = fround(slope);
  for (let i = 0; i < n; i++) f[o + i] = f[ix + i] > 0 ? f[ix + i] : f[ix + i] * s;
}

/** dx += x > 0 ? dy : slope·dy */
export function leakyReluBackward(h: Heap, dx: number, x: number, dy: number, slope: number, n: number): void {
  const f = h.f32, id = dx >>> 2, ix = x >>> 2, ig = dy >>> 2, s = fround(slope);
  for (let i = 0; i < n; i++) f[id + i] = f[id + i] + (f[ix + i] > 0 ? f[ig + i] : fround(f[ig + i] * s));
}

/** σ(z) = 1/(1 + e^{−z}) in float64, through e^{−|z|} so it cannot overflow */
function sigmoid64(z: number): number {
  const e = Math.exp(-Math.abs(z));
  return (z >= 0 ? 1 : e) / (1 + e);
}

/** out = σ(x) = 1/(1 + e^{−x}) */
export function sigmoidForward(h: Heap, out: number, x: number, n: number): void {
  const f = h.f32, o = out >>> 2, ix = x >>> 2;
  for (let i = 0; i < n; i++) f[o + i] = sigmoid64(f[ix + i]);
}

/** dx += dy·y·(1 − y), y the forward output */
export function sigmoidBackward(h: Heap, dx: number, y: number, dy: number, n: number): void {
  const f = h.f32, id = dx >>> 2, iy = y >>> 2, ig = dy >>> 2;
  for (let i = 0; i < n; i++) {
    const slope = fround(f[iy + i] * fround(1 - f[iy + i]));
    f[id + i] = f[id + i] + fround(f[ig + i] * slope);
  }
}

// GELU, tanh approximation (PyTorch nn.GELU(approximate='tanh')):
//   gelu(x) = 0.5·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³).
// Written literally, 1 + tanh(u) cancels for x ≲ −5 even in float64 (tanh(u) → −1), so we use
// the identity 0.5·(1 + tanh(u)) = σ(2u) = 1/(1 + e^{−2u}), exact in real arithmetic:
//   gelu(x)  = x·σ(z),  z = 2u
//   gelu'(x) = σ(z) + x·σ(z)(1 − σ(z))·z',  z' = 2√(2/π)·(1 + 3·0.044715·x²),
// with σ(z)(1 − σ(z)) = E/(1 + E)², E = e^{−|z|}, which does not cancel either.
const GELU_Z_SCALE = 2 * Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

/** out = gelu(x) */
export function geluForward(h: Heap, out: number, x: number, n: number): void {
  const f = h.f32, o = out >>> 2, ix = x >>> 2;
  for (let i = 0; i < n; i++) {
    const v = f[ix + i];
    f[o + i] = v * sigmoid64(GELU_Z_SCALE * (v + GELU_CUBIC * v * v * v));
  }
}

/** dx += dy·gelu'(x) */
export function geluBackward(h: Heap, dx: number, x: number, dy: number, n: number): void {
  const f = h.f32, id = dx >>> 2, ix = x >>> 2, ig = dy >>> 2;
  for (let i = 0; i < n; i++) {
    const v = f[ix + i];
    const z = GELU_Z_SCALE * (v + GELU_CUBIC * v * v * v);
    const e = Math.exp(-Math.abs(z));
    const curvature = e / ((1 + e) * (1 + e)); // σ(z)(1 − σ(z))
    // once σ saturates the second term is exactly 0 (also for x = ±Inf, where x·0 is NaN)
    const second = curvature === 0 ? 0 : v * curvature * GELU_Z_SCALE * (1 + 3 * GELU_CUBIC * v * v);
    const slope = fround(sigmoid64(z) + second);
    f[id + i] = f[id + i] + fround(f[ig + i] * slope);
  }
}

function rowMax(f: Float32Array, x: number, cols: number): number {
  let max = -Infinity;
  for (let j = 0; j < cols; j++) max = Math.max(max, f[x + j]);
  return max;
}

/**
 * Softmax of one row in float64: out[j] = e^{x_j − max} / Σ e^{x − max}.
 * Returns log Σ e^{x − max} (logsumexp(x) − max).
 */
function softmaxRow(f: Float32Array, out: number, x: number, cols: number, max: number): number {
  let total = 0;
  for (let j = 0; j < cols; j++) total += Math.exp(f[x + j] - max);
  for (let j = 0; j < cols; j++) f[out + j] = Math.exp(f[x + j] - max) / total;
  return Math.log(total);
}

/** out[i,:] = softmax(x[i,:]) */
export function softmaxRows(h: Heap, out: number, x: number, rows: number, cols: number): void {
  const f = h.f32;
  for (let r = 0; r < rows; r++) {
    const row = (x >>> 2) + r * cols;
    softmaxRow(f, (out >>> 2) + r * cols, row, cols, rowMax(f, row, cols));
  }
}

/** dx[i,:] += y ⊙ (dy − Σ_j dy·y), the dot in float64 */
export function softmaxRowsBackward(h: Heap, dx: number, y: number, dy: number, rows: number, cols: number): void {
  const f = h.f32;
  for (let r = 0; r < rows; r++) {
    const id = (dx >>> 2) + r * cols, iy = (y >>> 2) + r * cols, ig = (dy >>> 2) + r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += f[ig + j] * f[iy + j];
    const d = fround(dot);
    for (let j = 0; j < cols; j++) f[id + j] = f[id + j] + fround(f[iy + j] * fround(f[ig + j] - d));
  }
}

/**
 * probs[i,:] = softmax(logits[i,:]); rowLoss[i] = logsumexp(logits[i,:]) − logits[i, t_i],
 * or 0 when t_i < 0 (ignored row). probs must not alias logits.
 */
export function softmaxCrossEntropy(
  h: Heap, probs: number, rowLoss: number, logits: number, targets: number, rows: number, cols: number,
): void {
  if (cols <= 0) return;
  const f = h.f32, t = targets >>> 2, loss = rowLoss >>> 2;
  for (let r = 0; r < rows; r++) {
    const x = (logits >>> 2) + r * cols;
    const max = rowMax(f, x, cols);
    const logTotal = softmaxRow(f, (probs >>> 2) + r * cols, x, cols, max);
    const target = h.i32[t + r];
    // (max − x_t) first: exact in float64, so a tiny loss next to a large max keeps its digits
    f[loss + r] = target < 0 ? 0 : max - f[x + target] + logTotal;
  }
}

/** dlogits[i,:] += dRowLoss[i]·(probs[i,:] − onehot(t_i)); rows with t_i < 0 get nothing */
export function softmaxCrossEntropyBackward(
  h: Heap, dlogits: number, probs: number, targets: number, dRowLoss: number, rows: number, cols: number,
): void {
  const f = h.f32;
  for (let r = 0; r < rows; r++) {
    const target = h.i32[(targets >>> 2) + r];
    if (target < 0) continue;
    const g = f[(dRowLoss >>> 2) + r];
    const id = (dlogits >>> 2) + r * cols, ip = (probs >>> 2) + r * cols;
    for (let j = 0; j < cols; j++) {
      const residual = j === target ? fround(f[ip + j] - 1) : f[ip + j];
      f[id + j] = f[id + j] + fround(g * residual);
    }
  }
}

/** out[r,:] = x[indices[r],:] */
export function gatherRows(h: Heap, out: number, x: number, indices: number, count: number, cols: number): void {
  if (cols <= 0) return;
  const f = h.f32;
  for (let r = 0; r < count; r++) {
    const from = (x >>> 2) + h.i32[(indices >>> 2) + r] * cols;
    f.copyWithin((out >>> 2) + r * cols, from, from + cols);
  }
}

/** dx[indices[r],:] += dOut[r,:], r in order */
export function scatterAddRows(h: Heap, dx: number, indices: number, dOut: number, count: number, cols: number): void {
  const f = h.f32;
  for (let r = 0; r < count; r++) {
    const to = (dx >>> 2) + h.i32[(indices >>> 2) + r] * cols, from = (dOut >>> 2) + r * cols;
    for (let j = 0; j < cols; j++) f[to + j] = f[to + j] + f[from + j];
  }
}

/** out[s,:] = Σ x[r,:] over r in [offsets[s], offsets[s+1]), rows added in order onto zeros */
export function segmentSum(h: Heap, out: number, x: number, offsets: number, segments: number, cols: number): void {
  const f = h.f32, off = offsets >>> 2;
  for (let s = 0; s < segments; s++) {
    const o = (out >>> 2) + s * cols;
    f.fill(0, o, o + cols);
    for (let r = h.i32[off + s]; r < h.i32[off + s + 1]; r++) {
      const from = (x >>> 2) + r * cols;
      for (let j = 0; j < cols; j++) f[o + j] = f[o + j] + f[from + j];
    }
  }
}

/** dx[r,:] += dOut[s,:] for every row r of segment s */
export function segmentSumBackward(h: Heap, dx: number, dOut: number, offsets: number, segments: number, cols: number): void {
  const f = h.f32, off = offsets >>> 2;
  for (let s = 0; s < segments; s++) {
    const from = (dOut >>> 2) + s * cols;
    for (let r = h.i32[off + s]; r < h.i32[off + s + 1]; r++) {
      const to = (dx >>> 2) + r * cols;
      for (let j = 0; j < cols; j++) f[to + j] = f[to + j] + f[from + j];
    }
  }
}
