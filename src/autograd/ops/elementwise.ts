import { ShapeError } from '../parameter';
import type { Tape } from '../tape';
import { shapeOf, type Tensor, type TensorLike } from '../tensor';

function checkPair(tape: Tape, op: string, a: TensorLike, b: TensorLike): void {
  tape.check(a, op);
  tape.check(b, op);
  if (a.rows !== b.rows || a.cols !== b.cols) throw new ShapeError(`${op}: shapes differ, ${shapeOf(a)} vs ${shapeOf(b)}`);
}

/** y = a + b (same shape). */
export function add(tape: Tape, a: TensorLike, b: TensorLike): Tensor {
  return addSigned(tape, a, b, 1);
}

/** y = a − b (same shape). */
export function sub(tape: Tape, a: TensorLike, b: TensorLike): Tensor {
  return addSigned(tape, a, b, -1);
}

/** y = a + sign·b: da += dy, db += sign·dy. */
function addSigned(tape: Tape, a: TensorLike, b: TensorLike, sign: 1 | -1): Tensor {
  checkPair(tape, sign > 0 ? 'add' : 'sub', a, b);
  const k = tape.kernels;
  const n = a.size;
  const y = tape.result(a.rows, a.cols, a.requiresGrad || b.requiresGrad);
  if (sign > 0) k.add(y.ptr, a.ptr, b.ptr, n);
  else k.sub(y.ptr, a.ptr, b.ptr, n);
  if (y.requiresGrad) {
    tape.record(y, () => {
      if (a.requiresGrad) k.axpy(tape.grad(a), 1, y.gradPtr, n);
      if (b.requiresGrad) k.axpy(tape.grad(b), sign, y.gradPtr, n);
    });
  }
  return y;
}

/** y = a ⊙ b, elementwise (same shape). */
export function mul(tape: Tape, a: TensorLike, b: TensorLike): Tensor {
  checkPair(tape, 'mul', a, b);
  const k = tape.kernels;
  const n = a.size;
  const y = tape.result(a.rows, a.cols, a.requiresGrad || b.requiresGrad);
  k.mul(y.ptr, a.ptr, b.ptr, n);
  if (y.requiresGrad) {
    tape.record(y, () => {
      if (a.requiresGrad) k.mulAccumulate(tape.grad(a), y.gradPtr, b.ptr, n); // da += dy ⊙ b
      if (b.requiresGrad) k.mulAccumulate(tape.grad(b), y.gradPtr, a.ptr, n); // db += dy ⊙ a
    });
  }
  return y;
}

/** y = alpha · x. */
export function scale(tape: Tape, x: TensorLike, alpha: number): Tensor {
  tape.check(x, 'scale');
  const k = tape.kernels;
  const n = x.size;
  const y = tape.result(x.rows, x.cols, x.requiresGrad);
  k.scale(y.ptr, x.ptr, alpha, n);
  if (y.requiresGrad) tape.record(y, () => k.axpy(tape.grad(x), alpha, y.gradPtr, n)); // dx += alpha · dy
  return y;
}

/** y[r, :] = x[r, :] + row (row is 1 × x.cols). */
export function addRowBroadcast(tape: Tape, x: TensorLike, row: TensorLike): Tensor {
  tape.check(x, 'addRowBroadcast');
  tape.check(row, 'addRowBroadcast');
  if (row.rows !== 1 || row.cols !== x.cols) throw new ShapeError(`addRowBroadcast: row must be 1×${x.cols}, got ${shapeOf(row)}`);
  const k = tape.kernels;
  const y = tape.result(x.rows, x.cols, x.requiresGrad || row.requiresGrad);
  k.addRowBroadcast(y.ptr, x.ptr, row.ptr, x.rows, x.cols);
  if (y.requiresGrad) {
    tape.record(y, () => {
      if (x.requiresGrad) k.axpy(tape.grad(x), 1, y.gradPtr, y.size); // dx += dy
      if (row.requiresGrad) k.sumRowsAccumulate(tape.grad(row), y.gradPtr, y.rows, y.cols); // drow += Σ_rows dy
    });
  }
  return y;
}

/**
 * y[r, :] = x[r, :] · s[r] (s is rows × 1): per-row weights, e.g. 1/degree after a segment
 * sum, or attention weights. No dedicated kernel: s is expanded to rows × cols by a rank-1
 * gemm with a row of ones (s · 1ᵀ), then multiplied elementwise.
 *   dx += dy ⊙ (s · 1ᵀ)        ds += (dy ⊙ x) · 1
 */
export function scaleRows(tape: Tape, x: TensorLike, s: TensorLike): Tensor {
  tape.check(x, 'scaleRows');
  tape.check(s, 'scaleRows');
  if (s.rows !== x.rows || s.cols !== 1) throw new ShapeError(`scaleRows: scales must be ${x.rows}×1, got ${shapeOf(s)}`);
  const k = tape.kernels;
  const heap = tape.heap;
  const { rows, cols } = x;
  const ones = heap.allocStep(cols * 4);
  k.fill(ones, cols, 1);
  const expanded = heap.allocStep(rows * cols * 4);
  k.gemm(0, 0, rows, cols, 1, 1, s.ptr, 1, ones, cols, 0, expanded, cols, 0);
  const y = tape.result(rows, cols, x.requiresGrad || s.requiresGrad);
  k.mul(y.ptr, x.ptr, expanded, y.size);
  if (y.requiresGrad) {
    tape.record(y, () => {
      if (x.requiresGrad) k.mulAccumulate(tape.grad(x), y.gradPtr, expanded, y.size);
      if (s.requiresGrad) {
        const product = heap.allocStep(y.size * 4);
        k.mul(product, y.gradPtr, x.ptr, y.size);
        k.gemm(0, 0, rows, 1, cols, 1, product, cols, ones, 1, 1, tape.grad(s), 1, 0);
      }
    });
  }
  return y;
}
