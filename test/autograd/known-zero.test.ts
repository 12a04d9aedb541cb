// KNOWN-ZERO GRADIENT (src/autograd/parameter.ts): zeroing marks a gradient known to be +0,
// every way to write it clears the mark, and readers skip a marked gradient without scanning.
// Oracle for the skipping: twin parameters driven through the same updates with the mark
// cleared before every call, so every reader scans and every zeroing fills, as before the
// mark existed: weights, optimizer state, norms and metrics must agree bit for bit.
import { describe, expect, it } from 'vitest';
import { ops, Parameter, Tape } from '../../src/autograd/index';
import { createBackend } from '../../src/backend/index';
import { Adam, clipGradNorm, clipGradValue, FreezeMask, gradNorm, nauSparsity, SGD } from '../../src/optim/index';
import { Prng } from '../../src/util/prng';
import { BACKENDS } from './helpers';

const bits = (xs: Float32Array[]) => xs.flatMap((x) => Array.from(new Uint32Array(x.buffer.slice(x.byteOffset, x.byteOffset + 4 * x.length))));

describe.each(BACKENDS)('known-zero gradients on %s', (backendName) => {
  it('zeroing marks a gradient; the grad view and gradPtr clear the mark; readGrad and a backward that does not reach it keep it', async () => {
    const backend = await createBackend(backendName);
    const a = new Parameter(backend, [3], 'a', [1, 2, 3]);
    const b = new Parameter(backend, [3], 'b', [4, 5, 6]);
    expect(a.gradIsZero).toBe(false); // nothing is promised before the first zeroing
    a.zeroGrad();
    b.zeroGrad();
    expect([a.gradIsZero, b.gradIsZero]).toEqual([true, true]);
    a.readGrad();
    expect(a.gradIsZero).toBe(true);
    void a.grad;
    expect(a.gradIsZero).toBe(false);
    a.zeroGrad();
    void a.gradPtr;
    expect(a.gradIsZero).toBe(false);
    a.zeroGrad();
    const tape = new Tape(backend);
    tape.backward(ops.sum(tape, ops.mul(tape, a, a)));
    tape.reset();
    expect([a.gradIsZero, b.gradIsZero]).toEqual([false, true]);
    expect(Array.from(a.readGrad())).toEqual([2, 4, 6]);
    // a gradient written after zeroing, through a view taken after it, is seen by every reader
    b.zeroGrad();
    b.grad[1] = 3;
    expect(gradNorm([a, b])).toBeCloseTo(Math.sqrt(4 + 16 + 36 + 9), 12);
  });

  it('a training loop with tensors the loss reaches on some updates only gives the bits of one that scans every gradient', async () => {
    const backend = await createBackend(backendName);
    const prng = new Prng('known zero');
    const shapes = [[4, 3], [3], [5, 2], [7], [2, 2]] as const;
    const init = shapes.map((s) => Array.from({ length: s.reduce((x: number, y: number) => x * y, 1) }, () => prng.nextFloat() - 0.5));
    const make = (tag: string) => shapes.map((s, i) => new Parameter(backend, [...s], `${tag}${i}`, init[i]));
    const fast = make('f');
    const scan = make('s');
    const forget = (ps: Parameter[]) => {
      for (const p of ps) void p.grad; // a write accessor clears the mark
    };
    const optimizers = [new Adam(fast.slice(0, 4), { lr: 0.05 }), new Adam(scan.slice(0, 4), { lr: 0.05 })];
    const sgd = [new SGD([fast[4]], { lr: 0.1, momentum: 0.5 }), new SGD([scan[4]], { lr: 0.1, momentum: 0.5 })];
    const masks = [new FreezeMask(), new FreezeMask()];
    masks[0].freeze(fast[2], 3);
    masks[1].freeze(scan[2], 3);
    const tape = new Tape(backend);
    const x = Float32Array.from({ length: 8 }, () => prng.nextFloat());
    let knownZeroAtStep = 0;
    for (let t = 0; t < 40; t++) {
      // which tensors the loss reaches this update, and how the gradient is written
      const reach = shapes.map((_, i) => (t * 7 + i * 3) % 5 < 2 || (i === 0 && t % 3 === 0));
      const manual = t % 4 === 1 ? 3 : -1; // written through the grad view after zeroing
      const kernel = t % 5 === 2 ? 1 : -1; // written by a kernel at gradPtr after zeroing
      const results: number[][] = [];
      for (const [k, ps] of [fast, scan].entries()) {
        const check = k === 1 ? () => forget(ps) : () => undefined;
        check();
        optimizers[k].zeroGrad();
        sgd[k].zeroGrad();
        let loss: ReturnType<typeof ops.sum> | null = null;
        for (const [i, p] of ps.entries()) {
          if (!reach[i]) continue;
          const c = Float32Array.from({ length: p.size }, (_, j) => x[j % 8] - 0.3);
          const term = ops.sum(tape, ops.mul(tape, p, ops.constant(tape, c, p.rows, p.cols)));
          loss = loss === null ? term : ops.add(tape, loss, ops.mul(tape, term, term));
        }
        check();
        if (loss !== null) tape.backward(loss);
        tape.reset();
        check();
        if (manual >= 0) ps[manual].grad[t % ps[manual].size] = 0.25 * (t % 3) - 0.2;
        check();
        if (kernel >= 0) backend.kernels.fill(ps[kernel].gradPtr, 1, 1e-3 * t);
        check();
        masks[k].maskGrads();
        check();
        const penalty = nauSparsity([ps[2], ps[3]], t > 20 ? 0.01 : 0, masks[k]);
        check();
        const norm = t % 2 === 0 ? clipGradNorm(ps, 0.5) : clipGradValue(ps, 0.3);
        check();
        const inf = gradNorm(ps, Infinity);
        check();
        const p3 = gradNorm(ps, 3);
        check();
        if (k === 0) knownZeroAtStep += ps.filter((p) => p.gradIsZero).length;
        const steps = [optimizers[k].step(), sgd[k].step()];
        results.push([penalty, norm, inf, p3, ...steps.map(Number)]);
      }
      expect(results[0], `norms and steps of update ${t}`).toEqual(results[1]);
      expect(bits(fast.map((p) => p.data)), `weights after update ${t}`).toEqual(bits(scan.map((p) => p.data)));
      expect(bits(fast.map((p) => p.readGrad())), `gradients after update ${t}`).toEqual(bits(scan.map((p) => p.readGrad())));
    }
    expect(JSON.stringify(optimizers[0].stateDict().state)).toEqual(JSON.stringify(optimizers[1].stateDict().state));
    // the loop above must have exercised the skip: tensors idle and known zero at their step
    expect(knownZeroAtStep).toBeGreaterThan(20);
  });
});
