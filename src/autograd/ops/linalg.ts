import { ShapeError } from '../parameter';
import type { Tape } from '../tape';
import { shapeOf, type Tensor, type TensorLike } from '../tensor';

/**
 * y = op(a) · op(b), op = transpose or not (the gemm kernel reads stored matrices in place).
 * op(a) is m×k, op(b) is k×n.
 */
export function matmul(tape: Tape, a: TensorLike, b: TensorLike, transA = false, transB = false): Tensor {
  tape.check(a, 'matmul');
  tape.check(b, 'matmul');
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const n = transB ? b.rows : b.cols;
  const kb = transB ? b.cols : b.rows;
  if (k !== kb) {
    throw new ShapeError(`matmul: op(a) is ${m}×${k} but op(b) is ${kb}×${n} (a ${shapeOf(a)}${transA ? 'ᵀ' : ''}, b ${shapeOf(b)}${transB ? 'ᵀ' : ''})`);
  }
  const y = tape.result(m, n, a.requiresGrad || b.requiresGrad);
  tape.kernels.gemm(+transA, +transB, m, n, k, 1, a.ptr, a.cols, b.ptr, b.cols, 0, y.ptr, n, 0);
  if (y.requiresGrad) tape.record(y, () => matmulBackward(tape, a, b, transA, transB, y));
  return y;
}

/**
 * y = x · w + b: x is n×in, w is in×out, b (optional) is 1×out, added by gemm's bias
 * row-broadcast in the same pass.
 */
export function linear(tape: Tape, x: TensorLike, w: TensorLike, b?: TensorLike): Tensor {
  tape.check(x, 'linear');
  tape.check(w, 'linear');
  if (x.cols !== w.rows) throw new ShapeError(`linear: x is ${shapeOf(x)} but w is ${shapeOf(w)} (x.cols must equal w.rows)`);
  if (b !== undefined) {
    tape.check(b, 'linear');
    if (b.rows !== 1 || b.cols !== w.cols) throw new ShapeError(`linear: bias must be 1×${w.cols}, got ${shapeOf(b)}`);
  }
  const rows = x.rows;
  const out = w.cols;
  const y = tape.result(rows, out, x.requiresGrad || w.requiresGrad || (b !== undefined && b.requiresGrad));
  tape.kernels.gemm(0, 0, rows, out, x.cols, 1, x.ptr, x.cols, w.ptr, out, 0, y.ptr, out, b === undefined ? 0 : b.ptr);
  if (y.requiresGrad) {
    tape.record(y, () => {
      matmulBackward(tape, x, w, false, false, y);
      // db += Σ_rows dy
      if (b !== undefined && b.requiresGrad) tape.kernels.sumRowsAccumulate(tape.grad(b), y.gradPtr, rows, out);
    });
  }
  return y;
}

/**
 * For y = op(a)·op(b) with upstream dy (m×n), accumulates (beta = 1) into the STORED layouts:
 *   d op(a) = dy · op(b)ᵀ   → a stored transposed gets (d op(a))ᵀ = op(b) · dyᵀ
 *   d op(b) = op(a)ᵀ · dy   → b stored transposed gets (d op(b))ᵀ = dyᵀ · op(a)
 */
function matmulBackward(tape: Tape, a: TensorLike, b: TensorLike, transA: boolean, transB: boolean, y: Tensor): void {
  const gemm = tape.kernels.gemm;
  const m = y.rows;
  const n = y.cols;
  const k = transA ? a.rows : a.cols;
  const dy = y.gradPtr;
  const ta = +transA;
  const tb = +transB;
  if (a.requiresGrad) {
    const da = tape.grad(a);
    if (transA) gemm(tb, 1, k, m, n, 1, b.ptr, b.cols, dy, n, 1, da, a.cols, 0);
    else gemm(0, 1 - tb, m, k, n, 1, dy, n, b.ptr, b.cols, 1, da, a.cols, 0);
  }
  if (b.requiresGrad) {
    const db = tape.grad(b);
    if (transB) gemm(1, ta, n, k, m, 1, dy, n, a.ptr, a.cols, 1, db, b.cols, 0);
    else gemm(1 - ta, 0, k, n, m, 1, a.ptr, a.cols, dy, n, 1, db, b.cols, 0);
  }
}
