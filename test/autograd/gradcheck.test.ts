// The gradient checker itself must be able to fail: ops with deliberately wrong backward
// closures (built from the public Tape API, next to a correct twin of each) are caught.
import { beforeAll, describe, expect, it } from 'vitest';
import { compare, gradCheck, ops, type Tape, type Tensor, type TensorLike } from '../../src/autograd/index';
import { createBackend, type Backend } from '../../src/backend/index';
import { Prng } from '../../src/util/prng';
import { columnSums, m64, matmul64, randomValues, transpose } from './helpers';

/** y = alpha·x with a configurable backward: correct, off by 1%, or overwriting dx instead of adding. */
function scaleWith(tape: Tape, x: TensorLike, alpha: number, backward: 'correct' | 'one-percent-off' | 'overwrites'): Tensor {
  const k = tape.kernels;
  const y = tape.result(x.rows, x.cols, true);
  k.scale(y.ptr, x.ptr, alpha, x.size);
  tape.record(y, () => {
    if (backward === 'overwrites') k.scale(tape.grad(x), y.gradPtr, alpha, x.size);
    else k.axpy(tape.grad(x), backward === 'correct' ? alpha : alpha * 1.01, y.gradPtr, x.size);
  });
  return y;
}

/** tanh whose backward uses the sigmoid derivative y(1 − y) instead of 1 − y². */
function tanhWithSigmoidBackward(tape: Tape, x: TensorLike): Tensor {
  const k = tape.kernels;
  const y = tape.result(x.rows, x.cols, true);
  k.tanhForward(y.ptr, x.ptr, x.size);
  tape.record(y, () => k.sigmoidBackward(tape.grad(x), y.ptr, y.gradPtr, x.size));
  return y;
}

/** a·b (square) whose db forgets to transpose a: db += a·dy instead of aᵀ·dy. */
function matmulForgettingTranspose(tape: Tape, a: TensorLike, b: TensorLike): Tensor {
  const k = tape.kernels;
  const n = a.rows;
  const y = tape.result(n, n, true);
  k.gemm(0, 0, n, n, n, 1, a.ptr, n, b.ptr, n, 0, y.ptr, n, 0);
  tape.record(y, () => {
    k.gemm(0, 1, n, n, n, 1, y.gradPtr, n, b.ptr, n, 1, tape.grad(a), n, 0);
    k.gemm(0, 0, n, n, n, 1, a.ptr, n, y.gradPtr, n, 1, tape.grad(b), n, 0);
  });
  return y;
}

describe('gradCheck catches wrong backward closures', () => {
  let backend: Backend;
  const prng = new Prng('gradcheck must fail');
  const square = () => ({ rows: 4, cols: 4, data: randomValues(prng, 16) });
  beforeAll(async () => {
    backend = await createBackend('js');
  });

  it('passes the correct scale and fails a 1% error in its gradient', () => {
    const x = [square()];
    expect(gradCheck(backend, x, (t, [a]) => scaleWith(t, a, -1.5, 'correct')).maxRelError).toBeLessThan(1e-4);
    const wrong = gradCheck(backend, x, (t, [a]) => scaleWith(t, a, -1.5, 'one-percent-off'));
    expect(wrong.finiteDifference![0].maxRelError).toBeGreaterThan(5e-3);
  });

  it('fails a backward that overwrites the input gradient instead of accumulating', () => {
    const wrong = gradCheck(backend, [square()], (t, [a]) => scaleWith(t, a, -1.5, 'overwrites'));
    expect(wrong.finiteDifference![0].maxRelError).toBeGreaterThan(0.1);
  });

  it('fails a wrong derivative formula', () => {
    const wrong = gradCheck(backend, [square()], (t, [a]) => tanhWithSigmoidBackward(t, a));
    expect(wrong.finiteDifference![0].maxRelError).toBeGreaterThan(0.1);
  });

  it('fails a missing transpose in one of two gradients, and only that one', () => {
    const wrong = gradCheck(backend, [square(), square()], (t, [a, b]) => matmulForgettingTranspose(t, a, b));
    expect(wrong.finiteDifference![0].maxRelError).toBeLessThan(1e-3);
    expect(wrong.finiteDifference![1].maxRelError).toBeGreaterThan(0.1);
  });

  it('fails a missing gradient (linear whose bias gets nothing) via the float64 reference too', () => {
    const inputs = [
      { rows: 3, cols: 2, data: randomValues(prng, 6) },
      { rows: 2, cols: 2, data: randomValues(prng, 4), parameter: true },
      { rows: 1, cols: 2, data: randomValues(prng, 2), parameter: true },
    ];
    const withoutBiasGradient = (t: Tape, [x, w, b]: TensorLike[]) => {
      const y = ops.linear(t, x, w);
      // add the bias through a constant copy: the bias never sees a gradient
      return ops.addRowBroadcast(t, y, ops.constant(t, t.values(b), 1, 2));
    };
    const wrong = gradCheck(backend, inputs, withoutBiasGradient, {
      referenceGradient: ([x, w], g) => [
        matmul64(m64(g, 3, 2), transpose(m64(w, 2, 2))).data,
        matmul64(transpose(m64(x, 3, 2)), m64(g, 3, 2)).data,
        columnSums(m64(g, 3, 2)),
      ],
    });
    expect(wrong.finiteDifference![0].maxRelError).toBeLessThan(1e-3);
    expect(wrong.reference![1].maxRelError).toBeLessThan(1e-3);
    expect(wrong.finiteDifference![2].maxRelError).toBeGreaterThan(0.1);
    expect(wrong.reference![2].maxRelError).toBeGreaterThan(0.1);
  });

  it('treats NaN as an infinite error', () => {
    expect(compare([1, NaN], [1, 2], 1e-3).maxRelError).toBe(Infinity);
  });
});
