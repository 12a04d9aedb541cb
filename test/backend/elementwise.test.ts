// Elementwise kernels: wasm and js twins against plain float64 oracles and against each other.
// The arithmetic kernels are one correctly rounded f32 operation per step, so the oracle
// Math.fround(float64 result) must match BOTH backends bit for bit; the reductions are held
// to the float64 summation error bound.
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/backend/index';
import {
  createBothBackends, expectSameF32, LENGTHS, runKernel, TestRandom, type Buffers,
} from './harness';

const backends = await createBothBackends();
const fround = Math.fround;

/** Runs the same call on every backend (aligned and unaligned); returns the runs by backend. */
function onBoth<R>(buffers: Buffers, call: (k: Kernels, p: Record<string, number>) => R) {
  return backends.flatMap((b) =>
    [false, true].map((misalign) => ({ name: `${b.name}${misalign ? ' (unaligned)' : ''}`, ...runKernel(b, buffers, call, { misalign }) })),
  );
}

function expectEveryRun(runs: ReturnType<typeof onBoth>, buffer: string, expected: ArrayLike<number>, what: string) {
  for (const run of runs) expectSameF32(run.out[buffer], expected, `${what} on ${run.name}`);
}

/** Inputs with the awkward values mixed in: ±0, subnormals, huge, ±Inf, NaN. */
function awkward(rng: TestRandom, n: number): Float32Array {
  const special = [0, -0, 1e-42, -3e-39, 3.4e38, -3.4e38, Infinity, -Infinity, NaN, 1, -1];
  const a = rng.f32Wide(n, 20);
  for (let i = 0; i < n; i++) if (rng.next() < 0.1) a[i] = special[rng.int(0, special.length - 1)];
  return a;
}

describe('elementwise kernels: wasm and js against float32 oracles', () => {
  const rng = new TestRandom(20261124);

  it('fill writes value (rounded to f32) and nothing beyond n', () => {
    for (const n of LENGTHS) {
      const runs = onBoth({ out: rng.f32(n) }, (k, p) => k.fill(p.out, n, 0.1));
      expectEveryRun(runs, 'out', new Float32Array(n).fill(fround(0.1)), `fill n=${n}`);
    }
  });

  it('copy copies n floats, with memmove semantics when ranges overlap', () => {
    for (const n of LENGTHS) {
      const x = awkward(rng, n);
      expectEveryRun(onBoth({ out: rng.f32(n), x }, (k, p) => k.copy(p.out, p.x, n)), 'out', x, `copy n=${n}`);
    }
    const n = 1003;
    const buf = rng.f32(n + 5);
    // forward overlap: dst above src by 5 floats; backward overlap: dst below src
    const up = Float32Array.from(buf);
    up.set(buf.subarray(0, n), 5);
    expectEveryRun(onBoth({ buf }, (k, p) => k.copy(p.buf + 20, p.buf, n)), 'buf', up, 'copy overlapping upwards');
    const down = Float32Array.from(buf);
    down.set(buf.subarray(5, 5 + n), 0);
    expectEveryRun(onBoth({ buf }, (k, p) => k.copy(p.buf, p.buf + 20, n)), 'buf', down, 'copy overlapping downwards');
  });

  const binary: [string, 'add' | 'sub' | 'mul', (a: number, b: number) => number][] = [
    ['add', 'add', (a, b) => a + b],
    ['sub', 'sub', (a, b) => a - b],
    ['mul', 'mul', (a, b) => a * b],
  ];
  for (const [label, name, op] of binary) {
    it(`${label}: out = a ${label} b, also in place (out = a, out = b, all three the same)`, () => {
      for (const n of LENGTHS) {
        const a = awkward(rng, n), b = awkward(rng, n);
        const expected = a.map((v, i) => fround(op(v, b[i])));
        const kernel = (k: Kernels) => k[name] as (out: number, a: number, b: number, n: number) => void;
        expectEveryRun(onBoth({ out: rng.f32(n), a, b }, (k, p) => kernel(k)(p.out, p.a, p.b, n)), 'out', expected, `${label} n=${n}`);
        expectEveryRun(onBoth({ a, b }, (k, p) => kernel(k)(p.a, p.a, p.b, n)), 'a', expected, `${label} out=a n=${n}`);
        expectEveryRun(onBoth({ a, b }, (k, p) => kernel(k)(p.b, p.a, p.b, n)), 'b', expected, `${label} out=b n=${n}`);
        const self = a.map((v) => fround(op(v, v)));
        expectEveryRun(onBoth({ a }, (k, p) => kernel(k)(p.a, p.a, p.a, n)), 'a', self, `${label} out=a=b n=${n}`);
      }
    });
  }

  it('scale: out = alpha·x, alpha rounded to f32 first, also in place', () => {
    for (const n of LENGTHS) {
      const x = awkward(rng, n);
      const alpha = -0.3;
      const expected = x.map((v) => fround(fround(alpha) * v));
      expectEveryRun(onBoth({ out: rng.f32(n), x }, (k, p) => k.scale(p.out, p.x, alpha, n)), 'out', expected, `scale n=${n}`);
      expectEveryRun(onBoth({ x }, (k, p) => k.scale(p.x, p.x, alpha, n)), 'x', expected, `scale in place n=${n}`);
    }
  });

  it('axpy: y += alpha·x with the product rounded to f32, and y = x aliasing', () => {
    for (const n of LENGTHS) {
      const x = rng.f32Wide(n, 6), y = rng.f32Wide(n, 6);
      const alpha = 1.7e-3;
      const a = fround(alpha);
      const expected = y.map((v, i) => fround(v + fround(a * x[i])));
      expectEveryRun(onBoth({ y, x }, (k, p) => k.axpy(p.y, alpha, p.x, n)), 'y', expected, `axpy n=${n}`);
      const twice = x.map((v) => fround(v + fround(a * v)));
      expectEveryRun(onBoth({ x }, (k, p) => k.axpy(p.x, alpha, p.x, n)), 'x', twice, `axpy y=x n=${n}`);
    }
  });

  it('mulAccumulate: out += a·b', () => {
    for (const n of LENGTHS) {
      const out = awkward(rng, n), a = awkward(rng, n), b = awkward(rng, n);
      const expected = out.map((v, i) => fround(v + fround(a[i] * b[i])));
      expectEveryRun(onBoth({ out, a, b }, (k, p) => k.mulAccumulate(p.out, p.a, p.b, n)), 'out', expected, `mulAccumulate n=${n}`);
    }
  });

  it('addRowBroadcast: out[i,j] = x[i,j] + row[j], also in place', () => {
    for (const [rows, cols] of [[0, 5], [5, 0], [1, 1], [3, 5], [7, 4], [13, 17], [64, 129], [2, 1003]]) {
      const x = awkward(rng, rows * cols), row = awkward(rng, cols);
      const expected = x.map((v, idx) => fround(v + row[idx % cols]));
      const what = `addRowBroadcast ${rows}x${cols}`;
      expectEveryRun(onBoth({ out: rng.f32(rows * cols), x, row }, (k, p) => k.addRowBroadcast(p.out, p.x, p.row, rows, cols)), 'out', expected, what);
      expectEveryRun(onBoth({ x, row }, (k, p) => k.addRowBroadcast(p.x, p.x, p.row, rows, cols)), 'x', expected, `${what} in place`);
    }
  });

  it('sumRowsAccumulate: out[j] += Σ_i x[i,j], rows added in order', () => {
    for (const [rows, cols] of [[0, 5], [5, 0], [1, 1], [3, 5], [7, 4], [13, 17], [500, 3], [64, 129]]) {
      const x = rng.f32(rows * cols), out = rng.f32(cols);
      // the kernel's exact f32 semantics: each row is added into out in turn
      const sequential = Float32Array.from(out);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sequential[j] = fround(sequential[j] + x[i * cols + j]);
      const runs = onBoth({ out, x }, (k, p) => k.sumRowsAccumulate(p.out, p.x, rows, cols));
      expectEveryRun(runs, 'out', sequential, `sumRowsAccumulate ${rows}x${cols}`);
      // and it is the float64 column sum within f32 accumulation error (rows + 1 roundings)
      for (let j = 0; j < cols; j++) {
        let exact = out[j], magnitude = Math.abs(out[j]);
        for (let i = 0; i < rows; i++) { exact += x[i * cols + j]; magnitude += Math.abs(x[i * cols + j]); }
        expect(Math.abs(runs[0].out.out[j] - exact)).toBeLessThanOrEqual((rows + 1) * 2 ** -24 * magnitude);
      }
    }
  });

  /** Σ in float64 by a different route than the kernels: compensated (Neumaier) summation. */
  function referenceSum(values: ArrayLike<number>, square: boolean): { value: number; magnitude: number } {
    let s = 0, c = 0, magnitude = 0;
    for (let i = 0; i < values.length; i++) {
      const v = square ? values[i] * values[i] : values[i];
      magnitude += Math.abs(v);
      const t = s + v;
      c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
      s = t;
    }
    return { value: s + c, magnitude };
  }

  for (const square of [false, true]) {
    const name = square ? 'sumSquares' : 'sum';
    it(`${name} returns the float64 ${square ? 'sum of squares' : 'sum'} (magnitudes to 1e30, cancellation)`, () => {
      for (const n of [...LENGTHS, 100_003]) {
        for (const x of [rng.f32(n), rng.f32Wide(n, 30)]) {
          if (n > 2) { x[1] = 1e30; x[2] = -1e30; }
          const ref = referenceSum(x, square);
          for (const b of backends) {
            const { result } = runKernel(b, { x }, (k, p) => k[name](p.x, n));
            // float64 summation of n terms: error ≤ (n − 1)·2^-53·Σ|terms|
            expect(Math.abs(result - ref.value), `${name} n=${n} on ${b.name}`).toBeLessThanOrEqual(
              Math.max(1, n) * 2 ** -53 * ref.magnitude,
            );
          }
        }
      }
    });
  }

  it('sumSquares does not overflow where float32 would (1e30² = 1e60)', () => {
    const x = new Float32Array(9).fill(1e30);
    for (const b of backends) {
      const { result } = runKernel(b, { x }, (k, p) => k.sumSquares(p.x, 9));
      expect(result / (9 * fround(1e30) ** 2)).toBeCloseTo(1, 14);
    }
  });

  it('sum and sumSquares of NaN / Inf inputs are NaN / Inf like the float64 sum', () => {
    for (const b of backends) {
      for (const n of [3, 4, 9]) {
        const withInf = rng.f32(n);
        withInf[n - 1] = Infinity;
        expect(runKernel(b, { x: withInf }, (k, p) => k.sum(p.x, n)).result).toBe(Infinity);
        expect(runKernel(b, { x: withInf }, (k, p) => k.sumSquares(p.x, n)).result).toBe(Infinity);
        const withNaN = rng.f32(n);
        withNaN[0] = NaN;
        expect(runKernel(b, { x: withNaN }, (k, p) => k.sum(p.x, n)).result).toBeNaN();
        expect(runKernel(b, { x: withNaN }, (k, p) => k.sumSquares(p.x, n)).result).toBeNaN();
      }
    }
  });

  it('maxAbs is max |x| (0 when empty, NaN when any NaN, Inf when any Inf)', () => {
    for (const n of LENGTHS) {
      const x = rng.f32Wide(n, 30);
      const ref = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (const b of backends) {
        expect(runKernel(b, { x }, (k, p) => k.maxAbs(p.x, n)).result, `maxAbs n=${n} on ${b.name}`).toBe(ref);
      }
      if (n === 0) continue;
      // the extreme value in every position class: first, vector body, tail
      for (const at of new Set([0, n >> 1, n - 1])) {
        for (const special of [NaN, -Infinity, -3.4e38]) {
          const y = rng.f32(n);
          y[at] = special;
          const expected = Math.abs(fround(special));
          for (const b of backends) {
            expect(runKernel(b, { y }, (k, p) => k.maxAbs(p.y, n)).result, `maxAbs ${special} at ${at}/${n} on ${b.name}`).toBe(expected);
          }
        }
      }
    }
  });

  it('clampInPlace clamps to [lo, hi]; NaN stays NaN, ±Inf clamp', () => {
    for (const n of LENGTHS) {
      const x = awkward(rng, n);
      const lo = -2.5, hi = 1e3;
      const expected = x.map((v) => Math.min(Math.max(v, lo), hi));
      expectEveryRun(onBoth({ x }, (k, p) => k.clampInPlace(p.x, n, lo, hi)), 'x', expected, `clampInPlace n=${n}`);
    }
  });

  it('countNonFinite counts NaN and ±Inf only (not FLT_MAX, not subnormals)', () => {
    for (const n of LENGTHS) {
      const x = rng.f32(n);
      const specials = [NaN, Infinity, -Infinity, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0];
      for (let i = 0; i < n; i++) if (rng.next() < 0.3) x[i] = specials[rng.int(0, specials.length - 1)];
      const expected = Array.from(x).filter((v) => !Number.isFinite(v)).length;
      for (const b of backends) {
        expect(runKernel(b, { x }, (k, p) => k.countNonFinite(p.x, n)).result, `countNonFinite n=${n} on ${b.name}`).toBe(expected);
      }
    }
    // NaNs with other payloads and the negative quiet NaN are NaN too
    const raw = new Uint32Array([0x7f800001, 0xffc00000, 0x7fffffff, 0x7f7fffff, 0x00000001]);
    const x = new Float32Array(raw.buffer);
    for (const b of backends) {
      const { heap, kernels } = b;
      heap.resetStep();
      const p = heap.allocStep(raw.length * 4);
      heap.u32.set(raw, p >>> 2);
      expect(kernels.countNonFinite(p, x.length), `payload NaNs on ${b.name}`).toBe(3);
      heap.resetStep();
    }
  });

  it('countNonZeroBits counts every value whose bits are not +0 (−0, subnormals and NaN count)', () => {
    for (const n of LENGTHS) {
      const x = awkward(rng, n);
      for (let i = 0; i < n; i++) if (rng.next() < 0.5) x[i] = 0;
      const bits = new Int32Array(x.buffer, x.byteOffset, n);
      const expected = Array.from(bits).filter((w) => w !== 0).length;
      for (const run of onBoth({ x }, (k, p) => k.countNonZeroBits(p.x, n))) expect(run.result, `countNonZeroBits n=${n} on ${run.name}`).toBe(expected);
    }
  });

  it('copyIfChanged copies and returns 1 exactly when some bit pattern differs (−0 against +0, NaN against NaN payloads)', () => {
    for (const n of LENGTHS.filter((n) => n > 0)) {
      const src = awkward(rng, n);
      const same = src.slice();
      // one differing word anywhere, the tail included; −0 against +0 is a difference of bits
      for (const at of [0, n - 1, Math.floor(n / 2)]) {
        const dst = src.slice();
        dst[at] = Object.is(src[at], 0) ? -0 : 0;
        const runs = onBoth({ dst, src }, (k, p) => k.copyIfChanged(p.dst, p.src, n));
        for (const run of runs) {
          expect(run.result, `copyIfChanged n=${n} at ${at} on ${run.name}`).toBe(1);
          expect(new Int32Array(run.out.dst.buffer, run.out.dst.byteOffset, n)).toEqual(new Int32Array(src.buffer, src.byteOffset, n));
        }
      }
      for (const run of onBoth({ dst: same, src }, (k, p) => k.copyIfChanged(p.dst, p.src, n))) expect(run.result, `copyIfChanged n=${n} unchanged on ${run.name}`).toBe(0);
    }
    for (const run of onBoth({ dst: new Float32Array(0), src: new Float32Array(0) }, (k, p) => k.copyIfChanged(p.dst, p.src, 0))) expect(run.result).toBe(0);
  });

  it('copyBlock writes a column block of a wider matrix (concat) and reads one back (split)', () => {
    for (const [rows, colsA, colsB] of [[0, 3, 3], [1, 1, 1], [3, 5, 2], [7, 4, 13], [33, 17, 64]]) {
      const a = rng.f32(rows * colsA), b = rng.f32(rows * colsB);
      const width = colsA + colsB;
      const cat = new Float32Array(rows * width);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < colsA; j++) cat[r * width + j] = a[r * colsA + j];
        for (let j = 0; j < colsB; j++) cat[r * width + colsA + j] = b[r * colsB + j];
      }
      const what = `copyBlock ${rows}x(${colsA}+${colsB})`;
      const runs = onBoth({ cat: new Float32Array(rows * width), a, b }, (k, p) => {
        k.copyBlock(p.cat, width, p.a, colsA, rows, colsA);
        k.copyBlock(p.cat + colsA * 4, width, p.b, colsB, rows, colsB);
      });
      expectEveryRun(runs, 'cat', cat, `${what} concat`);
      const split = onBoth({ cat, part: new Float32Array(rows * colsB) }, (k, p) => k.copyBlock(p.part, colsB, p.cat + colsA * 4, width, rows, colsB));
      expectEveryRun(split, 'part', b, `${what} split`);
    }
  });

  it('addBlock adds a column block into a wider matrix and leaves the other columns alone', () => {
    for (const [rows, cols, width, at] of [[0, 3, 5, 0], [1, 1, 1, 0], [3, 5, 9, 2], [7, 4, 11, 7], [33, 17, 70, 50]]) {
      const dst = rng.f32(rows * width), src = rng.f32(rows * cols);
      const expected = Float32Array.from(dst);
      for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) expected[r * width + at + j] = fround(expected[r * width + at + j] + src[r * cols + j]);
      const runs = onBoth({ dst, src }, (k, p) => k.addBlock(p.dst + at * 4, width, p.src, cols, rows, cols));
      expectEveryRun(runs, 'dst', expected, `addBlock ${rows}x${cols} into width ${width} at ${at}`);
    }
  });

  it('negative counts do nothing', () => {
    const x = rng.f32(8);
    const runs = onBoth({ x, y: rng.f32(8) }, (k, p) => {
      k.fill(p.x, -3, 1);
      k.copy(p.x, p.y, -1);
      k.add(p.x, p.y, p.y, -4);
      k.axpy(p.x, 2, p.y, -8);
      k.addRowBroadcast(p.x, p.y, p.y, -1, 4);
      k.addBlock(p.x, 4, p.y, 4, 2, -4);
      return [k.sum(p.x, -2), k.sumSquares(p.x, -2), k.maxAbs(p.x, -2), k.countNonFinite(p.x, -2)];
    });
    expectEveryRun(runs, 'x', x, 'negative counts');
    for (const run of runs) expect(run.result).toEqual([0, 0, 0, 0]);
  });
});
