/**
 * Two small generic tape ops the level-batched encoder needs and the autograd catalogue does
 * not have: a free reshape and a row-block write into a preallocated matrix. Both are plain
 * views/copies with kernels, so they work identically on every backend.
 */
import { ShapeError, Tensor, type Tape } from '../autograd/index';

/**
 * The same row-major memory seen as rows × cols (no copy). The view shares the gradient
 * buffer of `x` (allocated here, zeroed), so gradients written into the view are x's
 * gradients and x's own backward sees them. Only step-arena tensors can be viewed.
 */
export function reshape(tape: Tape, x: Tensor, rows: number, cols: number): Tensor {
  tape.check(x, 'reshape');
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows * cols !== x.size) {
    throw new ShapeError(`reshape: ${x.rows}×${x.cols} cannot be viewed as ${rows}×${cols}`);
  }
  const view = new Tensor(x.ptr, rows, cols, x.requiresGrad, tape.epoch);
  if (x.requiresGrad) view.gradPtr = tape.grad(x);
  return view;
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
