/**
 * Probes: the value stream of subexpressions of a batch of inputs with their variable bound to
 * chosen values, over the value path only (no hidden states), level-batched like every pass.
 *
 * A ValueProbe replicates each input `copies` times in ONE plan (copy c of input i is plan
 * graph c·B + i) and remembers the plan slots of the variable's leaves, so `bind(xs)` rebinds
 * every copy in place (xs[c·B + i], no new plan) and the heads run
 *     hostValueStream(plan)   float64 values (+ forward-mode dv/dx with `seed()`), no tape, or
 *     valueStream(tape, plan) the same values as a tape op whose backward reaches the weights,
 * then read the probed expressions at `rows(e)`. The integration head probes f at K points
 * (copies = K); the root head probes g = lhs − rhs once per iteration (copies = 1); SLOPE
 * probes f at 0 and 1 (copies = 2).
 */
import { GraphemeError } from '../errors';
import { TYPE_CODE } from '../graph/index';
import { buildPlan, compactOf, type BatchPlan, type PlanGroup, type PlanInput } from './plan';

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
  /** the variable's leaf slots: group, index in the group, probe graph (c·B + i) */
  private readonly slots: { group: PlanGroup; local: number; graph: number }[] = [];

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
    // each input's compact arrays once, shared by its copies (a MathGraph would be converted per copy)
    const compacts = inputs.map((input) => compactOf(input.graph));
    const replicated: PlanInput[] = [];
    for (let c = 0; c < copies; c++) for (let i = 0; i < B; i++) replicated.push({ ...inputs[i], graph: compacts[i], bindings: { ...inputs[i].bindings, [targets[i].variable]: 0 } });
    this.plan = buildPlan(replicated);
    this.rowsByExpr = Array.from({ length: exprCount }, (_, e) => Int32Array.from({ length: copies * B }, (_, p) => this.plan.rowOf[p][targets[p % B].exprs[e]]));
    // the variable's leaves: symbol nodes named like the variable, per probe graph
    const slotOfRow = new Map<number, { group: PlanGroup; local: number }>();
    for (const group of this.plan.groups) if (group.arity === 0) for (let local = 0; local < group.count; local++) slotOfRow.set(group.start + local, { group, local });
    for (let p = 0; p < copies * B; p++) {
      const c = compacts[p % B];
      const variable = targets[p % B].variable;
      for (let id = 0; id < c.size; id++) {
        if (c.typeCode[id] !== TYPE_CODE.symbol || c.labels[id] !== variable) continue;
        this.slots.push({ ...slotOfRow.get(this.plan.rowOf[p][id])!, graph: p });
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
    for (const s of this.slots) s.group.leafValues[s.local] = xs[s.graph];
  }

  /** The forward-mode seed of the variable: 1 on its leaves' rows, 0 elsewhere (dv/dx). */
  seed(): Float64Array {
    const seed = new Float64Array(this.plan.nodeCount);
    for (const s of this.slots) seed[s.group.start + s.local] = 1;
    return seed;
  }
}
