// Test helpers: seeded O(1) data and plain float64 matrix arithmetic for reference gradients.
import { ops, Parameter, type Tape, type Tensor, type TensorLike } from '../../src/autograd/index';
import type { Backend } from '../../src/backend/index';
import { Prng } from '../../src/util/prng';

export const BACKENDS = ['js', 'wasm'] as const;

/** n values uniform in ±[minAbs, maxAbs] (away from 0 so kinked ops are not probed at the kink). */
export function randomValues(prng: Prng, n: number, maxAbs = 1, minAbs = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const magnitude = minAbs + (maxAbs - minAbs) * prng.nextFloat();
    out[i] = prng.nextFloat() < 0.5 ? -magnitude : magnitude;
  }
  return out;
}

/** A row-major float64 matrix. */
export interface M64 {
  rows: number;
  cols: number;
  data: Float64Array;
}

export const m64 = (data: ArrayLike<number>, rows: number, cols: number): M64 => ({ rows, cols, data: Float64Array.from(data) });

export function transpose(a: M64): M64 {
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j];
  return { rows: a.cols, cols: a.rows, data: out };
}

export function matmul64(a: M64, b: M64): M64 {
  if (a.cols !== b.rows) throw new Error(`matmul64: ${a.rows}×${a.cols} · ${b.rows}×${b.cols}`);
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let p = 0; p < a.cols; p++) s += a.data[i * a.cols + p] * b.data[p * b.cols + j];
      out[i * b.cols + j] = s;
    }
  }
  return { rows: a.rows, cols: b.cols, data: out };
}

/** Σ over rows: a 1×cols row. */
export function columnSums(a: M64): Float64Array {
  const out = new Float64Array(a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j] += a.data[i * a.cols + j];
  return out;
}

export const map64 = (x: ArrayLike<number>, f: (v: number, i: number) => number): Float64Array => Float64Array.from(x, f);

/** A small tanh MLP (linear → tanh → ... → linear) whose weights are Parameters. */
export class Mlp {
  readonly params: Parameter[] = [];
  constructor(backend: Backend, sizes: readonly number[], seed: number | string) {
    const prng = new Prng(seed);
    for (let l = 0; l + 1 < sizes.length; l++) {
      // Xavier-uniform: keeps tanh pre-activations O(1)
      const bound = Math.sqrt(6 / (sizes[l] + sizes[l + 1]));
      this.params.push(new Parameter(backend, [sizes[l], sizes[l + 1]], `w${l}`, randomValues(prng, sizes[l] * sizes[l + 1], bound)));
      this.params.push(new Parameter(backend, [sizes[l + 1]], `b${l}`));
    }
  }
  forward(tape: Tape, x: TensorLike): Tensor {
    let h = x;
    for (let l = 0; l < this.params.length; l += 2) {
      const z = ops.linear(tape, h, this.params[l], this.params[l + 1]);
      h = l + 2 < this.params.length ? ops.tanh(tape, z) : z;
    }
    return h as Tensor;
  }
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }
}
