/**
 * Regularisers and constraints over Parameters, as small composable pieces (Optax-like): each
 * reads or writes the parameters' values and gradients between backward and the optimizer
 * step, and knows nothing of the model. What they are for (DESIGN principle 11): driving the
 * value units' weights to EXACT values — a weight of 1e-6 that should be 0 costs answers
 * once it compounds through depth.
 *
 *   per update:   backward → nauSparsity(params, rampedWeight(…), mask) → clip →
 *                 mask.maskGrads() → optimizer.step() → mask.restore() → clampValues(…)
 *   now and then: const undo = snapToLattice(params, eps, lattice, mask);
 *                 if (some level's validation accuracy fell) undoSnap(undo, mask);
 *
 * nauSparsity: the NAU sparsity regulariser (Madsen & Johansen, "Neural Arithmetic Units",
 *   ICLR 2020), R = mean over elements of min(|w|, 1 − |w|), which is 0 exactly on {−1, 0, 1}
 *   and pulls every weight to its nearest such point; its weight is ramped linearly between
 *   two steps (rampedWeight, the paper's λ schedule) so the fit comes first.
 * clampValues: keeps weights in [lo, hi] (NAU clamps to [−1, 1]).
 * FreezeMask: element-wise freezing that any optimizer honours: frozen elements get zero
 *   gradient before the step and their value written back after it (so Adam's momentum
 *   cannot move them either).
 * snapToLattice: weights within ε of a lattice point are set to it exactly and frozen;
 *   returns an undo record, so a snap that costs validation accuracy can be reverted.
 */
import type { Parameter } from '../autograd/parameter';
import type { Optimizer, BaseOptions } from './optimizer';

/** Element-wise frozen flags and the values frozen elements are held at. */
export class FreezeMask {
  private readonly entries = new Map<Parameter, { frozen: Uint8Array; values: Float32Array }>();

  private entry(p: Parameter) {
    let e = this.entries.get(p);
    if (!e) this.entries.set(p, (e = { frozen: new Uint8Array(p.size), values: new Float32Array(p.size) }));
    return e;
  }

  /** Freezes element i of p at `value` (default: its current value), and sets it. */
  freeze(p: Parameter, i: number, value = p.data[i]): void {
    const e = this.entry(p);
    e.frozen[i] = 1;
    e.values[i] = value;
    p.data[i] = value;
  }

  unfreeze(p: Parameter, i: number): void {
    const e = this.entries.get(p);
    if (e) e.frozen[i] = 0;
  }

  isFrozen(p: Parameter, i: number): boolean {
    return this.entries.get(p)?.frozen[i] === 1;
  }

  /** How many elements are frozen (of `params`, or of all). */
  count(params?: readonly Parameter[]): number {
    let n = 0;
    for (const [p, e] of this.entries) if (!params || params.includes(p)) for (const f of e.frozen) n += f;
    return n;
  }

  /** Zeroes the gradient of every frozen element (call before the optimizer step). */
  maskGrads(): void {
    for (const [p, e] of this.entries) {
      const g = p.grad;
      for (let i = 0; i < p.size; i++) if (e.frozen[i]) g[i] = 0;
    }
  }

  /** Writes every frozen element's value back (call after the optimizer step). */
  restore(): void {
    for (const [p, e] of this.entries) {
      const d = p.data;
      for (let i = 0; i < p.size; i++) if (e.frozen[i]) d[i] = e.values[i];
    }
  }

  /** The flags as plain data (checkpoints): parameter name → frozen indices and values. */
  stateDict(): Record<string, { indices: number[]; values: number[] }> {
    const out: Record<string, { indices: number[]; values: number[] }> = {};
    for (const [p, e] of this.entries) {
      const indices = [...e.frozen.keys()].filter((i) => e.frozen[i]);
      if (indices.length > 0) out[p.name] = { indices, values: indices.map((i) => e.values[i]) };
    }
    return out;
  }
}

/**
 * Adds weight · ∂R/∂w of R = mean(min(|w|, |1 − |w||)) over the (unfrozen) elements of
 * `params` to their gradients; returns weight · R. On [−1, 1] this is the NAU's
 * min(|w|, 1 − |w|); outside it pulls back to ±1 instead of pushing out. Subgradient:
 * sign(w) for |w| < ½ and |w| > 1, −sign(w) for ½ < |w| < 1 (0 at w = 0 and |w| = ½).
 */
export function nauSparsity(params: readonly Parameter[], weight: number, mask?: FreezeMask): number {
  let count = 0;
  for (const p of params) count += p.size;
  if (count === 0) return 0;
  let sum = 0;
  const scale = weight / count;
  for (const p of params) {
    const w = p.data;
    const g = p.grad;
    for (let i = 0; i < p.size; i++) {
      const a = Math.abs(w[i]);
      sum += Math.min(a, Math.abs(1 - a));
      if (weight === 0 || mask?.isFrozen(p, i)) continue;
      const s = Math.sign(w[i]);
      g[i] += scale * (a < 0.5 ? s : a > 1 ? s : a > 0.5 ? -s : 0);
    }
  }
  return (weight * sum) / count;
}

/**
 * The NAU schedule of a regulariser's weight: 0 before `start`, rising linearly to `max` at
 * `end`, held after (start === end: a step).
 */
export function rampedWeight(step: number, start: number, end: number, max: number): number {
  if (step < start) return 0;
  if (step >= end) return max;
  return (max * (step - start)) / (end - start);
}

/** Clamps every value of `params` into [lo, hi]. */
export function clampValues(params: readonly Parameter[], lo: number, hi: number): void {
  for (const p of params) {
    const d = p.data;
    for (let i = 0; i < p.size; i++) d[i] = Math.min(hi, Math.max(lo, d[i]));
  }
}

/** The lattice a snap rounds to: {−1, 0, 1}, all integers, or an explicit list of points. */
export type Lattice = 'ternary' | 'integers' | readonly number[];

function nearest(x: number, lattice: Lattice): number {
  if (lattice === 'integers') return Math.round(x);
  const points = lattice === 'ternary' ? [-1, 0, 1] : lattice;
  let best = points[0];
  for (const q of points) if (Math.abs(x - q) < Math.abs(x - best)) best = q;
  return best;
}

/** What snapToLattice changed: undoSnap puts it back. */
export interface SnapRecord {
  entries: { param: Parameter; index: number; previous: number; snapped: number }[];
}

/**
 * Every unfrozen element of `params` within `eps` of its nearest lattice point is set to that
 * point exactly and frozen in `mask`. `filter(param, index, value, target)` may veto single
 * elements. Returns what changed.
 */
export function snapToLattice(
  params: readonly Parameter[],
  eps: number,
  lattice: Lattice,
  mask: FreezeMask,
  filter?: (param: Parameter, index: number, value: number, target: number) => boolean,
): SnapRecord {
  const entries: SnapRecord['entries'] = [];
  for (const p of params) {
    const d = p.data;
    for (let i = 0; i < p.size; i++) {
      if (mask.isFrozen(p, i)) continue;
      const target = nearest(d[i], lattice);
      if (Math.abs(d[i] - target) > eps) continue;
      if (filter && !filter(p, i, d[i], target)) continue;
      entries.push({ param: p, index: i, previous: d[i], snapped: target });
      mask.freeze(p, i, target);
    }
  }
  return { entries };
}

/** Reverts a snap: the previous values come back and the elements are unfrozen. */
export function undoSnap(record: SnapRecord, mask: FreezeMask): void {
  for (const { param, index, previous } of record.entries) {
    mask.unfreeze(param, index);
    param.data[index] = previous;
  }
}

/**
 * Per-group learning rates: group g gets base · multipliers[g] (0 freezes a whole group).
 * The groups are the optimizer's parameter groups, built e.g. from DagNN.parameterRoles().
 */
export function setGroupLrs<O extends BaseOptions>(optimizer: Optimizer<O>, base: number, multipliers: readonly number[]): void {
  multipliers.forEach((m, g) => optimizer.setLr(base * m, g));
}
