import { ShapeError } from '../parameter';
import type { Tape } from '../tape';
import { shapeOf, type Tensor, type TensorLike } from '../tensor';

// Copies between matrices of different widths (copyBlock/addBlock take strides in
// elements) and between row ranges (plain contiguous copy/axpy). Gradients flow back into
// exactly the block each piece came from.

/**
 * y = [a | b | ...], all parts with the same number of rows. The `parts` array is kept for
 * backward (not copied): do not mutate it afterwards.
 */
export function concatCols(tape: Tape, parts: readonly TensorLike[]): Tensor {
  const rows = parts.length > 0 ? parts[0].rows : 0;
  const { total: cols, requiresGrad } = joined(tape, 'concatCols', parts, 'rows');
  const k = tape.kernels;
  const y = tape.result(rows, cols, requiresGrad);
  for (let i = 0, offset = 0; i < parts.length; offset += parts[i].cols, i++) {
    const p = parts[i];
    k.copyBlock(y.ptr + offset * 4, cols, p.ptr, p.cols, rows, p.cols);
  }
  if (requiresGrad) {
    tape.record(y, () => {
      for (let i = 0, offset = 0; i < parts.length; offset += parts[i].cols, i++) {
        const p = parts[i];
        if (p.requiresGrad) k.addBlock(tape.grad(p), p.cols, y.gradPtr + offset * 4, cols, rows, p.cols);
      }
    });
  }
  return y;
}

/** y = x[:, start : start + width]. */
export function sliceCols(tape: Tape, x: TensorLike, start: number, width: number): Tensor {
  tape.check(x, 'sliceCols');
  if (!Number.isInteger(start) || !Number.isInteger(width) || start < 0 || width < 0 || start + width > x.cols) {
    throw new ShapeError(`sliceCols: columns [${start}, ${start + width}) are not within ${shapeOf(x)}`);
  }
  const k = tape.kernels;
  const rows = x.rows;
  const y = tape.result(rows, width, x.requiresGrad);
  k.copyBlock(y.ptr, width, x.ptr + start * 4, x.cols, rows, width);
  if (y.requiresGrad) tape.record(y, () => k.addBlock(tape.grad(x) + start * 4, x.cols, y.gradPtr, width, rows, width));
  return y;
}

/** [x[:, 0:w0], x[:, w0:w0+w1], ...]; the widths must add up to x.cols. */
export function splitCols(tape: Tape, x: TensorLike, widths: readonly number[]): Tensor[] {
  let total = 0;
  for (const w of widths) total += w;
  if (total !== x.cols) throw new ShapeError(`splitCols: widths [${widths.join(', ')}] add up to ${total}, x is ${shapeOf(x)}`);
  const out: Tensor[] = [];
  for (let i = 0, start = 0; i < widths.length; start += widths[i], i++) out.push(sliceCols(tape, x, start, widths[i]));
  return out;
}

/**
 * y = [a; b; ...] stacked by rows, all parts with the same number of columns (e.g. node
 * states of several depth levels, to gather children from one matrix). The `parts` array is
 * kept for backward: do not mutate it afterwards.
 */
export function concatRows(tape: Tape, parts: readonly TensorLike[]): Tensor {
  const cols = parts.length > 0 ? parts[0].cols : 0;
  const { total: rows, requiresGrad } = joined(tape, 'concatRows', parts, 'cols');
  const k = tape.kernels;
  const y = tape.result(rows, cols, requiresGrad);
  for (let i = 0, offset = y.ptr; i < parts.length; offset += parts[i].size * 4, i++) k.copy(offset, parts[i].ptr, parts[i].size);
  if (requiresGrad) {
    tape.record(y, () => {
      for (let i = 0, offset = y.gradPtr; i < parts.length; offset += parts[i].size * 4, i++) {
        const p = parts[i];
        if (p.requiresGrad) k.axpy(tape.grad(p), 1, offset, p.size);
      }
    });
  }
  return y;
}

/** y = x[start : start + count, :]. */
export function sliceRows(tape: Tape, x: TensorLike, start: number, count: number): Tensor {
  tape.check(x, 'sliceRows');
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > x.rows) {
    throw new ShapeError(`sliceRows: rows [${start}, ${start + count}) are not within ${shapeOf(x)}`);
  }
  const k = tape.kernels;
  const from = start * x.cols * 4;
  const y = tape.result(count, x.cols, x.requiresGrad);
  k.copy(y.ptr, x.ptr + from, y.size);
  if (y.requiresGrad) tape.record(y, () => k.axpy(tape.grad(x) + from, 1, y.gradPtr, y.size));
  return y;
}

/**
 * Checks that every part matches parts[0] along `shared` ('rows' for concatCols) and returns
 * the summed other dimension and whether any part wants a gradient.
 */
function joined(tape: Tape, op: string, parts: readonly TensorLike[], shared: 'rows' | 'cols'): { total: number; requiresGrad: boolean } {
  if (parts.length === 0) throw new ShapeError(`${op}: no parts`);
  const along = shared === 'rows' ? 'cols' : 'rows';
  let total = 0;
  let requiresGrad = false;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    tape.check(p, op);
    if (p[shared] !== parts[0][shared]) throw new ShapeError(`${op}: parts[${i}] is ${shapeOf(p)}, parts[0] has ${parts[0][shared]} ${shared}`);
    total += p[along];
    requiresGrad ||= p.requiresGrad;
  }
  return { total, requiresGrad };
}
