import type { Backend } from '../backend/index';
import { Prng } from '../util/prng';
import { AutogradError } from './tensor';
import { Parameter } from './parameter';
import { variable } from './ops/source';
import { Tape } from './tape';
import type { Tensor, TensorLike } from './tensor';

export interface GradCheckInput {
  rows: number;
  cols: number;
  /** row-major values; keep them O(1) and away from kinks (relu at 0) by more than 2·step */
  data: ArrayLike<number>;
  /** a Parameter (persistent gradient) instead of a step-arena variable */
  parameter?: boolean;
}

export interface GradCheckOptions {
  /**
   * Central-difference step, relative: h = step · max(1, |x|). Default 3e-2: with
   * Richardson extrapolation the truncation error of smooth O(1) ops stays near 1e-5 while
   * float32 noise (≈ 1e-7·|y| / h) stays small. Ops linear in each input have no truncation
   * error at all; a larger step only reduces their noise.
   */
  step?: number;
  /** Richardson extrapolation of two central differences (h and 2h), error O(h⁴). Default true. */
  richardson?: boolean;
  /** skip finite differences entirely (when only a float64 reference is trusted). Default false. */
  skipFiniteDifferences?: boolean;
  /** denominator floor of the element-wise relative error. Default 1e-3. */
  floor?: number;
  /** seed of the output weighting and of the pre-filled gradients. Default 1. */
  seed?: number;
  /**
   * Float64 reference of the gradient: for L = Σ weights ⊙ f(inputs), return dL/d input_i
   * for every input (same order), written plainly in float64.
   */
  referenceGradient?: (inputs: Float64Array[], weights: Float64Array) => Float64Array[];
  /** Float64 reference of the forward output f(inputs), row-major. */
  referenceForward?: (inputs: Float64Array[]) => ArrayLike<number>;
}

export interface GradientComparison {
  /** max over elements of |a − b| / max(|a|, |b|, floor) */
  maxRelError: number;
  maxAbsError: number;
}

export interface GradCheckResult {
  /** worst relative error over every comparison made */
  maxRelError: number;
  /** per input: analytic (tape) vs central differences; null when skipped */
  finiteDifference: GradientComparison[] | null;
  /** per input: analytic vs the float64 reference gradient; null when none was given */
  reference: GradientComparison[] | null;
  /** forward output vs the float64 reference forward; null when none was given */
  forward: GradientComparison | null;
  analytic: Float64Array[];
  numeric: Float64Array[] | null;
}

/**
 * Checks the gradients `f` produces on the tape against finite differences (and, if given,
 * a float64 reference).
 *
 * The scalar under test is L = Σ_i w_i · y_i with y = f(inputs) and fixed random weights w
 * (float32 values, so the seed the tape sees and the host's float64 sum use the same numbers).
 * Analytic: backwardWithGradient(y, w), reading the input gradients. Before backward every
 * input's gradient is pre-filled with random values that are subtracted afterwards, so a
 * backward that overwrites instead of accumulating (+=) is caught.
 * Numeric: L evaluated in float64 on the host from the float32 outputs, at x ± h where the
 * perturbed input is rounded to float32 and the REAL difference (x+h) − (x−h) is the divisor;
 * Richardson-extrapolated over h and 2h. Outputs independent of the perturbed element are
 * recomputed bit-identically, so only the dependent ones contribute float32 noise.
 *
 * The check resets the backend's step arena (it owns a tape for the duration).
 */
export function gradCheck(
  backend: Backend,
  inputs: readonly GradCheckInput[],
  f: (tape: Tape, xs: TensorLike[]) => Tensor,
  options: GradCheckOptions = {},
): GradCheckResult {
  const step = options.step ?? 3e-2;
  const richardson = options.richardson ?? true;
  const floor = options.floor ?? 1e-3;
  const prng = new Prng(options.seed ?? 1);
  const tape = new Tape(backend);
  const hostData = inputs.map((input) => Float32Array.from(input.data));
  const params = inputs.map((input, i) =>
    input.parameter ? new Parameter(backend, [input.rows, input.cols], `gradCheck input ${i}`) : null,
  );

  const build = (): { xs: TensorLike[]; y: Tensor } => {
    tape.reset();
    const xs = inputs.map((input, i): TensorLike => {
      const p = params[i];
      if (p !== null) {
        p.data.set(hostData[i]);
        return p;
      }
      return variable(tape, hostData[i], input.rows, input.cols);
    });
    return { xs, y: f(tape, xs) };
  };

  // analytic gradient, through the tape
  const first = build();
  const outputSize = first.y.size;
  const weights = new Float32Array(outputSize);
  for (let i = 0; i < outputSize; i++) weights[i] = 2 * prng.nextFloat() - 1;
  const weights64 = Float64Array.from(weights);
  const prefill = first.xs.map((x) => {
    const g0 = new Float32Array(x.size);
    for (let j = 0; j < g0.length; j++) g0[j] = prng.nextFloat() - 0.5;
    const gradPtr = tape.grad(x); // may grow the heap: take the view after it
    tape.heap.f32.set(g0, gradPtr >>> 2);
    return g0;
  });
  if (!first.y.requiresGrad) throw new AutogradError('gradCheck: the output does not depend on any input');
  const outputValues = tape.values(first.y);
  tape.backwardWithGradient(first.y, weights);
  const analytic = first.xs.map((x, i) => {
    const g = tape.gradValues(x);
    const out = new Float64Array(g.length);
    for (let j = 0; j < g.length; j++) out[j] = g[j] - prefill[i][j];
    return out;
  });

  const lossAt = (): number => {
    const { y } = build();
    const base = y.ptr >>> 2;
    const f32 = tape.heap.f32;
    let sum = 0;
    for (let i = 0; i < outputSize; i++) sum += weights64[i] * f32[base + i];
    return sum;
  };
  // central difference with the float32-rounded perturbation as the divisor
  const central = (data: Float32Array, j: number, h: number): number => {
    const original = data[j];
    data[j] = original + h;
    const up = data[j];
    const lossUp = lossAt();
    data[j] = original - h;
    const down = data[j];
    const lossDown = lossAt();
    data[j] = original;
    return (lossUp - lossDown) / (up - down);
  };

  let numeric: Float64Array[] | null = null;
  let finiteDifference: GradientComparison[] | null = null;
  if (!options.skipFiniteDifferences) {
    numeric = hostData.map((data) => {
      const out = new Float64Array(data.length);
      for (let j = 0; j < data.length; j++) {
        const h = step * Math.max(1, Math.abs(data[j]));
        const d1 = central(data, j, h);
        out[j] = richardson ? d1 + (d1 - central(data, j, 2 * h)) / 3 : d1;
      }
      return out;
    });
    finiteDifference = analytic.map((a, i) => compare(a, numeric![i], floor));
  }

  let reference: GradientComparison[] | null = null;
  let forward: GradientComparison | null = null;
  const inputs64 = hostData.map((d) => Float64Array.from(d));
  if (options.referenceGradient) {
    const expected = options.referenceGradient(inputs64, weights64);
    if (expected.length !== analytic.length) throw new AutogradError(`gradCheck: the reference gave ${expected.length} gradients for ${analytic.length} inputs`);
    reference = analytic.map((a, i) => compare(a, expected[i], floor));
  }
  if (options.referenceForward) forward = compare(outputValues, options.referenceForward(inputs64), floor);

  tape.reset();
  const all = [...(finiteDifference ?? []), ...(reference ?? []), ...(forward ? [forward] : [])];
  return {
    maxRelError: all.reduce((m, c) => Math.max(m, c.maxRelError), 0),
    finiteDifference,
    reference,
    forward,
    analytic,
    numeric,
  };
}

/** Element-wise relative error with a floor in the denominator; a length mismatch is an error. */
export function compare(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): GradientComparison {
  if (a.length !== b.length) throw new AutogradError(`gradCheck: comparing ${a.length} values with ${b.length}`);
  let maxRelError = 0;
  let maxAbsError = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    const rel = diff / Math.max(Math.abs(a[i]), Math.abs(b[i]), floor);
    // NaN anywhere must fail the check, so it propagates as Infinity
    maxRelError = Math.max(maxRelError, Number.isNaN(rel) ? Infinity : rel);
    maxAbsError = Math.max(maxAbsError, Number.isNaN(diff) ? Infinity : diff);
  }
  return { maxRelError, maxAbsError };
}
