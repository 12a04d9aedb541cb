// nn kernels: both backends against float64 oracles written plainly here, against PyTorch
// (test/fixtures/nn/torch-nn.json, float64, from scripts/fixtures/nn_torch.py), and backward
// kernels against finite differences of the float64 forward.
//
// Tolerances of the transcendental kernels are the wasm polynomial errors we measured against
// float64 on dense sweeps (22–53 M float32 inputs), rounded up; the js twins round float64 once
// (≤ 2^-24 relative) and so meet them with room to spare:
//   tanh      |err| ≤ 1.44e-7·|tanh x|                                  → TANH_REL 2e-7
//   sigmoid   |err| ≤ 1.73e-7·σ(x)                                      → SIGMOID_REL 2.5e-7
//   gelu      |err| ≤ 1.66e-7·(1 + |z|)·|gelu x|, z = 2√(2/π)(x + 0.044715x³): the f32
//             rounding of z is amplified by e^z's condition number |z|   → GELU_REL 2e-7
//   gelu'     |err| ≤ 2.49e-7·(1 + |z|)·(|σ(z)| + |x·σ'(z)·z'|)          → GELU_GRAD_REL 3e-7
//   softmax   |err| ≤ 1.68e-7·p (exp of the exact difference x − max)   → SOFTMAX_REL 2.5e-7
//   CE loss   |err| ≤ 9.1e-8·loss for loss > 1e-6, and ≤ 1e-15 absolute below (the float64
//             sum 1 + Σ tiny terms)                                      → LOSS_REL 1.5e-7
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/backend/index';
import {
  createBothBackends, expectClose, expectSameF32, LENGTHS, runKernel, TestRandom, type Buffers,
} from './harness';

const TANH_REL = 2e-7;
const SIGMOID_REL = 2.5e-7;
const GELU_REL = 2e-7;
const GELU_GRAD_REL = 3e-7;
const SOFTMAX_REL = 2.5e-7;
const LOSS_REL = 1.5e-7;
/** results below the normal range lose relative precision in any f32 exp: a few subnormal ulps */
const SUBNORMAL_ABS = 5e-45;
/** gelu' multiplies a subnormal e^{−|z|} (±7e-46 rounding) by |x·z'| ≤ 1700 (for |x| ≤ 20) */
const GELU_GRAD_TINY = 2e-42;

const backends = await createBothBackends();
const fround = Math.fround;

function onBoth<R>(buffers: Buffers, call: (k: Kernels, p: Record<string, number>) => R) {
  return backends.flatMap((b) =>
    [false, true].map((misalign) => ({ name: `${b.name}${misalign ? ' (unaligned)' : ''}`, ...runKernel(b, buffers, call, { misalign }) })),
  );
}

// ---- float64 oracles -------------------------------------------------------------------------
const GELU_C = Math.sqrt(2 / Math.PI);
const geluZ = (x: number) => 2 * GELU_C * (x + 0.044715 * x * x * x);
/** σ through e^{−|z|}: 1/(1 + e^{−z}) overflows e^{−z} for z < −709 */
const sigmoid = (z: number) => (z >= 0 ? 1 : Math.exp(z)) / (1 + Math.exp(-Math.abs(z)));
/** gelu as x·σ(z), the exact rewrite of 0.5x(1 + tanh(z/2)) that does not cancel for x ≪ 0 */
const gelu = (x: number) => x * sigmoid(geluZ(x));
/** the two terms of gelu'(x) = σ(z) + x·σ(z)(1 − σ(z))·z' (second is 0 once σ saturates) */
function geluGradTerms(x: number): [number, number] {
  const z = geluZ(x);
  const s = sigmoid(z), curvature = s * sigmoid(-z);
  return [s, curvature === 0 ? 0 : x * curvature * 2 * GELU_C * (1 + 3 * 0.044715 * x * x)];
}
/** the literal PyTorch formula, fine in float64 for x ≥ −5 */
const geluLiteral = (x: number) => 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x ** 3)));

function softmaxOracle(x: ArrayLike<number>, rows: number, cols: number): { p: Float64Array; logSumExp: Float64Array; max: Float64Array } {
  const p = new Float64Array(rows * cols), logSumExp = new Float64Array(rows), max = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[r * cols + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[r * cols + j] - m);
    for (let j = 0; j < cols; j++) p[r * cols + j] = Math.exp(x[r * cols + j] - m) / s;
    max[r] = m;
    logSumExp[r] = Math.log(s); // without the max: added back by the caller in a stable order
  }
  return { p, logSumExp, max };
}

/** activation inputs: the smooth region, large magnitudes (±80, ±1e4, ±1e20), specials */
function activationInputs(rng: TestRandom, n: number): Float32Array {
  const special = [0, -0, 1e-40, -1e-30, 0.625, -0.625, 80, -80, 88.8, -104, 1e20, -1e20, Infinity, -Infinity, NaN];
  const x = rng.f32(n, -8, 8);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    if (u < 0.1) x[i] = special[rng.int(0, special.length - 1)];
    else if (u < 0.2) x[i] = rng.uniform(-90, 90);
    else if (u < 0.25) x[i] = rng.f32Wide(1, 4)[0];
  }
  return x;
}

describe('activations: forward against float64', () => {
  const rng = new TestRandom(11);
  type Bound = (x: number) => number;
  // relative bound, and absolute bound for results below the normal range: there gelu = x·σ(z)
  // scales σ's subnormal rounding (~1.4e-45) by |x|
  const cases: [string, (k: Kernels, out: number, x: number, n: number) => void, Bound, Bound, Bound][] = [
    ['tanhForward', (k, o, x, n) => k.tanhForward(o, x, n), Math.tanh, () => TANH_REL, () => SUBNORMAL_ABS],
    ['sigmoidForward', (k, o, x, n) => k.sigmoidForward(o, x, n), sigmoid, () => SIGMOID_REL, () => SUBNORMAL_ABS],
    ['geluForward', (k, o, x, n) => k.geluForward(o, x, n), gelu, (x) => GELU_REL * (1 + Math.abs(geluZ(x))), (x) => SUBNORMAL_ABS * (1 + Math.abs(x))],
  ];
  for (const [name, call, oracle, relOf, absOf] of cases) {
    it(`${name} within its measured error, for every length and in place`, () => {
      let worst = 0;
      for (const n of LENGTHS) {
        const x = activationInputs(rng, n);
        const expected = Array.from(x, oracle);
        for (const inPlace of [false, true]) {
          const runs = inPlace ? onBoth({ x }, (k, p) => call(k, p.x, p.x, n)) : onBoth({ out: rng.f32(n), x }, (k, p) => call(k, p.out, p.x, n));
          for (const run of runs) {
            const got = run.out[inPlace ? 'x' : 'out'];
            for (let i = 0; i < n; i++) {
              const e = expected[i], a = got[i];
              if (!Number.isFinite(e)) {
                expect(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `${name}(${x[i]}) on ${run.name}: ${a} vs ${e}`).toBe(true);
                continue;
              }
              const err = Math.abs(a - e);
              // (an exact 0 is checked as such: the bound factor may be infinite where z is)
              if (!(err <= (e === 0 ? 0 : relOf(x[i]) * Math.abs(e)) + absOf(x[i]))) {
                expect.fail(`${name}(${x[i]}) on ${run.name}: ${a}, expected ${e} (relative error ${(err / Math.abs(e)).toExponential(3)})`);
              }
              if (Math.abs(e) > 1e-37 && Number.isFinite(relOf(x[i]))) worst = Math.max(worst, err / (relOf(x[i]) * Math.abs(e)));
            }
          }
        }
      }
      // the bound is not vacuous: the worst case uses a real fraction of it
      expect(worst).toBeGreaterThan(0.1);
    });
  }

  it('tanh is accurate near 0 (relative, not absolute) and odd, with tanh(−0) = −0', () => {
    const x = new Float32Array([1e-30, -1e-30, 1e-8, -1e-8, 1e-4, -3e-4, 0.01, 0.3, 0.6249, 0.6251, -0.6251, 0, -0]);
    for (const b of backends) {
      const { out } = runKernel(b, { out: new Float32Array(x.length), x }, (k, p) => k.tanhForward(p.out, p.x, x.length));
      expectClose(out.out, Array.from(x, Math.tanh), { rel: TANH_REL, abs: 0 }, `tanh near 0 on ${b.name}`);
      expect(Object.is(out.out[x.length - 1], -0), `tanh(-0) on ${b.name}`).toBe(true);
    }
  });

  it('sigmoid keeps relative accuracy deep in the negative tail and saturates exactly', () => {
    const x = new Float32Array([-20, -50, -87, -87.3, 20, 30, 88, 100]);
    for (const b of backends) {
      const { out } = runKernel(b, { out: new Float32Array(x.length), x }, (k, p) => k.sigmoidForward(p.out, p.x, x.length));
      expectClose(out.out, Array.from(x, sigmoid), { rel: SIGMOID_REL, abs: 0 }, `sigmoid tail on ${b.name}`);
      expect(Array.from(out.out.subarray(5))).toEqual([1, 1, 1]);
    }
  });

  it('relu and leakyRelu are exact (NaN stays NaN, like torch)', () => {
    for (const n of LENGTHS) {
      const x = activationInputs(rng, n);
      const slope = 0.01;
      const relu = x.map((v) => Math.max(v, 0));
      const leaky = x.map((v) => (v > 0 ? v : fround(fround(slope) * v)));
      for (const run of onBoth({ out: rng.f32(n), x }, (k, p) => k.reluForward(p.out, p.x, n))) expectSameF32(run.out.out, relu, `relu n=${n} on ${run.name}`);
      for (const run of onBoth({ x }, (k, p) => k.reluForward(p.x, p.x, n))) expectSameF32(run.out.x, relu, `relu in place n=${n} on ${run.name}`);
      for (const run of onBoth({ out: rng.f32(n), x }, (k, p) => k.leakyReluForward(p.out, p.x, slope, n))) expectSameF32(run.out.out, leaky, `leakyRelu n=${n} on ${run.name}`);
    }
  });
});

describe('activations: backward', () => {
  const rng = new TestRandom(12);

  it('tanh, sigmoid, relu and leakyRelu backward accumulate their exact f32 formula', () => {
    for (const n of LENGTHS) {
      const dx = rng.f32(n), dy = rng.f32Wide(n, 3), x = activationInputs(rng, n);
      const y = rng.f32(n, -1, 1), s = rng.f32(n, 0, 1);
      const slope = 0.2, sl = fround(slope);
      const cases: [string, (k: Kernels, p: Record<string, number>) => void, ArrayLike<number>][] = [
        ['tanhBackward', (k, p) => k.tanhBackward(p.dx, p.y, p.dy, n), dx.map((d, i) => fround(d + fround(dy[i] * fround(1 - fround(y[i] * y[i])))))],
        ['sigmoidBackward', (k, p) => k.sigmoidBackward(p.dx, p.s, p.dy, n), dx.map((d, i) => fround(d + fround(dy[i] * fround(s[i] * fround(1 - s[i])))))],
        ['reluBackward', (k, p) => k.reluBackward(p.dx, p.x, p.dy, n), dx.map((d, i) => fround(d + (x[i] > 0 ? dy[i] : 0)))],
        ['leakyReluBackward', (k, p) => k.leakyReluBackward(p.dx, p.x, p.dy, slope, n), dx.map((d, i) => fround(d + (x[i] > 0 ? dy[i] : fround(dy[i] * sl))))],
      ];
      for (const [name, call, expected] of cases) {
        for (const run of onBoth({ dx, dy, x, y, s }, call)) expectSameF32(run.out.dx, expected, `${name} n=${n} on ${run.name}`);
      }
    }
  });

  it('geluBackward: dx += dy·gelu\'(x) within its measured error, and it accumulates', () => {
    for (const n of LENGTHS) {
      const x = activationInputs(rng, n), dy = rng.f32(n, -2, 2);
      const dx0 = rng.f32(n);
      const fresh = onBoth({ dx: new Float32Array(n), x, dy }, (k, p) => k.geluBackward(p.dx, p.x, p.dy, n));
      for (const run of fresh) {
        for (let i = 0; i < n; i++) {
          const [s, second] = geluGradTerms(x[i]);
          const expected = dy[i] * (s + second);
          const a = run.out.dx[i];
          if (!Number.isFinite(expected)) {
            expect(Number.isNaN(a) && Number.isNaN(expected), `gelu'(${x[i]}) on ${run.name}: ${a} vs ${expected}`).toBe(true);
            continue;
          }
          const scale = Math.abs(s) + Math.abs(second);
          // the slope's error, then the rounding of dy·slope
          const bound = (scale === 0 ? 0 : GELU_GRAD_REL * (1 + Math.abs(geluZ(x[i]))) * scale * Math.abs(dy[i])) + 2 ** -24 * Math.abs(expected) + GELU_GRAD_TINY;
          if (!(Math.abs(a - expected) <= bound)) expect.fail(`gelu'(${x[i]})·${dy[i]} on ${run.name}: ${a}, expected ${expected}`);
        }
        // accumulation: the same contribution lands on top of an existing gradient
        const acc = runKernel(backends.find((b) => run.name.startsWith(b.name))!, { dx: dx0, x, dy }, (k, p) => k.geluBackward(p.dx, p.x, p.dy, n));
        expectSameF32(acc.out.dx, dx0.map((d, i) => fround(d + run.out.dx[i])), `geluBackward accumulates n=${n} on ${run.name}`);
      }
    }
  });

  it('every activation backward matches central differences of its float64 forward', () => {
    const n = 203;
    const x = rng.f32(n, -4, 4);
    const dy = new Float32Array(n).fill(1);
    const h = 1e-4;
    const fd = (f: (v: number) => number) => Array.from(x, (v) => (f(v + h) - f(v - h)) / (2 * h));
    for (const b of backends) {
      const forward = (name: 'tanhForward' | 'sigmoidForward') =>
        runKernel(b, { out: new Float32Array(n), x }, (k, p) => k[name](p.out, p.x, n)).out.out;
      const y = forward('tanhForward'), s = forward('sigmoidForward');
      const grads = runKernel(b, { gt: new Float32Array(n), gs: new Float32Array(n), gg: new Float32Array(n), y, s, x, dy }, (k, p) => {
        k.tanhBackward(p.gt, p.y, p.dy, n);
        k.sigmoidBackward(p.gs, p.s, p.dy, n);
        k.geluBackward(p.gg, p.x, p.dy, n);
      }).out;
      // FD truncation error h²·f'''/6 ≲ 1e-8 here; the rest is f32 rounding of y and of the result
      expectClose(grads.gt, fd(Math.tanh), { rel: 2e-6, abs: 2e-7 }, `tanh' on ${b.name}`);
      expectClose(grads.gs, fd(sigmoid), { rel: 2e-6, abs: 2e-7 }, `sigmoid' on ${b.name}`);
      expectClose(grads.gg, fd(geluLiteral), { rel: 2e-6, abs: 2e-7 }, `gelu' on ${b.name}`);
    }
  });
});

describe('softmax and cross-entropy', () => {
  const rng = new TestRandom(13);
  const shapes: [number, number][] = [[1, 1], [3, 1], [2, 2], [4, 3], [5, 4], [3, 5], [7, 17], [2, 64], [3, 257], [2, 1003]];

  it('softmaxRows: every probability within 2.5e-7 relative of float64, also in place, up to ±80', () => {
    for (const [rows, cols] of shapes) {
      for (const scale of [1e-3, 1, 10, 80]) {
        const x = rng.f32(rows * cols, -scale, scale);
        const { p } = softmaxOracle(x, rows, cols);
        const what = `softmaxRows ${rows}x${cols} ±${scale}`;
        for (const run of onBoth({ out: new Float32Array(rows * cols), x }, (k, q) => k.softmaxRows(q.out, q.x, rows, cols))) {
          expectClose(run.out.out, p, { rel: SOFTMAX_REL, abs: SUBNORMAL_ABS }, `${what} on ${run.name}`);
        }
        for (const run of onBoth({ x }, (k, q) => k.softmaxRows(q.x, q.x, rows, cols))) {
          expectClose(run.out.x, p, { rel: SOFTMAX_REL, abs: SUBNORMAL_ABS }, `${what} in place on ${run.name}`);
        }
      }
    }
  });

  it('softmaxRows: huge logits do not overflow; NaN or +Inf in a row, or an all −Inf row, give NaN like float64', () => {
    const cols = 6;
    const x = new Float32Array([
      3e38, -3e38, 1e30, 0, 5, 3e38, // huge but finite: max-subtraction keeps it finite
      1, 2, NaN, 3, 4, 5,
      1, Infinity, 2, 3, 4, 5,
      -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity,
      -Infinity, 0, -Infinity, 1, 2, -Infinity, // −Inf entries are probability 0
    ]);
    const rows = x.length / cols;
    const { p } = softmaxOracle(x, rows, cols);
    expect(p[0]).toBeCloseTo(0.5, 12);
    for (const run of onBoth({ out: new Float32Array(x.length), x }, (k, q) => k.softmaxRows(q.out, q.x, rows, cols))) {
      expectClose(run.out.out, p, { rel: SOFTMAX_REL, abs: SUBNORMAL_ABS }, `softmax specials on ${run.name}`);
    }
  });

  it('softmaxRowsBackward: dx += y ⊙ (dy − Σ dy·y), bounded by f32 rounding of each term', () => {
    for (const [rows, cols] of shapes) {
      const x = rng.f32(rows * cols, -5, 5);
      const y = Float32Array.from(softmaxOracle(x, rows, cols).p);
      const dy = rng.f32Wide(rows * cols, 2), dx = rng.f32(rows * cols);
      const runs = onBoth({ dx, y, dy }, (k, q) => k.softmaxRowsBackward(q.dx, q.y, q.dy, rows, cols));
      for (let r = 0; r < rows; r++) {
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += dy[r * cols + j] * y[r * cols + j];
        for (let j = 0; j < cols; j++) {
          const i = r * cols + j;
          const exact = dx[i] + y[i] * (dy[i] - dot);
          // f32 roundings: dot, the difference, the product, the sum
          const bound = 2 ** -23 * (Math.abs(y[i]) * (Math.abs(dy[i]) + 2 * Math.abs(dot)) + Math.abs(exact));
          for (const run of runs) {
            if (!(Math.abs(run.out.dx[i] - exact) <= bound)) expect.fail(`softmaxRowsBackward ${rows}x${cols} [${r},${j}] on ${run.name}: ${run.out.dx[i]} vs ${exact}`);
          }
        }
      }
    }
  });

  it('softmaxRowsBackward matches central differences of Σ dy·softmax(x)', () => {
    const rows = 3, cols = 11;
    const x = rng.f32(rows * cols, -3, 3), dy = rng.f32(rows * cols, -1, 1);
    const objective = (v: Float64Array) => {
      const { p } = softmaxOracle(v, rows, cols);
      return p.reduce((s, pi, i) => s + pi * dy[i], 0);
    };
    const h = 1e-5;
    const fd = Array.from(x, (_, i) => {
      const plus = Float64Array.from(x), minus = Float64Array.from(x);
      plus[i] += h; minus[i] -= h;
      return (objective(plus) - objective(minus)) / (2 * h);
    });
    const y = Float32Array.from(softmaxOracle(x, rows, cols).p);
    for (const b of backends) {
      const { out } = runKernel(b, { dx: new Float32Array(rows * cols), y, dy }, (k, q) => k.softmaxRowsBackward(q.dx, q.y, q.dy, rows, cols));
      expectClose(out.dx, fd, { rel: 1e-5, abs: 1e-7 }, `softmax backward vs FD on ${b.name}`);
    }
  });

  /** row loss oracle: (max − x_t) + log Σ e^{x − max}, or 0 for an ignored row */
  function lossOracle(x: ArrayLike<number>, t: ArrayLike<number>, rows: number, cols: number): number[] {
    const { logSumExp, max } = softmaxOracle(x, rows, cols);
    return Array.from({ length: rows }, (_, r) => (t[r] < 0 ? 0 : max[r] - x[r * cols + t[r]] + logSumExp[r]));
  }

  it('softmaxCrossEntropy: probs and −log p[t] = logsumexp − logit against float64, ignored rows give 0', () => {
    for (const [rows, cols] of shapes) {
      for (const scale of [1e-3, 1, 10, 80]) {
        const x = rng.f32(rows * cols, -scale, scale);
        const t = rng.i32(rows, -1, cols - 1);
        const loss = lossOracle(x, t, rows, cols);
        const what = `softmaxCrossEntropy ${rows}x${cols} ±${scale}`;
        const runs = onBoth({ probs: rng.f32(rows * cols), loss: rng.f32(rows), x, t }, (k, q) =>
          k.softmaxCrossEntropy(q.probs, q.loss, q.x, q.t, rows, cols),
        );
        for (const run of runs) {
          expectClose(run.out.probs, softmaxOracle(x, rows, cols).p, { rel: SOFTMAX_REL, abs: SUBNORMAL_ABS }, `${what} probs on ${run.name}`);
          expectClose(run.out.loss, loss, { rel: LOSS_REL, abs: 1e-15 }, `${what} loss on ${run.name}`);
          for (let r = 0; r < rows; r++) if (t[r] < 0) expect(run.out.loss[r]).toBe(0);
        }
      }
    }
  });

  it('softmaxCrossEntropy stays finite and exact where log(p) underflows (target 160 below the max)', () => {
    const x = new Float32Array([80, -80, 0, -80, 80, 0]);
    const t = new Int32Array([1, 1]);
    for (const b of backends) {
      const { out } = runKernel(b, { probs: new Float32Array(6), loss: new Float32Array(2), x, t }, (k, q) => k.softmaxCrossEntropy(q.probs, q.loss, q.x, q.t, 2, 3));
      expectClose(out.loss, [160 + Math.log(1 + Math.exp(-80) + Math.exp(-160)), 0 + Math.log(1 + Math.exp(-80) + Math.exp(-160))], { rel: LOSS_REL, abs: 1e-15 }, `CE underflow on ${b.name}`);
      expect(out.probs[1]).toBe(0); // e^-160 is below the smallest f32
    }
  });

  it('softmaxCrossEntropyBackward: dlogits += g·(p − onehot(t)) exactly, ignored rows untouched', () => {
    for (const [rows, cols] of shapes) {
      const p = Float32Array.from(softmaxOracle(rng.f32(rows * cols, -4, 4), rows, cols).p);
      const t = rng.i32(rows, -1, cols - 1), g = rng.f32(rows, 0.1, 2), dl = rng.f32(rows * cols);
      const expected = dl.map((d, i) => {
        const r = Math.floor(i / cols), j = i % cols;
        if (t[r] < 0) return d;
        return fround(d + fround(g[r] * (j === t[r] ? fround(p[i] - 1) : p[i])));
      });
      for (const run of onBoth({ dl, p, t, g }, (k, q) => k.softmaxCrossEntropyBackward(q.dl, q.p, q.t, q.g, rows, cols))) {
        expectSameF32(run.out.dl, expected, `softmaxCrossEntropyBackward ${rows}x${cols} on ${run.name}`);
      }
    }
  });
});

describe('nn kernels against PyTorch (float64 fixture)', () => {
  /** the fixture keeps 12 significant digits */
  const FIXTURE_REL = 1e-11;
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/nn/torch-nn.json', import.meta.url), 'utf8'));
  const act = fixture.activations;
  const x = Float32Array.from(act.x as number[]), dy = Float32Array.from(act.dy as number[]);
  const n = x.length;
  const z = Array.from(x, (v) => 1 + Math.abs(geluZ(v)));

  it('tanh, sigmoid, relu, leaky_relu, gelu(approximate="tanh") and their gradients', () => {
    for (const b of backends) {
      const forward = (call: (k: Kernels, p: Record<string, number>) => void) =>
        runKernel(b, { x, dy, y: new Float32Array(n) }, call).out.y as Float32Array;
      const backward = (y: Float32Array, call: (k: Kernels, p: Record<string, number>) => void) =>
        runKernel(b, { x, dy, y, dx: new Float32Array(n) }, call).out.dx;
      const fns = act.fns;
      const tanh = forward((k, p) => k.tanhForward(p.y, p.x, n));
      expectClose(tanh, fns.tanh.y, { rel: TANH_REL, abs: 1e-12 }, `torch tanh on ${b.name}`);
      expectClose(backward(tanh, (k, p) => k.tanhBackward(p.dx, p.y, p.dy, n)), fns.tanh.dx, { rel: 1e-6, abs: 3e-7 }, `torch tanh grad on ${b.name}`);
      const sig = forward((k, p) => k.sigmoidForward(p.y, p.x, n));
      expectClose(sig, fns.sigmoid.y, { rel: SIGMOID_REL, abs: 1e-12 }, `torch sigmoid on ${b.name}`);
      expectClose(backward(sig, (k, p) => k.sigmoidBackward(p.dx, p.y, p.dy, n)), fns.sigmoid.dx, { rel: 1e-6, abs: 3e-7 }, `torch sigmoid grad on ${b.name}`);
      expectClose(forward((k, p) => k.reluForward(p.y, p.x, n)), fns.relu.y, { rel: FIXTURE_REL, abs: 0 }, `torch relu on ${b.name}`);
      expectClose(backward(x, (k, p) => k.reluBackward(p.dx, p.x, p.dy, n)), fns.relu.dx, { rel: FIXTURE_REL, abs: 0 }, `torch relu grad on ${b.name}`);
      expectClose(forward((k, p) => k.leakyReluForward(p.y, p.x, act.slope, n)), fns.leaky_relu.y, { rel: 1.2e-7, abs: 0 }, `torch leaky_relu on ${b.name}`);
      expectClose(backward(x, (k, p) => k.leakyReluBackward(p.dx, p.x, p.dy, act.slope, n)), fns.leaky_relu.dx, { rel: 1.2e-7, abs: 0 }, `torch leaky_relu grad on ${b.name}`);
      const g = forward((k, p) => k.geluForward(p.y, p.x, n));
      for (let i = 0; i < n; i++) {
        expectClose([g[i]], [fns.gelu.y[i]], { rel: GELU_REL * z[i], abs: 1e-12 }, `torch gelu(${x[i]}) on ${b.name}`);
      }
      expectClose(backward(x, (k, p) => k.geluBackward(p.dx, p.x, p.dy, n)), fns.gelu.dx, { rel: 2e-6, abs: 3e-7 }, `torch gelu grad on ${b.name}`);
    }
  });

  it('softmax and its gradient', () => {
    for (const c of fixture.softmax) {
      const logits = Float32Array.from(c.logits as number[]), dy = Float32Array.from(c.dy as number[]);
      for (const b of backends) {
        const { out } = runKernel(b, { logits, dy, y: new Float32Array(logits.length), dx: new Float32Array(logits.length) }, (k, p) => {
          k.softmaxRows(p.y, p.logits, c.rows, c.cols);
          k.softmaxRowsBackward(p.dx, p.y, p.dy, c.rows, c.cols);
        });
        expectClose(out.y, c.y, { rel: SOFTMAX_REL, abs: 1e-15 }, `torch softmax ${c.rows}x${c.cols} on ${b.name}`);
        expectClose(out.dx, c.dx, { rel: 2e-5, abs: 1e-7 }, `torch softmax grad ${c.rows}x${c.cols} on ${b.name}`);
      }
    }
  });

  it('cross_entropy(reduction="none", ignore_index=-1) and its gradient', () => {
    for (const c of fixture.cross_entropy) {
      const logits = Float32Array.from(c.logits as number[]), targets = Int32Array.from(c.targets as number[]);
      const w = Float32Array.from(c.w as number[]);
      const size = logits.length;
      for (const b of backends) {
        const { out } = runKernel(b, { logits, targets, w, probs: new Float32Array(size), loss: new Float32Array(c.rows), dl: new Float32Array(size) }, (k, p) => {
          k.softmaxCrossEntropy(p.probs, p.loss, p.logits, p.targets, c.rows, c.cols);
          k.softmaxCrossEntropyBackward(p.dl, p.probs, p.targets, p.w, c.rows, c.cols);
        });
        expectClose(out.loss, c.loss, { rel: LOSS_REL, abs: 1e-12 }, `torch cross_entropy ${c.rows}x${c.cols} on ${b.name}`);
        expectClose(out.dl, c.dlogits, { rel: 1e-6, abs: 1e-7 }, `torch cross_entropy grad ${c.rows}x${c.cols} on ${b.name}`);
      }
    }
  });
});

describe('row indexing: gather, scatter-add, segment sums', () => {
  const rng = new TestRandom(14);
  const colsList = [1, 3, 4, 5, 17, 130];

  it('gatherRows copies the indexed rows (repeats allowed) and scatterAddRows accumulates them back in order', () => {
    for (const cols of colsList) {
      for (const count of [0, 1, 6, 50]) {
        const rows = 9;
        const x = rng.f32(rows * cols), indices = rng.i32(count, 0, rows - 1);
        if (count > 2) indices[1] = indices[0]; // a repeated index for certain
        const gathered = new Float32Array(count * cols);
        for (let r = 0; r < count; r++) gathered.set(x.subarray(indices[r] * cols, (indices[r] + 1) * cols), r * cols);
        for (const run of onBoth({ out: rng.f32(count * cols), x, indices }, (k, p) => k.gatherRows(p.out, p.x, p.indices, count, cols))) {
          expectSameF32(run.out.out, gathered, `gatherRows count=${count} cols=${cols} on ${run.name}`);
        }
        const dOut = rng.f32(count * cols), dx = rng.f32(rows * cols);
        const expected = Float32Array.from(dx);
        for (let r = 0; r < count; r++) for (let j = 0; j < cols; j++) expected[indices[r] * cols + j] = fround(expected[indices[r] * cols + j] + dOut[r * cols + j]);
        for (const run of onBoth({ dx, indices, dOut }, (k, p) => k.scatterAddRows(p.dx, p.indices, p.dOut, count, cols))) {
          expectSameF32(run.out.dx, expected, `scatterAddRows count=${count} cols=${cols} on ${run.name}`);
        }
      }
    }
  });

  it('segmentSum sums CSR segments (empty segments give zeros) and segmentSumBackward spreads dOut back', () => {
    for (const cols of colsList) {
      const sizes = [2, 0, 1, 5, 0, 3, 17];
      const offsets = Int32Array.from([0, ...sizes.map((_, i) => sizes.slice(0, i + 1).reduce((a, b) => a + b, 0))]);
      const segments = sizes.length, rows = offsets[segments];
      const x = rng.f32(rows * cols);
      const sums = new Float32Array(segments * cols);
      for (let s = 0; s < segments; s++) {
        for (let r = offsets[s]; r < offsets[s + 1]; r++) for (let j = 0; j < cols; j++) sums[s * cols + j] = fround(sums[s * cols + j] + x[r * cols + j]);
      }
      for (const run of onBoth({ out: rng.f32(segments * cols), x, offsets }, (k, p) => k.segmentSum(p.out, p.x, p.offsets, segments, cols))) {
        expectSameF32(run.out.out, sums, `segmentSum cols=${cols} on ${run.name}`);
      }
      const dOut = rng.f32(segments * cols), dx = rng.f32(rows * cols);
      const expected = Float32Array.from(dx);
      for (let s = 0; s < segments; s++) {
        for (let r = offsets[s]; r < offsets[s + 1]; r++) for (let j = 0; j < cols; j++) expected[r * cols + j] = fround(expected[r * cols + j] + dOut[s * cols + j]);
      }
      for (const run of onBoth({ dx, dOut, offsets }, (k, p) => k.segmentSumBackward(p.dx, p.dOut, p.offsets, segments, cols))) {
        expectSameF32(run.out.dx, expected, `segmentSumBackward cols=${cols} on ${run.name}`);
      }
    }
  });

  it('zero counts touch nothing', () => {
    const x = rng.f32(8), offsets = new Int32Array([0, 2]);
    const runs = onBoth({ x, y: rng.f32(8), idx: new Int32Array([0, 1]), offsets }, (k, p) => {
      k.gatherRows(p.x, p.y, p.idx, 0, 4);
      k.scatterAddRows(p.x, p.idx, p.y, 2, 0);
      k.segmentSum(p.x, p.y, p.offsets, 0, 4);
      k.segmentSumBackward(p.x, p.y, p.offsets, 1, 0);
      k.softmaxRows(p.x, p.y, 0, 4);
      k.softmaxCrossEntropy(p.x, p.x, p.y, p.idx, 2, 0);
      k.tanhForward(p.x, p.y, 0);
      k.geluBackward(p.x, p.y, p.y, -4);
    });
    for (const run of runs) expectSameF32(run.out.x, x, `zero counts on ${run.name}`);
  });
});
