/**
 * The DagNN as a trainable model: the Trainer's model contract (src/train/contract.ts) over
 * curriculum records. The loss is recordsLoss (one encoder pass, each record to the head that
 * answers it); the metrics are evaluateRecords' (exact GED of the decoded answer, accuracy,
 * equivalence). Prediction goes straight to the network.
 */
import { Tape, type Parameter, type Tensor } from '../autograd/index';
import type { Backend } from '../backend/index';
import type { DatasetRecord } from '../data/record';
import type { CompactGraph, MathGraph } from '../graph/index';
import { DagNN, type DagNNOptions } from './dagnn';
import { KIND_NAMES } from './plan';
import { evaluateRecords, numericError, planInput, recordsLoss, type Evaluation, type RecordsLossOptions } from './loss';
import { fitQuadrature, routeOf } from './heads';
import type { FreezeMask } from '../optim/constraints';
import type { PlanInput } from './plan';

export interface DagNNModelOptions extends DagNNOptions {
  /** options of the training loss (recordsLoss: GED weight, auxiliary weight, …) */
  loss?: RecordsLossOptions;
}

/** The unit bound while value weights are still fitted (iNALU-like; lifted once all are snapped). */
export const UNIT_BOUND_WHILE_FITTING = 1000;

export class DagNNModel {
  /** the network */
  readonly net: DagNN;
  readonly lossOptions: RecordsLossOptions;

  /** the exact value path (typeHead 'exact'): gates() bounds and gates while fitting */
  private readonly exactPath: boolean;
  private tape: Tape | null = null;
  private kindParams: [number, Parameter[]][] | null = null;

  constructor(backend: Backend, options: DagNNModelOptions) {
    const { loss, ...net } = options;
    this.net = new DagNN(backend, net);
    this.lossOptions = { ...loss };
    this.exactPath = options.typeHead === 'exact';
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

  /** What the loss depends on besides the weights: the per-kind unit bounds that gates() sets (replicas load the leader's). */
  sharedState(): { unitBounds: Record<string, number> } {
    return { unitBounds: { ...this.net.unitBounds } };
  }

  loadSharedState(state: unknown): void {
    const bounds = (state as { unitBounds?: Record<string, number> } | null)?.unitBounds ?? {};
    for (const k of Object.keys(this.net.unitBounds)) delete this.net.unitBounds[k];
    Object.assign(this.net.unitBounds, bounds);
  }

  stateDict(): Record<string, Float32Array> {
    return this.net.stateDict();
  }

  loadStateDict(state: Readonly<Record<string, ArrayLike<number>>>): void {
    this.net.loadStateDict(state);
  }

  /**
   * The parameter groups (optimizer groups, per-group rates, exactness): 'values' (every kind's
   * additive and unit weights), 'exact' (the per-kind floatness of typeHead 'exact'), 'head'
   * (the int/float head), 'state' (the state path), 'decoder', 'quadrature' and 'root' (the task
   * heads' weights: ../model/heads.ts).
   */
  parameterGroups(): Record<string, Parameter[]> {
    const roles = this.net.parameterRoles();
    const groups: Record<string, Parameter[]> = { values: roles.values, exact: roles.exact, head: roles.head, state: roles.state, decoder: roles.decoder };
    if (roles.quadrature.length > 0) groups.quadrature = roles.quadrature;
    if (roles.root.length > 0) groups.root = roles.root;
    return groups;
  }

  /** The sub-groups snapped as one vector: each kind's additive and unit weights together. */
  snapGroups(group: string): [string, Parameter[]][] {
    const params = this.parameterGroups()[group] ?? [];
    const byKind = new Map<string, Parameter[]>();
    for (const p of params) {
      const kind = p.name.slice(0, p.name.lastIndexOf('.'));
      byKind.set(kind, [...(byKind.get(kind) ?? []), p]);
    }
    return [...byKind.entries()];
  }

  /**
   * Before every update, with exactness: while some value weight the data has reached is not
   * frozen, the unit features stay bounded (±unitBound: a weight of 1e-3 on a power feature of
   * 1e6 is an error of 1000) and the type path is GATED (its rate 0: on inexact values the
   * floatness and the int/float head would learn to ignore the value, measured); once every
   * reached value weight is snapped, the type path trains. The bound is per kind: lifted for a
   * kind whose value weights are all snapped, so a later level's new kinds (bounded while they
   * fit) cannot cost an earlier level's large answers. The first update of a phase keeps the
   * type path gated: its batch may reach kinds no batch reached before.
   */
  gates(mask: FreezeMask, active: readonly Parameter[], fresh: boolean): string[] {
    if (!this.exactPath) return [];
    let open = fresh;
    for (const [kind, params] of this.kindValueParams()) {
      const done = params.every((p) => mask.allFrozen(p));
      if (done) this.net.unitBounds[KIND_NAMES[kind]] = Infinity;
      else delete this.net.unitBounds[KIND_NAMES[kind]];
      if (!done && params.some((p) => active.includes(p))) open = true;
    }
    return open ? ['exact', 'head'] : [];
  }

  /** Each kind's value weights (additive and units), by kind index. */
  private kindValueParams(): [number, Parameter[]][] {
    this.kindParams ??= this.snapGroups('values').map(([name, params]) => [KIND_NAMES.indexOf(name), params] as [number, Parameter[]]).filter(([k]) => k >= 0);
    return this.kindParams;
  }

  /**
   * Closed-form fits on probe records (the Trainer's snap points, ../train/exactness.ts): the
   * quadrature weights by robust least squares on the `integrate` records (fitQuadrature,
   * ../model/heads.ts), when there are at least 10.
   */
  refit(records: readonly DatasetRecord[]): { group: string; detail: string; undo: () => void }[] {
    const head = this.net.integration;
    if (head === null) return [];
    const integrals = records.filter((r) => r.result_numeric !== null && Number.isFinite(r.result_numeric) && routeOf(planInput(r)).route === 'integrate');
    if (integrals.length < 10) return [];
    const tape = (this.tape ??= new Tape(this.net.backend));
    try {
      const s = head.sample(tape, integrals.map(planInput), this.net.streamInputs());
      const K = head.K;
      const B = integrals.length;
      const X = new Float64Array(B * K);
      for (let c = 0; c < K; c++) for (let i = 0; i < B; i++) X[i * K + c] = s.spans[i] * s.f64[c * B + i];
      const w = fitQuadrature(X, Float64Array.from(integrals, (r) => r.result_numeric!), K);
      if (!w.every(Number.isFinite)) return [];
      const before = head.weights.readData().slice();
      head.weights.writeData().set(w);
      return [{ group: 'quadrature', detail: `${integrals.length} records`, undo: () => head.weights.writeData().set(before) }];
    } finally {
      tape.reset();
    }
  }

  /** The records whose input has the kind `kind` (an op or function name). */
  probeFor(records: readonly DatasetRecord[], kind: string): DatasetRecord[] {
    return records.filter((r) => r.graph.nodes.some((n) => (n.type === 'op' || n.type === 'fn') && n.value === kind));
  }

  /** Mean |v − y| of the numeric answers (capped at 1000 each): breaks ties between snap candidates of equal accuracy. */
  probeError(records: readonly DatasetRecord[]): number {
    this.tape ??= new Tape(this.net.backend);
    return numericError(this.net, records, this.tape);
  }

  /** The network's answer for one input (see DagNN.predict). */
  predict(input: string | MathGraph | CompactGraph, bindings?: Readonly<Record<string, number>>): MathGraph {
    return this.net.predict(input, bindings);
  }

  predictBatch(inputs: readonly PlanInput[]): MathGraph[] {
    return this.net.predictBatch(inputs);
  }
}
