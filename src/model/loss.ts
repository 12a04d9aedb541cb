/**
 * Training losses (numeric head; tree decoder: decoderLoss, teacher-forced, see ./decoder.ts),
 * their one entry point recordsLoss, and the evaluation metric.
 *
 * LOSS. Every numeric answer is a one-node target graph (int or float, compared by value),
 * and the prediction is one slot per graph: type logits over {int, float} and the root's
 * value. The GED loss (src/ged/loss.ts) with the identity mapping is then, per graph,
 *     nodeType·(1 − π[t]) + π[t]·log2(1 + ((v − y)/τ)²),    τ = 1e-3,
 * an upper bound of the expected edit cost. Its value term has gradient ≈ 2/(ln2·(v − y))
 * far from the target (weak, though Adam rescales it) and is sharp within τ of it.
 * TYPE ESCAPE. In that product the type probability multiplies the value term, so while the
 * value is still far off (log2(1 + (d/τ)²) ≈ 30 for d = 1) the cheapest move is π[t] → 0:
 * predicting the WRONG type caps the loss at nodeType (measured: the GED loss sat at 1.002
 * with accuracy 0). So the GED loss sees the type logits as constants (detached) and the
 * type head is trained by its own cross-entropy; the value still gets π[t]·∂V/∂v.
 * AUXILIARY TERM (documented, optional): auxWeight · mean(((v − y)/auxScale)²), a squared
 * error whose gradient grows with the distance; it is what moves the value units quickly
 * while the GED term polishes the last digits. auxWeight 0 trains on GED alone. A RELATIVE
 * error ((v − y)/(1 + |y|))² was tried first and measured failing on `−`: it weights the
 * answers near 0 most, where a − b ≈ 0 is also fitted by w = 0, so − weights stayed ≈ 0.
 *
 * TRAINING τ: see NumericLossOptions.tau (relaxed by default, measured there).
 *
 * METRIC. The exact tree edit distance between the decoded answer graph and the record's
 * result_graph (DESIGN evaluation protocol); accuracy = share of GED 0.
 */
import { ops, type Tape, type Tensor } from '../autograd/index';
import type { DatasetRecord } from '../data/record';
import { GraphemeError } from '../errors';
import { gedLoss, identityMapping, type LossGraphSpec } from '../ged/loss';
import { treeEditDistanceBatch } from '../ged/ted';
import { numericallyEquivalent } from '../engine/equivalence';
import { MathGraph, TYPE_CODE } from '../graph/index';
import { encoderView, type DagNN, type DagNNOutput } from './dagnn';
import { answersSymbolically, decoderTree, DecoderTargetError, OTHER_NUMBER, signedLog, type DecoderNode } from './decoder';
import { buildPlan, type PlanInput } from './plan';

export class TargetError extends GraphemeError {}

/** A numeric answer as the head predicts it: type code (0 int, 1 float) and value. */
export interface NumericTarget {
  type: 0 | 1;
  value: number;
}

/** The numeric target of a record; a symbolic answer is a typed error (the tree decoder's job). */
export function numericTarget(record: Pick<DatasetRecord, 'id' | 'result_graph'>): NumericTarget {
  const g = record.result_graph;
  const node = g.nodes[0];
  if (g.nodes.length !== 1 || (node.type !== 'int' && node.type !== 'float')) {
    throw new TargetError(`record ${record.id}: result_graph is not a single number (symbolic answers are the tree decoder's: only \`derive\` inputs go there)`);
  }
  return { type: TYPE_CODE[node.type] as 0 | 1, value: Number(node.value) };
}

/** The plan input of a record: its graph and bindings. */
export function planInput(record: Pick<DatasetRecord, 'graph' | 'bindings'>): PlanInput {
  return { graph: MathGraph.fromJSON(record.graph), bindings: record.bindings };
}

export interface NumericLossOptions {
  /** weight of the auxiliary relative squared error (default 1; 0 = GED loss only) */
  auxWeight?: number;
  /**
   * τ of the GED value term during training (default 10, relaxed; the DESIGN τ is 1e-3,
   * whose gradient, up to 1/(τ·ln2) per graph near a target, swamps everything under Adam's
   * normalisation: docs/experiments.md). With τ = 10 the term is a Cauchy-type robust
   * regression, no longer an upper bound of the edit cost for |v − y| < τ; the METRIC stays
   * the exact GED of the decoded answer.
   */
  tau?: number;
  /** the auxiliary term divides value errors by this (default 100) */
  auxScale?: number;
  /**
   * The GED term sees the type logits as constants (default true, see TYPE ESCAPE). false
   * differentiates the GED loss fully (gradient checks: a stop-gradient is invisible to
   * finite differences).
   */
  detachType?: boolean;
  /** weight of the GED term in the objective (default 1) */
  gedWeight?: number;
}

export interface NumericLoss {
  /** the training objective: gedWeight · ged + type + auxWeight · aux, 1 × 1 */
  loss: Tensor;
  /** the GED loss (type probabilities as constants, see the header) */
  ged: Tensor;
  /** cross-entropy of the type logits */
  type: Tensor;
  aux: Tensor | null;
}

export function numericLoss(tape: Tape, out: DagNNOutput, targets: readonly NumericTarget[], options: NumericLossOptions = {}): NumericLoss {
  const auxWeight = options.auxWeight ?? 1;
  if (targets.length !== out.plan.graphCount) throw new TargetError(`numericLoss: ${targets.length} targets for ${out.plan.graphCount} graphs`);
  const n = targets.length;
  const graphs: LossGraphSpec[] = targets.map((t) => ({ slots: 1, target: { nodes: [{ type: t.type, label: -1, value: t.value }], edges: [] }, map: [0] }));
  const ged = gedLoss(tape, { typeLogits: options.detachType === false ? out.typeLogits : ops.detach(tape, out.typeLogits), values: out.values }, graphs, { costs: { tau: options.tau ?? 10 } });
  const type = ops.softmaxCrossEntropy(tape, out.typeLogits, Int32Array.from(targets, (t) => t.type));
  const gedWeight = options.gedWeight ?? 1;
  const objective = ops.add(tape, gedWeight === 1 ? ged : ops.scale(tape, ged, gedWeight), type);
  if (auxWeight === 0) return { loss: objective, ged, type, aux: null };
  const scale = options.auxScale ?? 100;
  const scaled = ops.scale(tape, out.values, 1 / scale);
  const aux = ops.mseLoss(tape, scaled, ops.constant(tape, Float32Array.from(targets, (t) => t.value / scale), n, 1));
  return { loss: ops.add(tape, objective, ops.scale(tape, aux, auxWeight)), ged, type, aux };
}

export interface DecoderLossOptions {
  /**
   * weight of the cross-entropy of the type and label heads (mean over target nodes) added
   * to the GED loss (default 1; 0 = GED loss only; docs/experiments.md).
   */
  crossEntropyWeight?: number;
  /** weight of the value head's squared error on OTHER_NUMBER nodes (default 1) */
  valueWeight?: number;
  /** one-node numeric answers get the label SLOPE (default true; ./decoder.ts; docs/experiments.md) */
  slope?: boolean;
}

export interface DecoderLoss {
  /** gedWeight · ged + crossEntropyWeight · crossEntropy + valueWeight · value, 1 × 1 */
  loss: Tensor;
  /** the GED loss of the teacher-forced trees (mean over trees) */
  ged: Tensor;
  crossEntropy: Tensor | null;
  value: Tensor | null;
}

/**
 * The tree decoder's loss for the graphs `graphs` of a forward pass (plan indices) against
 * their target trees (decoderTree), teacher-forced: see ./decoder.ts.
 */
export function decoderLoss(tape: Tape, model: DagNN, out: DagNNOutput, graphs: readonly number[], trees: readonly (readonly DecoderNode[])[], options: DecoderLossOptions & { gedWeight?: number } = {}): DecoderLoss {
  if (graphs.length !== trees.length || graphs.length === 0) throw new TargetError(`decoderLoss: ${trees.length} target trees for ${graphs.length} graphs`);
  const heads = model.decoder.teacherForced(tape, encoderView(out, graphs), trees);
  const specs: LossGraphSpec[] = trees.map((tree) => ({
    slots: tree.length,
    target: { nodes: tree.map((n) => ({ type: n.type, label: n.label, value: 0 })), edges: [] },
    map: identityMapping(tree.length, tree.length),
  }));
  const ged = gedLoss(tape, { typeLogits: heads.typeLogits, labelLogits: heads.labelLogits }, specs);
  const gedWeight = options.gedWeight ?? 1;
  let loss = gedWeight === 1 ? ged : ops.scale(tape, ged, gedWeight);
  const nodes = trees.flat();
  const ceWeight = options.crossEntropyWeight ?? 1;
  let crossEntropy: Tensor | null = null;
  if (ceWeight > 0) {
    crossEntropy = ops.add(
      tape,
      ops.softmaxCrossEntropy(tape, heads.typeLogits, Int32Array.from(nodes, (n) => n.type)),
      ops.softmaxCrossEntropy(tape, heads.labelLogits, Int32Array.from(nodes, (n) => n.label)),
    );
    loss = ops.add(tape, loss, ops.scale(tape, crossEntropy, ceWeight));
  }
  const valueWeight = options.valueWeight ?? 1;
  const other = nodes.flatMap((n, i) => (n.label === OTHER_NUMBER ? [i] : []));
  let value: Tensor | null = null;
  if (valueWeight > 0 && other.length > 0) {
    const predicted = ops.gatherRows(tape, heads.values, Int32Array.from(other));
    value = ops.mseLoss(tape, predicted, ops.constant(tape, Float32Array.from(other, (i) => signedLog(nodes[i].value)), other.length, 1));
    // per tree, like the other terms: the squared error summed over OTHER nodes, mean over trees
    loss = ops.add(tape, loss, ops.scale(tape, value, (valueWeight * other.length) / trees.length));
  }
  return { loss, ged, crossEntropy, value };
}

/** Options of recordsLoss: those of every head's loss. */
export type RecordsLossOptions = NumericLossOptions & DecoderLossOptions;

/**
 * THE TRAINING LOSS OF A BATCH OF RECORDS, whatever their answer kind: the one entry point
 * the Trainer calls. One encoder forward over the whole batch; then each record goes to
 * the head that answers it in prediction too (answersSymbolically: a `derive` input goes to
 * the tree decoder, every other input to the numeric head), and the objective is the
 * record-weighted mean of the heads' losses: (n_numeric·numeric + n_tree·tree) / n, plus the
 * task heads' own objectives (DagNNOutput.headLoss: the root head's iterate supervision).
 * A record whose answer its head cannot express is a TargetError naming it.
 */
export function recordsLoss(tape: Tape, model: DagNN, records: readonly DatasetRecord[], options: RecordsLossOptions = {}): { loss: Tensor; numeric: NumericLoss | null; tree: DecoderLoss | null } {
  const inputs = records.map(planInput);
  const out = model.forward(tape, buildPlan(inputs), records.map((r) => r.result_numeric ?? NaN));
  const symbolic: number[] = [];
  const numeric: number[] = [];
  inputs.forEach((input, i) => (answersSymbolically(input) ? symbolic : numeric).push(i));
  const n = records.length;
  let numericPart: NumericLoss | null = null;
  let treePart: DecoderLoss | null = null;
  if (numeric.length > 0) {
    const sub = numeric.length === n ? out : selectGraphs(tape, out, numeric);
    numericPart = numericLoss(tape, sub, numeric.map((i) => numericTarget(records[i])), options);
  }
  if (symbolic.length > 0) {
    const trees = symbolic.map((i) => {
      try {
        return decoderTree(records[i].result_graph, `record ${records[i].id}: result_graph`, options.slope ?? true);
      } catch (e) {
        throw e instanceof DecoderTargetError ? new TargetError(e.message) : e;
      }
    });
    treePart = decoderLoss(tape, model, out, symbolic, trees, options);
  }
  const weighted = (part: { loss: Tensor } | null, count: number) => (part === null ? null : count === n ? part.loss : ops.scale(tape, part.loss, count / n));
  const parts = [weighted(numericPart, numeric.length), weighted(treePart, symbolic.length), out.headLoss ?? null].filter((t): t is Tensor => t !== null);
  const loss = parts.reduce((a, b) => ops.add(tape, a, b));
  return { loss, numeric: numericPart, tree: treePart };
}

/** The numeric-head outputs of some graphs of a forward pass (what numericLoss reads). */
function selectGraphs(tape: Tape, out: DagNNOutput, graphs: readonly number[]): DagNNOutput {
  const rows = Int32Array.from(graphs);
  return {
    ...out,
    plan: { ...out.plan, graphCount: graphs.length, rootRows: Int32Array.from(graphs, (g) => out.plan.rootRows[g]) },
    typeLogits: ops.gatherRows(tape, out.typeLogits, rows),
    values: ops.gatherRows(tape, out.values, rows),
    rootStates: ops.gatherRows(tape, out.rootStates, rows),
  };
}

export interface Evaluation {
  count: number;
  /** share of records whose decoded answer is at GED 0 from the target */
  accuracy: number;
  meanGed: number;
  /**
   * share of records whose decoded answer is equivalent to the target, checked numerically
   * at random points by the engine (DESIGN evaluation protocol; src/engine/equivalence.ts).
   * For numeric answers: the same number within 1e-6 relative, whatever its int/float type.
   */
  equivalence: number;
}

/** Exact GED and equivalence of the decoded answers against the records' result graphs, in batches. */
export function evaluateRecords(model: DagNN, records: readonly DatasetRecord[], batchSize = 256): Evaluation {
  let correct = 0;
  let equivalent = 0;
  let total = 0;
  for (let i = 0; i < records.length; i += batchSize) {
    const chunk = records.slice(i, i + batchSize);
    const predicted = model.predictBatch(chunk.map(planInput));
    const targets = chunk.map((r) => MathGraph.fromJSON(r.result_graph));
    // the exact GED runs on the model's own backend (wasm when the model is on wasm), in the
    // scratch above the step arena that predictBatch has just reset
    const distances = treeEditDistanceBatch(chunk.map((_, j) => [predicted[j], targets[j]] as const), undefined, { backend: model.backend });
    distances.forEach((d, j) => {
      total += d;
      if (d === 0) correct++;
      if (d === 0 || numericallyEquivalent(predicted[j].toExpr(), targets[j].toExpr())) equivalent++;
    });
  }
  const n = Math.max(1, records.length);
  return { count: records.length, accuracy: correct / n, meanGed: total / n, equivalence: equivalent / n };
}

/** Mean |v − y| over the records with numeric answers (each capped at 1000; float64 root values when the model has them). */
export function numericError(model: DagNN, records: readonly DatasetRecord[], tape: Tape, batchSize = 256): number {
  const numeric = records.filter((r) => r.result_graph.nodes.length === 1 && (r.result_graph.nodes[0].type === 'int' || r.result_graph.nodes[0].type === 'float'));
  let sum = 0;
  for (let i = 0; i < numeric.length; i += batchSize) {
    const part = numeric.slice(i, i + batchSize);
    try {
      const out = model.forward(tape, buildPlan(part.map(planInput)));
      const values = out.values64 ?? tape.values(out.values);
      part.forEach((r, j) => {
        const d = Math.abs(values[j] - Number(r.result_graph.nodes[0].value));
        sum += Number.isFinite(d) ? Math.min(d, 1e3) : 1e3;
      });
    } finally {
      tape.reset();
    }
  }
  return sum / Math.max(1, numeric.length);
}

/** evaluateRecords per curriculum level (keys in ascending level order). */
export function evaluateByLevel(model: DagNN, records: readonly DatasetRecord[], batchSize = 256): Map<number, Evaluation> {
  const byLevel = new Map<number, DatasetRecord[]>();
  for (const r of records) {
    const list = byLevel.get(r.level);
    if (list) list.push(r);
    else byLevel.set(r.level, [r]);
  }
  return new Map([...byLevel.keys()].sort((a, b) => a - b).map((level) => [level, evaluateRecords(model, byLevel.get(level)!, batchSize)]));
}
