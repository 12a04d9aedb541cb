// The tfjs peer of the train-step bench must be OUR model: from our initial weights, on the
// same batches, its objective over three Adam steps matches ours — the Trainer's own step —
// (forward, gradients and update all enter). The PyTorch peer is checked the same way inside the suite itself (tests
// never need Python).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lossTrace, peerWorkload } from '../../bench/peers/export';
import { TfjsDagNN } from '../../bench/peers/tfjs-dagnn';
import { createBackend, type Backend } from '../../src/backend/index';
import { DataGenerator } from '../../src/data/index';
import { buildPlan, DagNN, numericTarget, planInput } from '../../src/model/index';

describe('train-step bench: tfjs peer', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await createBackend('js');
    await tf.setBackend('cpu');
  });

  it('reproduces our objective over three training steps on mixed levels 1-4', () => {
    const gen = new DataGenerator({ seed: 'peer test' });
    const records = Array.from({ length: 3 }, () => gen.mixedBatch({ 1: 1, 2: 1, 3: 1, 4: 1 }, 12));
    const plans = records.map((b) => buildPlan(b.map(planInput)));
    const targets = records.map((b) => b.map(numericTarget));
    const options = { hidden: 8, seed: 'peer test' };
    const ours = lossTrace(backend, options, 1e-2, records, plans.length);
    const peer = new TfjsDagNN(peerWorkload(new DagNN(backend, options), plans, targets, 1e-2, ours));
    const theirs = plans.map((_, k) => peer.step(k));
    peer.dispose();
    // the objective moves between steps, so a peer that drops a gradient or a unit would not follow
    expect(Math.abs(ours[2] - ours[0])).toBeGreaterThan(1e-3);
    theirs.forEach((v, k) => expect(Math.abs(v - ours[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(ours[k]))));
  });
});
