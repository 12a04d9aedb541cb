// WEIGHT WRITES (src/autograd/parameter.ts): writeData() and dataPtr count a write, readData()
// and ptr do not, and the `data` view exposes the tensor for good. The parallel pool relies on
// this to compare only tensors that may have changed; test/train/parallel.test.ts checks the
// whole run against one that compares every tensor.
import { describe, expect, it } from 'vitest';
import { ops, Parameter, Tape } from '../../src/autograd/index';
import { createBackend } from '../../src/backend/index';
import { Adam, clampValues, FreezeMask, SGD } from '../../src/optim/index';
import { allFinite } from '../../src/train/divergence';
import { BACKENDS } from './helpers';

describe.each(BACKENDS)('weight writes on %s', (backendName) => {
  it('writeData and dataPtr count; readData, ptr and a backward do not; data exposes for good', async () => {
    const backend = await createBackend(backendName);
    const p = new Parameter(backend, [3], 'p', [1, 2, 3]);
    const q = new Parameter(backend, [2], 'q');
    const start = p.writeCount;
    expect(q.writeCount).toBe(0); // no init: nothing written
    expect(p.changedSince(start)).toBe(false);
    void p.readData()[0];
    void p.ptr;
    const tape = new Tape(backend);
    tape.backward(ops.sum(tape, ops.mul(tape, p, p)));
    tape.reset();
    expect(p.changedSince(start)).toBe(false);
    p.writeData()[0] = 5;
    expect(p.changedSince(start)).toBe(true);
    const afterView = p.writeCount;
    void p.dataPtr;
    expect(p.writeCount).toBe(afterView + 1);
    expect(p.changedSince(p.writeCount)).toBe(false);
    expect(allFinite([p])).toBe(true); // the CLI's checkpoint check reads without exposing
    expect(p.changedSince(p.writeCount)).toBe(false);
    void p.data;
    expect(p.changedSince(p.writeCount)).toBe(true); // exposed: may change at any time
    p.zeroGrad();
    expect(p.changedSince(p.writeCount)).toBe(true);
  });

  it('the optimizers count a write on each parameter they step, and only on those; the constraints count theirs', async () => {
    const backend = await createBackend(backendName);
    for (const make of [(ps: Parameter[]) => new Adam(ps, { lr: 0.1 }), (ps: Parameter[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 })]) {
      const a = new Parameter(backend, [2], 'a', [0.5, -0.5]);
      const idle = new Parameter(backend, [2], 'idle', [0.25, 0.75]);
      const opt = make([a, idle]);
      const counts = [a.writeCount, idle.writeCount];
      opt.zeroGrad();
      a.grad[0] = 1; // idle keeps its known-zero gradient and has no state: the step skips it
      opt.step();
      expect([a.changedSince(counts[0]), idle.changedSince(counts[1])]).toEqual([true, false]);
      const stepped = a.writeCount;
      const mask = new FreezeMask();
      mask.freeze(a, 0, 0.5);
      expect(a.changedSince(stepped)).toBe(true);
      const frozen = a.writeCount;
      clampValues([a], -1, 1);
      expect(a.changedSince(frozen)).toBe(true);
    }
  });
});
