// gemm: the wasm micro-kernel and the js twin against a plain float64 reference, and against
// each other. The reference is exact up to float64 rounding; float32 results are held to the
// classical error bound of a length-k dot product, |fl(C) − C| ≤ (k + c)·u·M with
// u = 2^-24 and M = |alpha|·Σ_p |op(A)_ip|·|op(B)_pj| + |beta·C0_ij| + |bias_j| (the "+ c"
// covers the write-back roundings: alpha, beta, bias and one add per k block).
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/index';
import { createBothBackends, runKernel, TestRandom, type Buffers } from './harness';

const backends = await createBothBackends();
const U = 2 ** -24;
/** write-back roundings beyond the k products: alpha, beta·C, bias, and one add per k block */
const EXTRA_ROUNDINGS = 8;

interface GemmCase {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  /** extra elements at the end of each stored row (submatrix strides) */
  padA?: number;
  padB?: number;
  padC?: number;
  bias?: boolean;
  /** values are uniform in [-scale, scale] */
  scale?: number;
  /** place every buffer 4 bytes past a 16-byte boundary */
  misalign?: boolean;
}

interface Stored {
  A: Float32Array;
  B: Float32Array;
  C: Float32Array;
  bias: Float32Array;
  lda: number;
  ldb: number;
  ldc: number;
}

function makeInputs(rng: TestRandom, t: GemmCase): Stored {
  const scale = t.scale ?? 1;
  // A is stored k×m when transposed, m×k otherwise; likewise B is n×k or k×n
  const [aRows, aCols] = t.transA ? [t.k, t.m] : [t.m, t.k];
  const [bRows, bCols] = t.transB ? [t.n, t.k] : [t.k, t.n];
  const lda = Math.max(1, aCols + (t.padA ?? 0));
  const ldb = Math.max(1, bCols + (t.padB ?? 0));
  const ldc = Math.max(1, t.n + (t.padC ?? 0));
  const C = t.beta === 0 ? new Float32Array(t.m * ldc).fill(NaN) : rng.f32(t.m * ldc, -scale, scale);
  return {
    A: rng.f32(aRows * lda, -scale, scale),
    B: rng.f32(bRows * ldb, -scale, scale),
    C,
    bias: t.bias ? rng.f32(t.n, -scale, scale) : new Float32Array(0),
    lda, ldb, ldc,
  };
}

/**
 * The float64 reference, written from the definition: C[i][j] = alpha·Σ_p op(A)[i][p]·op(B)[p][j]
 * + beta·C0[i][j] + bias[j], with beta == 0 meaning C0 is not read. Also returns the bound.
 */
function reference(t: GemmCase, s: Stored): { expected: Float64Array; bound: Float64Array } {
  const opA = (i: number, p: number) => (t.transA ? s.A[p * s.lda + i] : s.A[i * s.lda + p]);
  const opB = (p: number, j: number) => (t.transB ? s.B[j * s.ldb + p] : s.B[p * s.ldb + j]);
  const expected = new Float64Array(s.C.length);
  const bound = new Float64Array(s.C.length);
  for (let i = 0; i < t.m; i++) {
    for (let j = 0; j < t.n; j++) {
      let sum = 0, magnitude = 0;
      for (let p = 0; p < t.k; p++) {
        const prod = opA(i, p) * opB(p, j);
        sum += prod;
        magnitude += Math.abs(prod);
      }
      const c0 = t.beta === 0 ? 0 : t.beta * s.C[i * s.ldc + j];
      const b = t.bias ? s.bias[j] : 0;
      expected[i * s.ldc + j] = t.alpha * sum + c0 + b;
      bound[i * s.ldc + j] = (t.k + EXTRA_ROUNDINGS) * U * (Math.abs(t.alpha) * magnitude + Math.abs(c0) + Math.abs(b));
    }
  }
  return { expected, bound };
}

function runGemm(backend: Backend, t: GemmCase, s: Stored): Float32Array {
  const buffers: Buffers = { A: s.A, B: s.B, C: s.C };
  if (t.bias) buffers.bias = s.bias;
  const { out } = runKernel(
    backend,
    buffers,
    (k, p) => k.gemm(
      t.transA ? 1 : 0, t.transB ? 1 : 0, t.m, t.n, t.k, t.alpha,
      p.A, s.lda, p.B, s.ldb, t.beta, p.C, s.ldc, t.bias ? p.bias : 0,
    ),
    { misalign: t.misalign },
  );
  expect(out.A, 'A is read-only').toEqual(s.A);
  expect(out.B, 'B is read-only').toEqual(s.B);
  return out.C as Float32Array;
}

const describeCase = (t: GemmCase) =>
  `${t.transA ? 'T' : 'N'}${t.transB ? 'T' : 'N'} m=${t.m} n=${t.n} k=${t.k} alpha=${t.alpha} beta=${t.beta}` +
  `${t.bias ? ' bias' : ''}${t.padA || t.padB || t.padC ? ` pad=${t.padA ?? 0}/${t.padB ?? 0}/${t.padC ?? 0}` : ''}` +
  `${t.scale ? ` scale=${t.scale}` : ''}${t.misalign ? ' unaligned' : ''}`;

/**
 * Runs one case on both backends: every element within the bound of the reference, the two
 * backends within twice the bound of each other, padding columns of C left exactly as they
 * were. Returns the largest error measured in units of the bound.
 */
function check(rng: TestRandom, t: GemmCase): number {
  const s = makeInputs(rng, t);
  const { expected, bound } = reference(t, s);
  const what = describeCase(t);
  const results = backends.map((b) => ({ name: b.name, C: runGemm(b, t, s) }));
  let worst = 0;
  for (const { name, C } of results) {
    for (let i = 0; i < t.m; i++) {
      for (let col = 0; col < s.ldc; col++) {
        const at = i * s.ldc + col;
        if (col >= t.n) {
          // outside the logical n columns: untouched (NaN stays NaN when beta == 0)
          if (!Object.is(C[at], s.C[at])) expect.fail(`${name} ${what}: wrote padding C[${i}][${col}]`);
          continue;
        }
        const err = Math.abs(C[at] - expected[at]);
        if (!(err <= bound[at] + 1e-30)) {
          expect.fail(`${name} ${what}: C[${i}][${col}] = ${C[at]}, expected ${expected[at]} (error ${err.toExponential(3)}, bound ${bound[at].toExponential(3)})`);
        }
        if (bound[at] > 0) worst = Math.max(worst, err / bound[at]);
      }
    }
  }
  const [wasm, js] = results;
  for (let at = 0; at < wasm.C.length; at++) {
    const i = Math.floor(at / s.ldc), col = at % s.ldc;
    if (col >= t.n) continue;
    if (!(Math.abs(wasm.C[at] - js.C[at]) <= 2 * bound[at] + 1e-30)) {
      expect.fail(`wasm vs js ${what}: C[${i}][${col}] ${wasm.C[at]} vs ${js.C[at]}`);
    }
  }
  return worst;
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describe('gemm: wasm and js against a float64 reference', () => {
  it('has both backends under test', () => {
    expect(backends.map((b) => b.name)).toEqual(['wasm', 'js']);
  });

  it('every transpose combination on shapes around the 5×8 tile and 4-wide vectors', () => {
    const rng = new TestRandom(1);
    const shapes = [
      [1, 1, 1], [1, 8, 1], [5, 8, 4], [4, 7, 3], [6, 9, 5], [5, 16, 17], [11, 13, 7], [3, 33, 2], [17, 5, 29], [10, 40, 8],
    ];
    let worst = 0;
    for (const [transA, transB] of TRANSPOSES) {
      for (const [m, n, k] of shapes) {
        worst = Math.max(worst, check(rng, { transA, transB, m, n, k, alpha: 1, beta: 0 }));
      }
    }
    // a sanity check on the oracle: real float32 rounding shows up, far inside the bound
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1);
  });

  it('zero-sized dimensions: m or n = 0 touch nothing, k = 0 gives beta·C + bias', () => {
    const rng = new TestRandom(2);
    for (const [transA, transB] of TRANSPOSES) {
      for (const [m, n, k] of [[0, 5, 3], [4, 0, 3], [0, 0, 0], [3, 4, 0], [6, 9, 0]]) {
        for (const beta of [0, 1, 0.5]) {
          for (const bias of [false, true]) check(rng, { transA, transB, m, n, k, alpha: 1.5, beta, bias, padC: 2 });
        }
      }
    }
  });

  it('alpha, beta ∈ {0, 1, 0.5} (beta 0 with a NaN-filled C), with and without bias', () => {
    const rng = new TestRandom(3);
    for (const [transA, transB] of TRANSPOSES) {
      for (const alpha of [1, -0.75, 2.5, 0]) {
        for (const beta of [0, 1, 0.5]) {
          for (const bias of [false, true]) {
            check(rng, { transA, transB, m: rng.int(1, 23), n: rng.int(1, 37), k: rng.int(1, 41), alpha, beta, bias });
          }
        }
      }
    }
  });

  it('submatrices: lda, ldb, ldc wider than the logical rows, padding of C untouched', () => {
    const rng = new TestRandom(4);
    for (const [transA, transB] of TRANSPOSES) {
      for (let trial = 0; trial < 4; trial++) {
        check(rng, {
          transA, transB, m: rng.int(1, 30), n: rng.int(1, 45), k: rng.int(1, 50),
          alpha: 0.5, beta: trial % 2 ? 0 : 1, bias: trial > 1,
          padA: rng.int(1, 7), padB: rng.int(1, 7), padC: rng.int(1, 7),
        });
      }
    }
  });

  it('unaligned pointers (v128 loads and stores 4 bytes off a 16-byte boundary)', () => {
    const rng = new TestRandom(5);
    for (const [transA, transB] of TRANSPOSES) {
      check(rng, { transA, transB, m: 13, n: 27, k: 19, alpha: 1, beta: 0.5, bias: true, padC: 1, misalign: true });
    }
  });

  it('large magnitudes (values up to 1e4)', () => {
    const rng = new TestRandom(6);
    for (const [transA, transB] of TRANSPOSES) {
      check(rng, { transA, transB, m: 21, n: 35, k: 70, alpha: -1.25, beta: 0.5, bias: true, scale: 1e4 });
    }
  });

  it('shapes larger than one cache block (k > 256, n > 32, m not a multiple of 5), random everything', () => {
    const rng = new TestRandom(7);
    const shapes = [[300, 300, 300], [257, 130, 259], [64, 64, 64], [37, 70, 513], [130, 257, 33]];
    shapes.forEach(([m, n, k], i) => {
      const [transA, transB] = TRANSPOSES[i % 4];
      check(rng, {
        transA, transB, m, n, k, alpha: [1, 0.5, -2][i % 3], beta: [0, 1, 0.5][i % 3], bias: i % 2 === 0,
        padA: i, padB: 2 * i, padC: 3 * i, scale: i === 1 ? 1e4 : 1,
      });
    });
  });
});
