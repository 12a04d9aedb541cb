import type { Kernels } from '../../backend/index';
import type { Tape } from '../tape';
import type { Tensor, TensorLike } from '../tensor';

// Elementwise nonlinearities. Each is one forward kernel and one backward kernel; the
// backward reads whichever of x or y gives the derivative most cheaply:
// tanh' = 1 − y², σ' = y(1 − y); relu, leaky relu and gelu need x.

/** y = f(x) elementwise; backward(k, dx, x, y, dy, n) accumulates dx += f'(x) ⊙ dy. */
function elementwise(
  tape: Tape,
  x: TensorLike,
  op: string,
  forward: (k: Kernels, y: number, x: number, n: number) => void,
  backward: (k: Kernels, dx: number, x: number, y: number, dy: number, n: number) => void,
): Tensor {
  tape.check(x, op);
  const k = tape.kernels;
  const y = tape.result(x.rows, x.cols, x.requiresGrad);
  forward(k, y.ptr, x.ptr, y.size);
  if (y.requiresGrad) tape.record(y, () => backward(k, tape.grad(x), x.ptr, y.ptr, y.gradPtr, y.size));
  return y;
}

/** y = tanh(x). */
export function tanh(tape: Tape, x: TensorLike): Tensor {
  return elementwise(tape, x, 'tanh',
    (k, y, x, n) => k.tanhForward(y, x, n),
    (k, dx, _x, y, dy, n) => k.tanhBackward(dx, y, dy, n));
}

/** y = max(x, 0). */
export function relu(tape: Tape, x: TensorLike): Tensor {
  return elementwise(tape, x, 'relu',
    (k, y, x, n) => k.reluForward(y, x, n),
    (k, dx, x, _y, dy, n) => k.reluBackward(dx, x, dy, n));
}

/** y = x for x > 0, slope · x otherwise. */
export function leakyRelu(tape: Tape, x: TensorLike, slope = 0.01): Tensor {
  return elementwise(tape, x, 'leakyRelu',
    (k, y, x, n) => k.leakyReluForward(y, x, slope, n),
    (k, dx, x, _y, dy, n) => k.leakyReluBackward(dx, x, dy, slope, n));
}

/** y = 1 / (1 + e^−x). */
export function sigmoid(tape: Tape, x: TensorLike): Tensor {
  return elementwise(tape, x, 'sigmoid',
    (k, y, x, n) => k.sigmoidForward(y, x, n),
    (k, dx, _x, y, dy, n) => k.sigmoidBackward(dx, y, dy, n));
}

/** y = gelu(x), tanh approximation (PyTorch approximate='tanh'), as the nn kernel defines it. */
export function gelu(tape: Tape, x: TensorLike): Tensor {
  return elementwise(tape, x, 'gelu',
    (k, y, x, n) => k.geluForward(y, x, n),
    (k, dx, x, _y, dy, n) => k.geluBackward(dx, x, dy, n));
}

/** y[r, :] = softmax(x[r, :]), each row on its own. */
export function softmaxRows(tape: Tape, x: TensorLike): Tensor {
  tape.check(x, 'softmaxRows');
  const k = tape.kernels;
  const y = tape.result(x.rows, x.cols, x.requiresGrad);
  k.softmaxRows(y.ptr, x.ptr, x.rows, x.cols);
  // dx_r += y_r ⊙ (dy_r − ⟨dy_r, y_r⟩)
  if (y.requiresGrad) tape.record(y, () => k.softmaxRowsBackward(tape.grad(x), y.ptr, y.gradPtr, y.rows, y.cols));
  return y;
}
