import { ShapeError } from '../parameter';
import type { Tape } from '../tape';
import { AutogradError, shapeOf, type Int32Input, type Tensor, type TensorLike } from '../tensor';

/** How a loss folds per-row (or per-element) terms into its 1×1 value. */
export type Reduction = 'mean' | 'sum';

function reductionFactor(op: string, reduction: Reduction, count: number): number {
  if (reduction === 'sum') return 1;
  if (reduction !== 'mean') throw new AutogradError(`${op}: reduction must be 'mean' or 'sum', got '${String(reduction)}'`);
  if (count === 0) throw new ShapeError(`${op}: mean over an empty input`);
  return 1 / count;
}

/**
 * 1×1 loss = reduce_r −log softmax(logits[r, :])[targets[r]], targets are i32 class indices;
 * a negative target ignores its row (padding): it adds no loss and gets no gradient, and
 * 'mean' divides by the number of rows NOT ignored (PyTorch's ignore_index; all ignored → 0).
 * The kernel keeps the row probabilities in the step arena for backward:
 * dlogits[r, :] += dRowLoss[r] · (p_r − onehot(targets[r])).
 */
export function softmaxCrossEntropy(tape: Tape, logits: TensorLike, targets: Int32Input, reduction: Reduction = 'mean'): Tensor {
  tape.check(logits, 'softmaxCrossEntropy');
  const rows = logits.rows;
  const cols = logits.cols;
  if (targets.length !== rows) {
    throw new ShapeError(`softmaxCrossEntropy: ${targets.length} targets for ${rows} rows of logits ${shapeOf(logits)}`);
  }
  const k = tape.kernels;
  const heap = tape.heap;
  const targetPtr = tape.int32(targets, (values) => checkClasses(values, cols));
  const counted = countTargets(heap.i32, targetPtr >>> 2, rows);
  const factor = counted === 0 ? 0 : reductionFactor('softmaxCrossEntropy', reduction, counted);
  const probs = heap.allocStep(rows * cols * 4);
  const rowLoss = heap.allocStep(rows * 4);
  k.softmaxCrossEntropy(probs, rowLoss, logits.ptr, targetPtr, rows, cols);
  const loss = tape.result(1, 1, logits.requiresGrad);
  heap.f32[loss.ptr >>> 2] = k.sum(rowLoss, rows) * factor;
  if (loss.requiresGrad) {
    tape.record(loss, () => {
      const dRowLoss = heap.allocStep(rows * 4);
      k.fill(dRowLoss, rows, heap.f32[loss.gradPtr >>> 2] * factor);
      k.softmaxCrossEntropyBackward(tape.grad(logits), probs, targetPtr, dRowLoss, rows, cols);
    });
  }
  return loss;
}

function checkClasses(targets: Int32Array, classes: number): void {
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r];
    if (t >= classes) throw new ShapeError(`softmaxCrossEntropy: targets[${r}] = ${t} is not a class in [0, ${classes}) (negative = ignored)`);
  }
}

/** rows whose target is not ignored (per-row bookkeeping, not per-element work) */
function countTargets(i32: Int32Array, first: number, rows: number): number {
  let counted = 0;
  for (let r = 0; r < rows; r++) if (i32[first + r] >= 0) counted++;
  return counted;
}

/**
 * 1×1 loss = reduce (pred − target)², for numeric regression heads; mean divides by the
 * element count. Gradient: dpred += 2·factor·dL·(pred − target), dtarget gets the negation.
 */
export function mseLoss(tape: Tape, pred: TensorLike, target: TensorLike, reduction: Reduction = 'mean'): Tensor {
  tape.check(pred, 'mseLoss');
  tape.check(target, 'mseLoss');
  if (pred.rows !== target.rows || pred.cols !== target.cols) {
    throw new ShapeError(`mseLoss: prediction is ${shapeOf(pred)} but target is ${shapeOf(target)}`);
  }
  const n = pred.size;
  const factor = reductionFactor('mseLoss', reduction, n);
  const k = tape.kernels;
  const heap = tape.heap;
  const diff = heap.allocStep(n * 4);
  k.sub(diff, pred.ptr, target.ptr, n);
  const loss = tape.result(1, 1, pred.requiresGrad || target.requiresGrad);
  heap.f32[loss.ptr >>> 2] = k.sumSquares(diff, n) * factor;
  if (loss.requiresGrad) {
    tape.record(loss, () => {
      const g = 2 * factor * heap.f32[loss.gradPtr >>> 2];
      if (pred.requiresGrad) k.axpy(tape.grad(pred), g, diff, n);
      if (target.requiresGrad) k.axpy(tape.grad(target), -g, diff, n);
    });
  }
  return loss;
}
