/**
 * THE training step: one optimizer update, shared by the Trainer, the learning checks and the
 * train-step bench, so the figures a bench prints are those of the step that trains.
 *
 *   zeroGrad
 *   for m in 0 … accumulationSteps−1:  loss_m = lossOf(tape, m)
 *                                      backward(loss_m / accumulationSteps)   (gradients sum: the mean)
 *                                      tape.reset()
 *   afterBackward()                   (regularisers add to the gradients)
 *   norm = ‖g‖₂ (clipped to maxGradNorm when set)
 *   beforeUpdate()                    (masks, gates)
 *   applied = optimizer.step()        (false: a non-finite gradient, the update is skipped)
 *   afterUpdate()                     (constraints on the values)
 *   scheduler.step()
 *
 * The tape is reset after every micro-batch, also when lossOf throws, so the step arena never
 * outlives the step (DESIGN principle 2).
 */
import { ops, type Parameter, type Tape, type Tensor } from '../autograd/index';
import { clipGradNorm, gradNorm, type Optimizer } from '../optim/index';
import type { LrScheduler } from '../schedule/index';

export interface StepParts {
  tape: Tape;
  parameters: readonly Parameter[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  optimizer: Optimizer<any>;
  /** stepped after the update (absent: the rate stays) */
  scheduler?: LrScheduler | null;
  /** clip the global gradient 2-norm to this; null or absent: no clipping */
  maxGradNorm?: number | null;
  /** micro-batches whose gradients are averaged into the update (default 1) */
  accumulationSteps?: number;
  /** the objective of micro-batch `micro`, a 1 × 1 tensor on `tape` */
  lossOf: (tape: Tape, micro: number) => Tensor;
  /** after the last backward, before clipping: regularisers that add to the gradients */
  afterBackward?: () => void;
  /** right before the optimizer step: gradient masks, gates */
  beforeUpdate?: () => void;
  /** right after the optimizer step: constraints on the values (restore frozen, clamp) */
  afterUpdate?: () => void;
}

export interface StepResult {
  /** mean objective over the micro-batches */
  loss: number;
  /** the (first group's) learning rate the update used */
  lr: number;
  /** global gradient 2-norm before clipping */
  gradNorm: number;
  /** false when the optimizer skipped the update (a non-finite gradient) */
  applied: boolean;
}

export function trainStep(parts: StepParts): StepResult {
  parts.optimizer.zeroGrad();
  const lr = parts.optimizer.getLr();
  const accumulation = parts.accumulationSteps ?? 1;
  const lossSum = accumulateGradients(parts.tape, parts.lossOf, 0, accumulation, accumulation);
  return applyUpdate(parts, lossSum / accumulation, lr);
}

/**
 * Backward of micro-batches `from` … `to − 1` of an update of `micros`, each scaled by
 * 1/micros, ADDED to the gradients (zero them first); returns the sum of their objectives.
 * A data-parallel update runs this on every worker for its share of the micro-batches.
 */
export function accumulateGradients(tape: Tape, lossOf: (tape: Tape, micro: number) => Tensor, from: number, to: number, micros: number): number {
  let lossSum = 0;
  for (let m = from; m < to; m++) {
    try {
      const loss = lossOf(tape, m);
      lossSum += tape.scalar(loss);
      tape.backward(micros === 1 ? loss : ops.scale(tape, loss, 1 / micros));
    } finally {
      tape.reset();
    }
  }
  return lossSum;
}

/** The rest of the update once the gradients hold the mean over its micro-batches: hooks, clipping, optimizer, schedule. */
export function applyUpdate(parts: Omit<StepParts, 'lossOf' | 'tape'>, loss: number, lr: number): StepResult {
  const { parameters, optimizer } = parts;
  parts.afterBackward?.();
  const max = parts.maxGradNorm ?? null;
  const norm = max === null ? gradNorm(parameters as Parameter[]) : clipGradNorm(parameters as Parameter[], max);
  parts.beforeUpdate?.();
  const applied = optimizer.step();
  parts.afterUpdate?.();
  parts.scheduler?.step();
  return { loss, lr, gradNorm: norm, applied };
}
