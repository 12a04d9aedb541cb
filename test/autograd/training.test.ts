// A real learning sanity check: a tiny MLP fitted by plain SGD written here (p −= lr·grad)
// must cut a regression loss at least 10×.
import { describe, expect, it } from 'vitest';
import { ops, Tape } from '../../src/autograd/index';
import { createBackend } from '../../src/backend/index';
import { Prng } from '../../src/util/prng';
import { BACKENDS, Mlp } from './helpers';

describe.each(BACKENDS)('training on %s', (backendName) => {
  it('SGD on a 2→32→1 tanh MLP reduces the MSE of y = sin(2·x0)·x1 + 0.5·x0² at least 10×', async () => {
    const backend = await createBackend(backendName);
    const prng = new Prng('regression data');
    const n = 64;
    const x = new Float32Array(n * 2);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x0 = 2 * prng.nextFloat() - 1;
      const x1 = 2 * prng.nextFloat() - 1;
      x[2 * i] = x0;
      x[2 * i + 1] = x1;
      y[i] = Math.sin(2 * x0) * x1 + 0.5 * x0 * x0;
    }
    const mlp = new Mlp(backend, [2, 32, 1], 'regression mlp');
    const tape = new Tape(backend);
    const lossOf = (update: boolean): number => {
      const loss = ops.mseLoss(tape, mlp.forward(tape, ops.constant(tape, x, n, 2)), ops.constant(tape, y, n, 1));
      const value = tape.scalar(loss);
      if (update) {
        mlp.zeroGrad();
        tape.backward(loss);
        for (const p of mlp.params) {
          const data = p.data;
          const grad = p.grad;
          for (let j = 0; j < p.size; j++) data[j] -= 0.2 * grad[j];
        }
      }
      tape.reset();
      return value;
    };
    const initial = lossOf(false);
    for (let step = 0; step < 3000; step++) lossOf(true);
    const final = lossOf(false);
    expect(initial).toBeGreaterThan(0.05);
    expect(final).toBeLessThan(initial / 10);
  });
});
