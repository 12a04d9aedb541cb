// The tape's bookkeeping: flat memory over many steps, gradient accumulation into
// Parameters, skipped branches, frozen parameters, and the typed errors of misuse.
import { beforeAll, describe, expect, it } from 'vitest';
import { AutogradError, ops, Parameter, ShapeError, Tape } from '../../src/autograd/index';
import { createBackend, type Backend } from '../../src/backend/index';
import { Prng } from '../../src/util/prng';
import { BACKENDS, Mlp, randomValues } from './helpers';

for (const backendName of BACKENDS) {
  describe(`tape on ${backendName}`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await createBackend(backendName);
    });

    it('keeps heap statistics flat over 10 000 forward/backward/reset steps of a small MLP', () => {
      const prng = new Prng('flat memory');
      const mlp = new Mlp(backend, [4, 16, 16, 1], 'flat memory mlp');
      const tape = new Tape(backend);
      const x = randomValues(prng, 8 * 4);
      const y = randomValues(prng, 8);
      const step = () => {
        const loss = ops.mseLoss(tape, mlp.forward(tape, ops.constant(tape, x, 8, 4)), ops.constant(tape, y, 8, 1));
        tape.backward(loss);
        tape.reset();
      };
      step();
      const after1 = backend.heap.stats();
      expect(after1.stepBytes).toBe(0);
      expect(after1.peakStepBytes).toBeGreaterThan(0);
      for (let i = 1; i < 10_000; i++) step();
      const after10k = backend.heap.stats();
      expect(after10k).toEqual(after1);
    });

    it('accumulates Parameter gradients over two backward passes (= the sum of the two)', () => {
      const prng = new Prng('accumulation');
      const mlp = new Mlp(backend, [3, 5, 2], 'accumulation mlp');
      const tape = new Tape(backend);
      const batches = [randomValues(prng, 4 * 3), randomValues(prng, 4 * 3)];
      const target = randomValues(prng, 4 * 2);
      const gradientOf = (x: Float32Array) => {
        tape.backward(ops.mseLoss(tape, mlp.forward(tape, ops.constant(tape, x, 4, 3)), ops.constant(tape, target, 4, 2)));
        tape.reset();
      };
      const single = batches.map((x) => {
        mlp.zeroGrad();
        gradientOf(x);
        return mlp.params.map((p) => Float64Array.from(p.grad));
      });
      mlp.zeroGrad();
      gradientOf(batches[0]);
      gradientOf(batches[1]);
      mlp.params.forEach((p, i) => {
        const expected = single[0][i].map((g, j) => g + single[1][i][j]);
        expect(expected.some((g) => g !== 0)).toBe(true);
        for (let j = 0; j < p.size; j++) expect(p.grad[j]).toBeCloseTo(expected[j], 6);
      });
    });

    it('runs only the closures that feed the loss; frozen Parameters and constants record nothing', () => {
      const tape = new Tape(backend);
      const x = ops.variable(tape, [0.5, -1, 2, 0.25], 2, 2);
      const unused = ops.tanh(tape, x); // feeds nothing
      const loss = ops.sum(tape, ops.scale(tape, x, 3));
      expect(tape.length).toBe(3);
      tape.backward(loss);
      expect(Array.from(tape.gradValues(x))).toEqual([3, 3, 3, 3]);
      expect(unused.gradPtr).toBe(0);

      tape.reset();
      const frozen = new Parameter(backend, [2, 2], 'frozen', [1, 2, 3, 4]);
      frozen.requiresGrad = false;
      const c = ops.constant(tape, [1, 1, 1, 1], 2, 2);
      const y = ops.tanh(tape, ops.matmul(tape, c, frozen));
      expect(y.requiresGrad).toBe(false);
      expect(tape.length).toBe(0);
      expect(() => tape.backward(ops.sum(tape, y))).toThrow(AutogradError);
      expect(Array.from(frozen.grad)).toEqual([0, 0, 0, 0]);
      tape.reset();
    });

    it('detach passes values through and stops the gradient', () => {
      const tape = new Tape(backend);
      const x = ops.variable(tape, [1, -2, 3], 1, 3);
      const loss = ops.sum(tape, ops.add(tape, ops.scale(tape, x, 2), ops.mul(tape, x, ops.detach(tape, x))));
      expect(tape.scalar(loss)).toBeCloseTo(2 * 2 + 14, 5);
      tape.backward(loss);
      // d/dx [2x + x·stop(x)] = 2 + x
      expect(Array.from(tape.gradValues(x))).toEqual([3, 0, 5]);
      tape.reset();
    });

    it('stays correct when the heap grows in the middle of backward (views re-made, pointers stable)', () => {
      const tape = new Tape(backend);
      const before = backend.heap.stats();
      // forward fills most of the free capacity, so the gradients backward allocates must grow it
      const n = Math.max(1024, Math.floor((before.capacityBytes - before.persistentBytes) / 4 / 3));
      const data = randomValues(new Prng('growth'), n, 2);
      const x = ops.variable(tape, data, 1, n);
      const loss = ops.sum(tape, ops.scale(tape, ops.tanh(tape, x), 2));
      const growthsBeforeBackward = backend.heap.stats().growths;
      tape.backward(loss);
      expect(backend.heap.stats().growths).toBeGreaterThan(growthsBeforeBackward);
      const grad = tape.gradValues(x);
      for (const j of [0, n >> 1, n - 1]) expect(grad[j]).toBeCloseTo(2 * (1 - Math.tanh(data[j]) ** 2), 5);
      tape.reset();
    });

    it('constant copies host data into the arena without a gradient', () => {
      const tape = new Tape(backend);
      const c = ops.constant(tape, [1.5, -2, 3.25, 4, 5, 6], 2, 3);
      expect([c.rows, c.cols, c.requiresGrad]).toEqual([2, 3, false]);
      expect(Array.from(tape.values(c))).toEqual([1.5, -2, 3.25, 4, 5, 6]);
      expect(() => ops.constant(tape, [1, 2, 3], 2, 2)).toThrow(ShapeError);
      tape.reset();
    });

    it('raises typed errors on misuse, saying where', () => {
      const tape = new Tape(backend);
      const a = ops.variable(tape, [1, 2, 3, 4, 5, 6], 2, 3);
      const b = ops.variable(tape, [1, 2, 3, 4], 2, 2);
      expect(() => ops.add(tape, a, b)).toThrow(/add: shapes differ, 2×3 vs 2×2/);
      expect(() => ops.matmul(tape, a, a)).toThrow(ShapeError);
      expect(() => tape.backward(a as never)).toThrow(/must be 1×1, got 2×3/);
      expect(() => ops.gatherRows(tape, a, Int32Array.from([0, 2]))).toThrow(/indices\[1\] = 2 is not a row of 2×3/);
      expect(() => ops.segmentSum(tape, a, Int32Array.from([0, 2, 1]))).toThrow(/offsets\[2\] = 1/);
      expect(() => ops.softmaxCrossEntropy(tape, a, Int32Array.from([0, 3]))).toThrow(/targets\[1\] = 3 is not a class in \[0, 3\) \(negative = ignored\)/);
      expect(() => ops.softmaxCrossEntropy(tape, a, Int32Array.from([0]))).toThrow(/1 targets for 2 rows/);
      expect(() => ops.splitCols(tape, a, [1, 1])).toThrow(/add up to 2/);
      expect(() => ops.sliceRows(tape, a, 1, 2)).toThrow(ShapeError);

      const loss = ops.sum(tape, a);
      tape.backward(loss);
      expect(() => tape.backward(loss)).toThrow(/already ran this step/);
      tape.reset();
      expect(() => ops.tanh(tape, a)).toThrow(AutogradError); // a belongs to the reset step
      const otherTape = new Tape(backend);
      expect(() => ops.tanh(otherTape, ops.variable(tape, [1], 1, 1))).toThrow(/another tape/);
      tape.reset();
    });
  });
}
