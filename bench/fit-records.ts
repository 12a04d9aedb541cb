/**
 * The fixed-list training loop of the learning checks (test/model/learning.test.ts) and of the
 * train-step suite's learning curve: the Trainer's own step (src/train/step.ts), Adam with a
 * cosine rate from `peak` to `floor`, no clipping; the batch of update u is
 * records[(u·batchSize + i) mod n]; updates 0 … steps inclusive; the numeric loss.
 * `onInterval(step, loss)` runs after every `interval`-th update (step 0 included). Returns the
 * objective of every update. (The Trainer draws its batches from a record source; these checks
 * need a fixed, hand-picked record list in this order.)
 */
import { Tape } from '../src/autograd/index';
import type { Backend } from '../src/backend/index';
import type { DatasetRecord } from '../src/data/index';
import { buildPlan, numericLoss, numericTarget, planInput, type DagNN } from '../src/model/index';
import { Adam } from '../src/optim/index';
import { cosine, LrScheduler } from '../src/schedule/index';
import { trainStep } from '../src/train/step';

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
  const parameters = model.parameters();
  const optimizer = new Adam(parameters, { lr: peak });
  const scheduler = new LrScheduler(optimizer, cosine({ totalSteps: steps, minLr: floor }));
  const tape = new Tape(backend);
  const losses: number[] = [];
  for (let step = 0; step <= steps; step++) {
    const batch = Array.from({ length: batchSize }, (_, i) => train[(step * batchSize + i) % train.length]);
    const lossOf = (t: Tape) => numericLoss(t, model.forward(t, buildPlan(batch.map(planInput))), batch.map(numericTarget)).loss;
    losses.push(trainStep({ tape, parameters, optimizer, scheduler, lossOf }).loss);
    if (step % interval === 0) onInterval?.(step, losses[step]);
  }
  return losses;
}
