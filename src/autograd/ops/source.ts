import { ShapeError } from '../parameter';
import type { Tape } from '../tape';
import { Tensor, type TensorLike } from '../tensor';

function leaf(tape: Tape, op: string, data: ArrayLike<number>, rows: number, cols: number, requiresGrad: boolean): Tensor {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || data.length !== rows * cols) {
    throw new ShapeError(`${op}: ${data.length} values do not make a ${rows}×${cols} matrix`);
  }
  const t = tape.result(rows, cols, requiresGrad);
  tape.heap.f32.set(data, t.ptr >>> 2);
  return t;
}

/** Host data copied into the step arena, row-major; no gradient flows into it. */
export function constant(tape: Tape, data: ArrayLike<number>, rows: number, cols: number): Tensor {
  return leaf(tape, 'constant', data, rows, cols, false);
}

/**
 * Host data copied into the step arena as a leaf that DOES receive a gradient (read it with
 * tape.gradValues after backward): inputs whose sensitivity you want, gradient checks.
 */
export function variable(tape: Tape, data: ArrayLike<number>, rows: number, cols: number): Tensor {
  return leaf(tape, 'variable', data, rows, cols, true);
}

/**
 * The same values as `x`, cut off from the graph: no gradient flows back through it (a
 * stop-gradient). No copy: it shares x's memory, so it is valid as long as x is.
 */
export function detach(tape: Tape, x: TensorLike): Tensor {
  tape.check(x, 'detach');
  return new Tensor(x.ptr, x.rows, x.cols, false, tape.epoch);
}
