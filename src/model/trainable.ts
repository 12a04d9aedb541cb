/**
 * The DagNN as a trainable model: the Trainer's model contract (src/train/contract.ts) over
 * curriculum records. The loss is recordsLoss (one encoder pass, each record to the head that
 * answers it); the metrics are evaluateRecords' (exact GED of the decoded answer, accuracy,
 * equivalence). Prediction goes straight to the network.
 */
import type { Parameter, Tape, Tensor } from '../autograd/index';
import type { Backend } from '../backend/index';
import type { DatasetRecord } from '../data/record';
import type { CompactGraph, MathGraph } from '../graph/index';
import { DagNN, type DagNNOptions } from './dagnn';
import { evaluateRecords, recordsLoss, type Evaluation, type RecordsLossOptions } from './loss';
import type { PlanInput } from './plan';

export interface DagNNModelOptions extends DagNNOptions {
  /** options of the training loss (recordsLoss: GED weight, auxiliary weight, …) */
  loss?: RecordsLossOptions;
}

export class DagNNModel {
  /** the network */
  readonly net: DagNN;
  readonly lossOptions: RecordsLossOptions;

  constructor(backend: Backend, options: DagNNModelOptions) {
    const { loss, ...net } = options;
    this.net = new DagNN(backend, net);
    this.lossOptions = { ...loss };
  }

  get backend(): Backend {
    return this.net.backend;
  }

  parameters(): Parameter[] {
    return this.net.parameters();
  }

  loss(tape: Tape, batch: readonly DatasetRecord[]): Tensor {
    return recordsLoss(tape, this.net, batch, this.lossOptions).loss;
  }

  evaluate(records: readonly DatasetRecord[]): Evaluation & Record<string, number> {
    return { ...evaluateRecords(this.net, records) };
  }

  stateDict(): Record<string, Float32Array> {
    return this.net.stateDict();
  }

  loadStateDict(state: Readonly<Record<string, ArrayLike<number>>>): void {
    this.net.loadStateDict(state);
  }

  /** The network's answer for one input (see DagNN.predict). */
  predict(input: string | MathGraph | CompactGraph, bindings?: Readonly<Record<string, number>>): MathGraph {
    return this.net.predict(input, bindings);
  }

  predictBatch(inputs: readonly PlanInput[]): MathGraph[] {
    return this.net.predictBatch(inputs);
  }
}
