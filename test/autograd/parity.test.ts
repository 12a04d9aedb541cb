// The same model, parameters and inputs on the wasm and js backends give the same loss and
// gradients within float32 tolerance (the kernels differ in summation order only).
import { describe, expect, it } from 'vitest';
import { ops, Parameter, Tape, type TensorLike } from '../../src/autograd/index';
import { createBackend, type Backend } from '../../src/backend/index';
import { Prng } from '../../src/util/prng';
import { randomValues } from './helpers';

/**
 * A miniature of what the DagNN will do: embed node kinds by gathering rows, transform,
 * sum children per parent (CSR segments), concatenate with the parent's own embedding,
 * then a classification head (cross-entropy) and a regression head (MSE).
 */
function buildModel(backend: Backend) {
  const prng = new Prng('parity model');
  const p = (name: string, rows: number, cols: number, scale = 0.5) => new Parameter(backend, [rows, cols], name, randomValues(prng, rows * cols, scale));
  const params = {
    embed: p('embed', 6, 8, 1),
    w1: p('w1', 8, 8),
    b1: p('b1', 1, 8),
    w2: p('w2', 16, 5),
    b2: p('b2', 1, 5),
    head: p('head', 16, 1),
  };
  const data = new Prng('parity data');
  const childKinds = Int32Array.from({ length: 23 }, () => data.int(0, 5));
  const parentKinds = Int32Array.from({ length: 9 }, () => data.int(0, 5));
  const offsets = Int32Array.from([0, 2, 5, 5, 8, 11, 15, 17, 20, 23]);
  const classes = Int32Array.from({ length: 9 }, () => data.int(0, 4));
  const values = randomValues(data, 9);
  const loss = (tape: Tape) => {
    const children = ops.gelu(tape, ops.linear(tape, ops.gatherRows(tape, params.embed, childKinds), params.w1, params.b1));
    const summed = ops.segmentSum(tape, children, offsets);
    const parents: TensorLike = ops.gatherRows(tape, params.embed, parentKinds);
    const state = ops.tanh(tape, ops.concatCols(tape, [summed, parents]));
    const logits = ops.linear(tape, state, params.w2, params.b2);
    const ce = ops.softmaxCrossEntropy(tape, logits, classes);
    const regression = ops.mseLoss(tape, ops.matmul(tape, state, params.head), ops.constant(tape, values, 9, 1));
    return ops.add(tape, ce, ops.scale(tape, regression, 0.5));
  };
  return { params: Object.values(params), loss };
}

describe('wasm and js backends agree', () => {
  it('on the loss and every parameter gradient of a small graph model', async () => {
    const results = [];
    for (const name of ['js', 'wasm'] as const) {
      const backend = await createBackend(name);
      const model = buildModel(backend);
      const tape = new Tape(backend);
      const loss = model.loss(tape);
      const value = tape.scalar(loss);
      tape.backward(loss);
      tape.reset();
      results.push({ value, grads: model.params.map((p) => Float64Array.from(p.grad)) });
    }
    const [js, wasm] = results;
    expect(js.value).toBeGreaterThan(0.1);
    expect(Math.abs(wasm.value - js.value)).toBeLessThan(1e-5 * Math.abs(js.value));
    js.grads.forEach((g, i) => {
      const scale = Math.max(...g.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      for (let j = 0; j < g.length; j++) expect(Math.abs(wasm.grads[i][j] - g[j])).toBeLessThan(1e-5 * scale);
    });
  });
});
