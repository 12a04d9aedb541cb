// Every op's gradient-check case: inputs, the op under test, and plainly written float64
// references of its forward output and of its gradient. For L = Σ w ⊙ f(x), `gradient`
// returns dL/dx for each input. Each case is checked two ways (see ops.test.ts):
// Richardson-extrapolated central differences of L (float64 sum of float32 outputs), and the
// float64 reference gradient.
import type { GradCheckInput, Tape, Tensor, TensorLike } from '../../src/autograd/index';
import { ops } from '../../src/autograd/index';
import { Prng } from '../../src/util/prng';
import { columnSums, m64, map64, matmul64, randomValues, transpose } from './helpers';

export interface OpCase {
  name: string;
  inputs: GradCheckInput[];
  f: (tape: Tape, xs: TensorLike[]) => Tensor;
  forward: (xs: Float64Array[]) => ArrayLike<number>;
  gradient: (xs: Float64Array[], w: Float64Array) => Float64Array[];
  /**
   * Central-difference step (relative to max(1, |x|)). Ops that are linear (or quadratic)
   * in each input element have no truncation error, so a large step only shrinks float32
   * noise: LINEAR_STEP. Smooth nonlinear ops use the checker's default (3e-2); softmax-like
   * ops, whose gradients have many small entries, use 0.1.
   */
  step?: number;
}

const LINEAR_STEP = 1;
const SOFTMAX_STEP = 0.1;

const input = (prng: Prng, rows: number, cols: number, maxAbs = 1, minAbs = 0, parameter = false): GradCheckInput => ({
  rows,
  cols,
  data: randomValues(prng, rows * cols, maxAbs, minAbs),
  parameter,
});

function matmulCase(prng: Prng, m: number, n: number, k: number, transA: boolean, transB: boolean, parameterB = false): OpCase {
  const a = transA ? input(prng, k, m) : input(prng, m, k);
  const b = transB ? input(prng, n, k, 1, 0, parameterB) : input(prng, k, n, 1, 0, parameterB);
  const opA = (x: Float64Array) => (transA ? transpose(m64(x, k, m)) : m64(x, m, k));
  const opB = (x: Float64Array) => (transB ? transpose(m64(x, n, k)) : m64(x, k, n));
  return {
    name: `matmul ${m}×${k}·${k}×${n} transA=${transA} transB=${transB}${parameterB ? ' (b a Parameter)' : ''}`,
    step: LINEAR_STEP,
    inputs: [a, b],
    f: (tape, [x, y]) => ops.matmul(tape, x, y, transA, transB),
    forward: ([x, y]) => matmul64(opA(x), opB(y)).data,
    gradient: ([x, y], w) => {
      const g = m64(w, m, n);
      const dOpA = matmul64(g, transpose(opB(y)));
      const dOpB = matmul64(transpose(opA(x)), g);
      return [(transA ? transpose(dOpA) : dOpA).data, (transB ? transpose(dOpB) : dOpB).data];
    },
  };
}

function linearCase(prng: Prng, rows: number, inCols: number, outCols: number, withBias: boolean): OpCase {
  const inputs = [input(prng, rows, inCols), input(prng, inCols, outCols, 1, 0, true)];
  if (withBias) inputs.push(input(prng, 1, outCols, 1, 0, true));
  return {
    name: `linear ${rows}×${inCols} → ${outCols}${withBias ? ' + bias' : ''} (w, b Parameters)`,
    step: LINEAR_STEP,
    inputs,
    f: (tape, [x, w, b]) => ops.linear(tape, x, w, b),
    forward: ([x, w, b]) => {
      const y = matmul64(m64(x, rows, inCols), m64(w, inCols, outCols));
      if (b) for (let i = 0; i < y.data.length; i++) y.data[i] += b[i % outCols];
      return y.data;
    },
    gradient: ([x, w], wt) => {
      const g = m64(wt, rows, outCols);
      const grads = [matmul64(g, transpose(m64(w, inCols, outCols))).data, matmul64(transpose(m64(x, rows, inCols)), g).data];
      if (withBias) grads.push(columnSums(g));
      return grads;
    },
  };
}

/** An elementwise unary op with derivative f'(x). */
function unaryCase(
  name: string,
  x: GradCheckInput,
  op: (tape: Tape, x: TensorLike) => Tensor,
  f: (v: number) => number,
  df: (v: number) => number,
): OpCase {
  return {
    name,
    inputs: [x],
    f: (tape, [a]) => op(tape, a),
    forward: ([a]) => map64(a, f),
    gradient: ([a], w) => [map64(a, (v, i) => w[i] * df(v))],
  };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * erf by its Taylor series, float64: accurate to ~1e-14 for |x| ≤ 3 (the largest term is
 * about e^(x²)), which covers the gelu inputs here (|x| ≤ 3, so |x/√2| ≤ 2.2).
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax > 3) throw new Error(`erf reference used outside |x| ≤ 3: ${x}`);
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 200; n++) {
    term *= (-ax * ax) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
}

function softmaxRows64(x: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]);
    let z = 0;
    for (let c = 0; c < cols; c++) z += (y[r * cols + c] = Math.exp(x[r * cols + c] - max));
    for (let c = 0; c < cols; c++) y[r * cols + c] /= z;
  }
  return y;
}

export function opCases(geluKind: 'tanh' | 'erf'): OpCase[] {
  const prng = new Prng('autograd op cases');
  const cases: OpCase[] = [];

  // --- linear algebra
  for (const transA of [false, true]) for (const transB of [false, true]) cases.push(matmulCase(prng, 3, 5, 4, transA, transB));
  cases.push(matmulCase(prng, 9, 17, 33, false, false, true));
  cases.push(matmulCase(prng, 6, 7, 11, true, true));
  cases.push(linearCase(prng, 5, 4, 3, true));
  cases.push(linearCase(prng, 6, 3, 9, false));

  // --- elementwise
  const pair = (name: string, op: (t: Tape, a: TensorLike, b: TensorLike) => Tensor, fwd: (a: number, b: number) => number, da: (a: number, b: number) => number, db: (a: number, b: number) => number): OpCase => ({
    name,
    step: LINEAR_STEP,
    inputs: [input(prng, 3, 5), input(prng, 3, 5)],
    f: (tape, [a, b]) => op(tape, a, b),
    forward: ([a, b]) => map64(a, (v, i) => fwd(v, b[i])),
    gradient: ([a, b], w) => [map64(a, (v, i) => w[i] * da(v, b[i])), map64(b, (v, i) => w[i] * db(a[i], v))],
  });
  cases.push(pair('add', ops.add, (a, b) => a + b, () => 1, () => 1));
  cases.push(pair('sub', ops.sub, (a, b) => a - b, () => 1, () => -1));
  cases.push(pair('mul', ops.mul, (a, b) => a * b, (_a, b) => b, (a) => a));
  cases.push({
    name: 'mul (the same tensor twice: x ⊙ x)',
    step: LINEAR_STEP,
    inputs: [input(prng, 4, 3)],
    f: (tape, [a]) => ops.mul(tape, a, a),
    forward: ([a]) => map64(a, (v) => v * v),
    gradient: ([a], w) => [map64(a, (v, i) => 2 * v * w[i])],
  });
  cases.push({ ...unaryCase('scale by −1.75', input(prng, 4, 5), (t, x) => ops.scale(t, x, -1.75), (v) => -1.75 * v, () => -1.75), step: LINEAR_STEP });
  cases.push({
    name: 'addRowBroadcast (row a Parameter)',
    step: LINEAR_STEP,
    inputs: [input(prng, 4, 6), input(prng, 1, 6, 1, 0, true)],
    f: (tape, [x, row]) => ops.addRowBroadcast(tape, x, row),
    forward: ([x, row]) => map64(x, (v, i) => v + row[i % 6]),
    gradient: (_xs, w) => [Float64Array.from(w), columnSums(m64(w, 4, 6))],
  });

  cases.push({
    name: 'scaleRows (per-row weights)',
    step: LINEAR_STEP,
    inputs: [input(prng, 5, 4), input(prng, 5, 1)],
    f: (tape, [x, w]) => ops.scaleRows(tape, x, w),
    forward: ([x, w]) => map64(x, (v, i) => v * w[Math.floor(i / 4)]),
    gradient: ([x, w], g) => {
      const ds = new Float64Array(5);
      for (let i = 0; i < 20; i++) ds[Math.floor(i / 4)] += g[i] * x[i];
      return [map64(x, (_v, i) => g[i] * w[Math.floor(i / 4)]), ds];
    },
  });

  // --- activations
  cases.push(unaryCase('tanh', input(prng, 4, 5, 2), ops.tanh, Math.tanh, (v) => 1 - Math.tanh(v) ** 2));
  cases.push(unaryCase('relu', input(prng, 4, 5, 2, 0.1), ops.relu, (v) => Math.max(v, 0), (v) => (v > 0 ? 1 : 0)));
  cases.push(unaryCase('leakyRelu slope 0.1', input(prng, 4, 5, 2, 0.1), (t, x) => ops.leakyRelu(t, x, 0.1), (v) => (v > 0 ? v : 0.1 * v), (v) => (v > 0 ? 1 : 0.1)));
  cases.push(unaryCase('sigmoid', input(prng, 4, 5, 3), ops.sigmoid, sigmoid, (v) => sigmoid(v) * (1 - sigmoid(v))));
  if (geluKind === 'erf') {
    const phi = (v: number) => Math.exp((-v * v) / 2) / Math.sqrt(2 * Math.PI);
    const cdf = (v: number) => 0.5 * (1 + erf(v / Math.SQRT2));
    cases.push(unaryCase('gelu (erf)', input(prng, 4, 5, 3), ops.gelu, (v) => v * cdf(v), (v) => cdf(v) + v * phi(v)));
  } else {
    const c = Math.sqrt(2 / Math.PI);
    const inner = (v: number) => c * (v + 0.044715 * v ** 3);
    cases.push(
      unaryCase('gelu (tanh approximation)', input(prng, 4, 5, 3), ops.gelu, (v) => 0.5 * v * (1 + Math.tanh(inner(v))), (v) => {
        const t = Math.tanh(inner(v));
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v);
      }),
    );
  }
  cases.push({
    name: 'softmaxRows',
    step: SOFTMAX_STEP,
    inputs: [input(prng, 4, 7, 2)],
    f: (tape, [x]) => ops.softmaxRows(tape, x),
    forward: ([x]) => softmaxRows64(x, 4, 7),
    gradient: ([x], w) => {
      // dx_r = y_r ⊙ (w_r − ⟨w_r, y_r⟩)
      const y = softmaxRows64(x, 4, 7);
      const dx = new Float64Array(28);
      for (let r = 0; r < 4; r++) {
        let dot = 0;
        for (let c = 0; c < 7; c++) dot += w[r * 7 + c] * y[r * 7 + c];
        for (let c = 0; c < 7; c++) dx[r * 7 + c] = y[r * 7 + c] * (w[r * 7 + c] - dot);
      }
      return [dx];
    },
  });

  // --- reductions and losses (1×1 outputs: w has one element)
  for (const reduction of ['sum', 'mean'] as const) {
    const x = input(prng, 4, 5);
    const factor = reduction === 'mean' ? 1 / 20 : 1;
    cases.push({
      name: reduction,
      step: LINEAR_STEP,
      inputs: [x],
      f: (tape, [a]) => (reduction === 'sum' ? ops.sum(tape, a) : ops.mean(tape, a)),
      forward: ([a]) => [a.reduce((s, v) => s + v, 0) * factor],
      gradient: ([a], w) => [map64(a, () => w[0] * factor)],
    });
  }

  for (const [reduction, targetList] of [
    ['mean', [3, 0, 5, 5, 1]],
    ['sum', [3, 0, 5, 5, 1]],
    ['mean', [2, -1, 4, -1, 0]], // negative targets are ignored rows: mean over the other 3
  ] as const) {
    const rows = 5;
    const cols = 6;
    const targets = Int32Array.from(targetList);
    const counted = targets.filter((t) => t >= 0).length;
    const factor = reduction === 'mean' ? 1 / counted : 1;
    cases.push({
      name: `softmaxCrossEntropy (${reduction}, targets ${targetList.join(' ')})`,
      step: SOFTMAX_STEP,
      inputs: [input(prng, rows, cols, 2)],
      f: (tape, [x]) => ops.softmaxCrossEntropy(tape, x, targets, reduction),
      forward: ([x]) => {
        const p = softmaxRows64(x, rows, cols);
        let loss = 0;
        for (let r = 0; r < rows; r++) if (targets[r] >= 0) loss -= Math.log(p[r * cols + targets[r]]);
        return [loss * factor];
      },
      gradient: ([x], w) => {
        const d = softmaxRows64(x, rows, cols);
        for (let r = 0; r < rows; r++) {
          if (targets[r] >= 0) d[r * cols + targets[r]] -= 1;
          else d.fill(0, r * cols, (r + 1) * cols);
        }
        return [map64(d, (v) => v * factor * w[0])];
      },
    });
  }
  for (const reduction of ['mean', 'sum'] as const) {
    const n = 12;
    const factor = reduction === 'mean' ? 1 / n : 1;
    cases.push({
      name: `mseLoss (${reduction}, target also differentiated)`,
    step: LINEAR_STEP,
      inputs: [input(prng, 4, 3), input(prng, 4, 3)],
      f: (tape, [p, t]) => ops.mseLoss(tape, p, t, reduction),
      forward: ([p, t]) => [p.reduce((s, v, i) => s + (v - t[i]) ** 2, 0) * factor],
      gradient: ([p, t], w) => [map64(p, (v, i) => 2 * factor * w[0] * (v - t[i])), map64(t, (v, i) => -2 * factor * w[0] * (p[i] - v))],
    });
  }

  // --- indexing
  {
    const indices = Int32Array.from([4, 0, 2, 2, 1, 4, 3]);
    const cols = 3;
    cases.push({
      name: 'gatherRows (repeated indices → scatter-add)',
    step: LINEAR_STEP,
      inputs: [input(prng, 5, cols)],
      f: (tape, [x]) => ops.gatherRows(tape, x, indices),
      forward: ([x]) => Float64Array.from({ length: indices.length * cols }, (_, i) => x[indices[Math.floor(i / cols)] * cols + (i % cols)]),
      gradient: (_xs, w) => {
        const dx = new Float64Array(5 * cols);
        indices.forEach((r, i) => {
          for (let c = 0; c < cols; c++) dx[r * cols + c] += w[i * cols + c];
        });
        return [dx];
      },
    });
  }
  {
    const offsets = Int32Array.from([0, 2, 2, 5, 7]);
    const cols = 3;
    const segmentOf = (r: number) => {
      let s = 0;
      while (offsets[s + 1] <= r) s++;
      return s;
    };
    cases.push({
      name: 'segmentSum (with an empty segment)',
    step: LINEAR_STEP,
      inputs: [input(prng, 7, cols)],
      f: (tape, [x]) => ops.segmentSum(tape, x, offsets),
      forward: ([x]) => {
        const y = new Float64Array(4 * cols);
        for (let r = 0; r < 7; r++) for (let c = 0; c < cols; c++) y[segmentOf(r) * cols + c] += x[r * cols + c];
        return y;
      },
      gradient: (_xs, w) => [Float64Array.from({ length: 7 * cols }, (_, i) => w[segmentOf(Math.floor(i / cols)) * cols + (i % cols)])],
    });
  }

  // --- layout
  cases.push({
    name: 'concatCols (widths 2, 3, 1)',
    step: LINEAR_STEP,
    inputs: [input(prng, 3, 2), input(prng, 3, 3), input(prng, 3, 1)],
    f: (tape, xs) => ops.concatCols(tape, xs),
    forward: (xs) => concatCols64(xs, [2, 3, 1], 3),
    gradient: (_xs, w) => splitCols64(w, [2, 3, 1], 3),
  });
  cases.push({
    name: 'splitCols [2, 3, 2], parts re-joined in reverse order',
    step: LINEAR_STEP,
    inputs: [input(prng, 3, 7)],
    f: (tape, [x]) => ops.concatCols(tape, ops.splitCols(tape, x, [2, 3, 2]).reverse()),
    forward: ([x]) => {
      const parts = splitCols64(x, [2, 3, 2], 3);
      return concatCols64(parts.reverse(), [2, 3, 2], 3);
    },
    gradient: (_xs, w) => {
      const parts = splitCols64(w, [2, 3, 2], 3); // gradient pieces in the reversed order
      return [concatCols64(parts.reverse(), [2, 3, 2], 3)];
    },
  });
  cases.push({
    name: 'sliceCols [1, 4) of 3×5',
    step: LINEAR_STEP,
    inputs: [input(prng, 3, 5)],
    f: (tape, [x]) => ops.sliceCols(tape, x, 1, 3),
    forward: ([x]) => splitCols64(x, [1, 3, 1], 3)[1],
    gradient: (_xs, w) => [concatCols64([new Float64Array(3), w, new Float64Array(3)], [1, 3, 1], 3)],
  });
  cases.push({
    name: 'concatRows (2, 1, 3 rows)',
    step: LINEAR_STEP,
    inputs: [input(prng, 2, 4), input(prng, 1, 4), input(prng, 3, 4)],
    f: (tape, xs) => ops.concatRows(tape, xs),
    forward: (xs) => Float64Array.from(xs.flatMap((x) => Array.from(x))),
    gradient: (_xs, w) => [w.slice(0, 8), w.slice(8, 12), w.slice(12, 24)],
  });
  cases.push({
    name: 'sliceRows [2, 5) of 6×3',
    step: LINEAR_STEP,
    inputs: [input(prng, 6, 3)],
    f: (tape, [x]) => ops.sliceRows(tape, x, 2, 3),
    forward: ([x]) => x.slice(6, 15),
    gradient: (_xs, w) => {
      const dx = new Float64Array(18);
      dx.set(w, 6);
      return [dx];
    },
  });
  return cases;
}

function splitCols64(x: ArrayLike<number>, widths: number[], rows: number): Float64Array[] {
  const cols = widths.reduce((a, b) => a + b, 0);
  let start = 0;
  return widths.map((w) => {
    const part = new Float64Array(rows * w);
    for (let r = 0; r < rows; r++) for (let c = 0; c < w; c++) part[r * w + c] = x[r * cols + start + c];
    start += w;
    return part;
  });
}

function concatCols64(parts: ArrayLike<number>[], widths: number[], rows: number): Float64Array {
  const cols = widths.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows * cols);
  let start = 0;
  parts.forEach((p, i) => {
    for (let r = 0; r < rows; r++) for (let c = 0; c < widths[i]; c++) out[r * cols + start + c] = p[r * widths[i] + c];
    start += widths[i];
  });
  return out;
}


/** Which gelu the nn kernels implement (their twin's doc comment says). */
export const GELU_KIND: 'tanh' | 'erf' = 'tanh';
