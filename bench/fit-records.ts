/**
 * The fixed-list training loop of the learning checks (test/model/learning.test.ts) and of the
 * train-step suite's learning curve: Adam with a cosine rate from `peak` to `floor`; the batch
 * of update u is records[(u·batchSize + i) mod n]; updates 0 … steps inclusive; the numeric
 * loss. `onInterval(step, loss)` runs after every `interval`-th update (step 0 included).
 * Returns the objective of every update. (The Trainer draws its batches from generators and a
 * curriculum; these checks need a fixed, hand-picked record list.)
 */
import { Tape } from '../src/autograd/index';
import type { Backend } from '../src/backend/index';
import type { DatasetRecord } from '../src/data/index';
import { buildPlan, numericLoss, numericTarget, planInput, type DagNN } from '../src/model/index';
import { Adam } from '../src/optim/index';
import { cosine } from '../src/schedule/index';

export interface FitRecordsOptions {
  steps: number;
  batchSize: number;
  peak: number;
  floor: number;
  interval: number;
  onInterval?: (step: number, loss: number) => void;
}

export function fitRecords(backend: Backend, model: DagNN, train: readonly DatasetRecord[], options: FitRecordsOptions): number[] {
  const { steps, batchSize, peak, floor, interval, onInterval } = options;
  const optimizer = new Adam(model.parameters(), { lr: peak });
  const schedule = cosine({ totalSteps: steps, minLr: floor });
  const tape = new Tape(backend);
  const losses: number[] = [];
  for (let step = 0; step <= steps; step++) {
    optimizer.setLr(schedule.lr(step, peak));
    const batch = Array.from({ length: batchSize }, (_, i) => train[(step * batchSize + i) % train.length]);
    const out = model.forward(tape, buildPlan(batch.map(planInput)));
    const { loss } = numericLoss(tape, out, batch.map(numericTarget));
    losses.push(tape.scalar(loss));
    optimizer.zeroGrad();
    tape.backward(loss);
    optimizer.step();
    tape.reset();
    if (step % interval === 0) onInterval?.(step, losses[step]);
  }
  return losses;
}
