/**
 * Two small generic tape ops the level-batched encoder needs and the autograd catalogue does
 * not have: a free reshape and a row-block write into a preallocated matrix. Both are plain
 * views/copies with kernels, so they work identically on every backend.
 */
import { ShapeError, Tensor, type Tape } from '../autograd/index';

/**
 * The same row-major memory seen as rows × cols (no copy). The view shares the gradient
 * buffer of `x` (a VIEW, ../autograd/tensor.ts: allocated when backward first needs either),
 * so gradients written into the view are x's gradients and x's own backward sees them.
 * Only step-arena tensors can be viewed.
 */
export function reshape(tape: Tape, x: Tensor, rows: number, cols: number): Tensor {
  tape.check(x, 'reshape');
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows * cols !== x.size) {
    throw new ShapeError(`reshape: ${x.rows}×${x.cols} cannot be viewed as ${rows}×${cols}`);
  }
  return new Tensor(x.ptr, rows, cols, x.requiresGrad, tape.epoch, x);
}

/**
 * A rows × cols matrix whose row blocks are filled later by `writeRows` (node states of a
 * whole batch, one block per plan group). Every row must be written before it is read.
 */
export function blockMatrix(tape: Tape, rows: number, cols: number): Tensor {
  return tape.result(rows, cols, true);
}

/**
 * target[start : start + block.rows, :] = block. Backward: dblock += dtarget[those rows].
 * Correct on the tape because every reader of those rows (a gather, recorded later) runs
 * its backward before this one, so dtarget's rows are complete when they are passed on.
 */
export function writeRows(tape: Tape, target: Tensor, start: number, block: Tensor): void {
  tape.check(target, 'writeRows');
  tape.check(block, 'writeRows');
  if (block.cols !== target.cols || !Number.isInteger(start) || start < 0 || start + block.rows > target.rows) {
    throw new ShapeError(`writeRows: a ${block.rows}×${block.cols} block does not fit at row ${start} of ${target.rows}×${target.cols}`);
  }
  const k = tape.kernels;
  const offset = start * target.cols * 4;
  k.copy(target.ptr + offset, block.ptr, block.size);
  if (block.requiresGrad) tape.record(target, () => k.axpy(tape.grad(block), 1, target.gradPtr + offset, block.size));
}

/**
 * A pointwise function of each row's `arity` inputs with `outputs` results, e.g. the value
 * stream's primitive units (v1·v2, v1/v2, sin v, …). `evaluate(x, y, jacobian)` fills
 * y[j] and jacobian[j·arity + s] = ∂y_j/∂x_s for one row, in float64.
 */
export interface RowFunction {
  arity: number;
  outputs: number;
  evaluate(x: Float64Array, y: Float64Array, jacobian: Float64Array): void;
}

/**
 * y[r, :] = f(x[r, :]) for an n × arity input, computed on the HOST over the heap (the same
 * code on every backend). Meant for narrow scalar streams (a few columns, O(n) work), not
 * for hidden-width data, which stays in kernels. Non-finite results are an error of f; f
 * guards its own domain. Backward: dx[r, s] += Σ_j dy[r, j] · jacobian[r, j, s].
 */
export function rowMap(tape: Tape, x: Tensor, f: RowFunction): Tensor {
  tape.check(x, 'rowMap');
  if (x.cols !== f.arity) throw new ShapeError(`rowMap: input is ${x.rows}×${x.cols}, the function takes ${f.arity} columns`);
  const { arity, outputs } = f;
  const n = x.rows;
  const y = tape.result(n, outputs, x.requiresGrad);
  const jacobian = new Float32Array(x.requiresGrad ? n * outputs * arity : 0);
  const xs = new Float64Array(arity);
  const ys = new Float64Array(outputs);
  const js = new Float64Array(outputs * arity);
  const f32 = tape.heap.f32;
  const xBase = x.ptr >>> 2;
  const yBase = y.ptr >>> 2;
  for (let r = 0; r < n; r++) {
    for (let s = 0; s < arity; s++) xs[s] = f32[xBase + r * arity + s];
    f.evaluate(xs, ys, js);
    for (let j = 0; j < outputs; j++) f32[yBase + r * outputs + j] = ys[j];
    if (x.requiresGrad) jacobian.set(js, r * outputs * arity);
  }
  if (y.requiresGrad) {
    tape.record(y, () => {
      const dx = tape.grad(x) >>> 2; // may grow the heap: take the view after it
      const heap = tape.heap.f32;
      const dy = y.gradPtr >>> 2;
      for (let r = 0; r < n; r++) {
        for (let s = 0; s < arity; s++) {
          let sum = 0;
          for (let j = 0; j < outputs; j++) sum += heap[dy + r * outputs + j] * jacobian[(r * outputs + j) * arity + s];
          heap[dx + r * arity + s] += sum;
        }
      }
    });
  }
  return y;
}
