import { ShapeError } from '../parameter';
import type { Tape } from '../tape';
import { shapeOf, type Int32Input, type Tensor, type TensorLike } from '../tensor';

/**
 * y[i, :] = x[indices[i], :]. Rows may repeat: backward scatter-adds, so a row gathered
 * twice receives both gradients (dx[indices[i], :] += dy[i, :]).
 */
export function gatherRows(tape: Tape, x: TensorLike, indices: Int32Input): Tensor {
  tape.check(x, 'gatherRows');
  const k = tape.kernels;
  const count = indices.length;
  const cols = x.cols;
  const indexPtr = tape.int32(indices, (values) => {
    for (let i = 0; i < values.length; i++) {
      const r = values[i];
      if (r < 0 || r >= x.rows) throw new ShapeError(`gatherRows: indices[${i}] = ${r} is not a row of ${shapeOf(x)}`);
    }
  });
  const y = tape.result(count, cols, x.requiresGrad);
  k.gatherRows(y.ptr, x.ptr, indexPtr, count, cols);
  if (y.requiresGrad) tape.record(y, () => k.scatterAddRows(tape.grad(x), indexPtr, y.gradPtr, count, cols));
  return y;
}

/**
 * CSR segment sum: y[s, :] = Σ_{r in [offsets[s], offsets[s+1])} x[r, :], with
 * offsets.length = segments + 1, non-decreasing, within [0, x.rows]. Empty segments give
 * zero rows. Backward: dx[r, :] += dy[s, :] for every r of segment s.
 */
export function segmentSum(tape: Tape, x: TensorLike, offsets: Int32Input): Tensor {
  tape.check(x, 'segmentSum');
  if (offsets.length < 1) throw new ShapeError('segmentSum: offsets needs at least one entry (segments + 1)');
  const k = tape.kernels;
  const segments = offsets.length - 1;
  const cols = x.cols;
  const offsetPtr = tape.int32(offsets, (values) => {
    let previous = 0;
    for (let s = 0; s < values.length; s++) {
      const o = values[s];
      if (o < previous || o > x.rows) {
        throw new ShapeError(`segmentSum: offsets[${s}] = ${o} must be in [${previous}, ${x.rows}] (non-decreasing, within the ${x.rows} rows)`);
      }
      previous = o;
    }
  });
  const y = tape.result(segments, cols, x.requiresGrad);
  k.segmentSum(y.ptr, x.ptr, offsetPtr, segments, cols);
  if (y.requiresGrad) tape.record(y, () => k.segmentSumBackward(tape.grad(x), y.gradPtr, offsetPtr, segments, cols));
  return y;
}
