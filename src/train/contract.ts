/**
 * The model contract: what the Trainer needs of any model. The DagNN (src/model/trainable.ts)
 * is one implementation; a user's MLP (examples/custom-model.ts) is another. The Trainer
 * brings the loop, the optimizer and schedule, checkpoints, best weights, early stopping,
 * events and metrics; the model brings only its parameters, its loss and its metrics.
 *
 * The record source (the data contract) is src/data/source.ts.
 */
import type { Parameter, Tape, Tensor } from '../autograd/index';

/**
 * Figures of a model on some records. `accuracy` (0…1), when present, drives best-weights
 * selection by default. Every figure but `count` is a mean over the records: the Trainer
 * evaluates held-out records in chunks (on several workers) and merges them weighted by count.
 */
export type ModelMetrics = { count: number; accuracy?: number } & Record<string, number>;

export interface TrainableModel<R> {
  /**
   * Every trainable parameter in a fixed order, each with a unique name (the checkpoint's keys).
   * A model that writes its weights itself does it through `data`, `writeData()` or `dataPtr`
   * (not a view from readData() or a kernel at `ptr`): with workers, only tensors written those
   * ways reach the replicas (Parameter, WEIGHT WRITES).
   */
  parameters(): Parameter[];
  /**
   * The training objective of a batch: a 1 × 1 tensor on `tape`, the mean over the batch.
   * The Trainer calls backward on it; records are whatever the record source yields.
   */
  loss(tape: Tape, batch: readonly R[]): Tensor;
  /**
   * The model's figures on held-out records, forward only. It may use its own tape or the
   * backend's step arena, never across a call. `count` is records.length.
   */
  evaluate(records: readonly R[]): ModelMetrics;
  /**
   * Optional, for data-parallel training: state besides the parameters that the loss depends
   * on and the Trainer's hooks change (e.g. the DagNN's per-kind unit bounds), as a JSON-able
   * value (NaN and ±Infinity allowed). Every worker's replica loads the leader's before it
   * computes, so all workers compute the same function.
   */
  sharedState?(): unknown;
  loadSharedState?(state: unknown): void;
}

/** Parameter names must be unique: they key the weights in checkpoints and state dicts. */
export function checkParameterNames(params: readonly Parameter[]): string | null {
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.name)) return `two parameters are named '${p.name}': names key the checkpoint`;
    seen.add(p.name);
  }
  return null;
}
