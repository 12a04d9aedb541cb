import { ShapeError } from '../parameter';
import type { Tape } from '../tape';
import type { Tensor, TensorLike } from '../tensor';

/** 1×1 y = Σ x (accumulated in float64 by the kernel). */
export function sum(tape: Tape, x: TensorLike): Tensor {
  return reduceAll(tape, x, 'sum', 1);
}

/** 1×1 y = (Σ x) / size. */
export function mean(tape: Tape, x: TensorLike): Tensor {
  if (x.size === 0) throw new ShapeError('mean: the input is empty');
  return reduceAll(tape, x, 'mean', 1 / x.size);
}

function reduceAll(tape: Tape, x: TensorLike, op: string, factor: number): Tensor {
  tape.check(x, op);
  const y = tape.result(1, 1, x.requiresGrad);
  tape.heap.f32[y.ptr >>> 2] = tape.kernels.sum(x.ptr, x.size) * factor;
  if (y.requiresGrad) tape.record(y, () => addToGrad(tape, x, tape.heap.f32[y.gradPtr >>> 2] * factor));
  return y;
}

/** dx += c in every element (a broadcast of a scalar gradient). */
export function addToGrad(tape: Tape, x: TensorLike, c: number): void {
  const k = tape.kernels;
  const filled = tape.heap.allocStep(x.size * 4);
  k.fill(filled, x.size, c);
  k.axpy(tape.grad(x), 1, filled, x.size);
}
