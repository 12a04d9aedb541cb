/**
 * Probes: the value stream of subexpressions of a batch of inputs with their variable bound to
 * chosen values, over the value path only (no hidden states), level-batched like every pass.
 *
 * A ValueProbe replicates each input `copies` times in ONE plan (copy c of input i is plan
 * graph c·B + i; the inputs' plan is built once and replicated: ./plan.ts, replicatePlan),
 * with the variable at 0 in every copy until bound, and remembers the plan slots of the
 * variable's leaves, so `bind(xs)` rebinds every copy in place (xs[c·B + i], no new plan) and
 * the heads run
 *     hostValueStream(plan)   float64 values (+ forward-mode dv/dx with `seed()`), no tape, or
 *     valueStream(tape, plan) the same values as a tape op whose backward reaches the weights,
 * then read the probed expressions at `rows(e)`. The integration head probes f at K points
 * (copies = K); the root head probes g = lhs − rhs once per iteration (copies = 1); SLOPE
 * probes f at 0 and 1 (copies = 2).
 */
import { GraphemeError } from '../errors';
import { TYPE_CODE } from '../graph/index';
import { buildPlan, compactOf, replicatePlan, type BatchPlan, type PlanInput } from './plan';

export class ProbeError extends GraphemeError {}

export interface ProbeTarget {
  /** node ids of the probed subexpressions, the same count for every input */
  exprs: readonly number[];
  /** the variable to bind */
  variable: string;
}

export class ValueProbe {
  readonly plan: BatchPlan;
  /** inputs per copy */
  readonly graphs: number;
  private readonly rowsByExpr: Int32Array[];
  /** the variable's leaves, one entry per leaf of every probe graph: its group (index in plan.groups), its index in the group and its probe graph (c·B + i) */
  private readonly slotGroup: Int32Array;
  private readonly slotLocal: Int32Array;
  private readonly slotGraph: Int32Array;

  constructor(
    inputs: readonly PlanInput[],
    targets: readonly ProbeTarget[],
    readonly copies: number,
  ) {
    if (inputs.length === 0 || inputs.length !== targets.length) throw new ProbeError(`ValueProbe: ${targets.length} targets for ${inputs.length} inputs`);
    if (!Number.isInteger(copies) || copies < 1) throw new ProbeError(`ValueProbe: copies must be a positive integer, got ${copies}`);
    const B = inputs.length;
    this.graphs = B;
    const exprCount = targets[0].exprs.length;
    if (targets.some((t) => t.exprs.length !== exprCount)) throw new ProbeError('ValueProbe: every input needs the same number of probed expressions');
    // the inputs once, the variable bound to 0, then their plan replicated (equal to the plan of
    // the repeated inputs: plan.ts, replicatePlan)
    const compacts = inputs.map((input) => compactOf(input.graph));
    const bound: PlanInput[] = inputs.map((input, i) => ({ ...input, graph: compacts[i], bindings: { ...input.bindings, [targets[i].variable]: 0 } }));
    const single = buildPlan(bound);
    this.plan = replicatePlan(single, copies);
    this.rowsByExpr = [];
    for (let e = 0; e < exprCount; e++) {
      const rows = new Int32Array(copies * B);
      for (let p = 0; p < copies * B; p++) rows[p] = this.plan.rowOf[p][targets[p % B].exprs[e]];
      this.rowsByExpr.push(rows);
    }
    // the variable's leaves (symbol nodes named like the variable) in the single plan, then per copy
    const groupOfRow = new Int32Array(single.nodeCount);
    single.groups.forEach((group, k) => groupOfRow.fill(k, group.start, group.start + group.count));
    const group: number[] = [];
    const local: number[] = [];
    const graph: number[] = [];
    for (let i = 0; i < B; i++) {
      const c = compacts[i];
      const variable = targets[i].variable;
      for (let id = 0; id < c.size; id++) {
        if (c.typeCode[id] !== TYPE_CODE.symbol || c.labels[id] !== variable) continue;
        const row = single.rowOf[i][id];
        const k = groupOfRow[row];
        group.push(k);
        local.push(row - single.groups[k].start);
        graph.push(i);
      }
    }
    const n = group.length;
    this.slotGroup = new Int32Array(copies * n);
    this.slotLocal = new Int32Array(copies * n);
    this.slotGraph = new Int32Array(copies * n);
    for (let cp = 0; cp < copies; cp++) {
      for (let j = 0; j < n; j++) {
        const at = cp * n + j;
        this.slotGroup[at] = group[j];
        this.slotLocal[at] = cp * single.groups[group[j]].count + local[j];
        this.slotGraph[at] = cp * B + graph[j];
      }
    }
  }

  /** The plan rows of probed expression `e` in every probe graph (copy c of input i at c·B + i). */
  rows(e = 0): Int32Array {
    return this.rowsByExpr[e];
  }

  /** Binds the variable of probe graph p to xs[p] (length copies · B). */
  bind(xs: ArrayLike<number>): void {
    if (xs.length !== this.copies * this.graphs) throw new ProbeError(`ValueProbe.bind: ${xs.length} values for ${this.copies * this.graphs} probe graphs`);
    const groups = this.plan.groups;
    for (let j = 0; j < this.slotGroup.length; j++) groups[this.slotGroup[j]].leafValues[this.slotLocal[j]] = xs[this.slotGraph[j]];
  }

  /** The forward-mode seed of the variable: 1 on its leaves' rows, 0 elsewhere (dv/dx). */
  seed(): Float64Array {
    const seed = new Float64Array(this.plan.nodeCount);
    const groups = this.plan.groups;
    for (let j = 0; j < this.slotGroup.length; j++) seed[groups[this.slotGroup[j]].start + this.slotLocal[j]] = 1;
    return seed;
  }
}
