// The encoder's tape ops (src/model/ops.ts). reshape is a VIEW (src/autograd/tensor.ts): its
// gradient is its base's, allocated only when backward reaches the view. Oracle for the
// gradients: the same computation without the view (a constant reshaped on the host).
import { describe, expect, it } from 'vitest';
import { ops, Parameter, Tape } from '../../src/autograd/index';
import { createBackend } from '../../src/backend/index';
import { reshape } from '../../src/model/ops';
import { Prng } from '../../src/util/prng';
import { BACKENDS } from '../autograd/helpers';

describe.each(BACKENDS)('reshape on %s', (backendName) => {
  it('gradients through a view equal those of the same product without it, bit for bit', async () => {
    const backend = await createBackend(backendName);
    const prng = new Prng('reshape');
    const x = Float32Array.from({ length: 4 * 3 }, () => prng.normal(0, 1));
    const c = Float32Array.from({ length: 4 * 6 }, () => prng.normal(0, 1)); // 4×6 row-major = 8×3 of the view, the same memory
    const grads: Float32Array[] = [];
    for (const viaView of [true, false]) {
      const w = new Parameter(backend, [3, 6], 'w', Float32Array.from({ length: 18 }, (_, i) => Math.sin(i)));
      const tape = new Tape(backend);
      const z = ops.linear(tape, ops.constant(tape, x, 4, 3), w); // 4×6
      const loss = viaView
        ? ops.sum(tape, ops.mul(tape, reshape(tape, z, 8, 3), ops.constant(tape, c, 8, 3)))
        : ops.sum(tape, ops.mul(tape, z, ops.constant(tape, c, 4, 6)));
      w.zeroGrad();
      tape.backward(loss);
      grads.push(w.readGrad().slice());
      tape.reset();
    }
    expect(Array.from(grads[0])).toEqual(Array.from(grads[1]));
    expect(grads[0].some((g) => g !== 0)).toBe(true);
  });

  it('a view the loss does not reach leaves its base\'s backward unrun: the parameter behind it keeps a known-zero gradient', async () => {
    const backend = await createBackend(backendName);
    const used = new Parameter(backend, [3, 2], 'used', [1, 2, 3, 4, 5, 6]);
    const unused = new Parameter(backend, [3, 4], 'unused', Array.from({ length: 12 }, (_, i) => i / 10));
    const tape = new Tape(backend);
    const input = ops.constant(tape, Float32Array.from([1, -1, 2, 0.5, 3, -2]), 2, 3);
    const side = reshape(tape, ops.linear(tape, input, unused), 4, 2); // read by an op whose result the loss ignores
    void ops.tanh(tape, side);
    const loss = ops.sum(tape, ops.linear(tape, input, used));
    used.zeroGrad();
    unused.zeroGrad();
    tape.backward(loss);
    expect(used.gradIsZero).toBe(false);
    expect(unused.gradIsZero).toBe(true);
    expect(Array.from(tape.gradValues(side))).toEqual(new Array(8).fill(0));
    tape.reset();
    // a view of a view whose base backward reaches by another path reads the base's gradient
    const z = ops.linear(tape, ops.constant(tape, Float32Array.from([1, -1, 2, 0.5, 3, -2]), 2, 3), used);
    const twice = reshape(tape, reshape(tape, z, 1, 4), 4, 1);
    tape.backward(ops.sum(tape, ops.mul(tape, z, ops.constant(tape, Float32Array.from([1, 2, 3, 4]), 2, 2))));
    expect(Array.from(tape.gradValues(twice))).toEqual([1, 2, 3, 4]);
    tape.reset();
  });
});
