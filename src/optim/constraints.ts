/**
 * Regularisers and constraints over Parameters, as small composable pieces (Optax-like): each
 * reads or writes the parameters' values and gradients between backward and the optimizer
 * step, and knows nothing of the model. What they are for (DESIGN principle 11): driving the
 * value units' weights to EXACT values — a weight of 1e-6 that should be 0 costs answers
 * once it compounds through depth.
 *
 *   per update:   backward → activity.observe(params) → nauSparsity(params, rampedWeight(…), mask) → clip →
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
  /** per parameter: flags, held values, and how many flags are set */
  private readonly entries = new Map<Parameter, { frozen: Uint8Array; values: Float32Array; count: number }>();

  private entry(p: Parameter) {
    let e = this.entries.get(p);
    if (!e) this.entries.set(p, (e = { frozen: new Uint8Array(p.size), values: new Float32Array(p.size), count: 0 }));
    return e;
  }

  /** Freezes element i of p at `value` (default: its current value), and sets it. */
  freeze(p: Parameter, i: number, value = p.readData()[i]): void {
    const e = this.entry(p);
    e.count += 1 - e.frozen[i];
    e.frozen[i] = 1;
    e.values[i] = value;
    p.writeData()[i] = value;
  }

  unfreeze(p: Parameter, i: number): void {
    const e = this.entries.get(p);
    if (e) {
      e.count -= e.frozen[i];
      e.frozen[i] = 0;
    }
  }

  isFrozen(p: Parameter, i: number): boolean {
    return this.entries.get(p)?.frozen[i] === 1;
  }

  /** Whether every element of p is frozen. */
  allFrozen(p: Parameter): boolean {
    return (this.entries.get(p)?.count ?? 0) === p.size;
  }

  /** How many elements are frozen (of `params`, or of all). */
  count(params?: readonly Parameter[]): number {
    let n = 0;
    for (const [p, e] of this.entries) if (!params || params.includes(p)) n += e.count;
    return n;
  }

  /** Zeroes the gradient of every frozen element (call before the optimizer step). */
  maskGrads(): void {
    for (const [p, e] of this.entries) {
      if (p.gradIsZero) continue;
      const g = p.readGrad(); // writes only +0, which keeps a known-zero gradient known zero
      for (let i = 0; i < p.size; i++) if (e.frozen[i]) g[i] = 0;
    }
  }

  /** Writes every frozen element's value back (call after the optimizer step). */
  restore(): void {
    for (const [p, e] of this.entries) {
      const d = p.writeData();
      for (let i = 0; i < p.size; i++) if (e.frozen[i]) d[i] = e.values[i];
    }
  }

  /** Replaces every flag with stateDict()'s (parameters looked up by name in `params`). */
  loadStateDict(params: readonly Parameter[], state: Readonly<Record<string, { indices: readonly number[]; values: readonly number[] }>>): void {
    const byName = new Map(params.map((p) => [p.name, p]));
    for (const name of Object.keys(state)) if (!byName.has(name)) throw new RangeError(`FreezeMask.loadStateDict: unknown parameter '${name}'`);
    this.entries.clear();
    for (const [name, { indices, values }] of Object.entries(state)) {
      const p = byName.get(name)!;
      indices.forEach((i, k) => this.freeze(p, i, values[k]));
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
    const w = p.readData();
    const g = weight === 0 ? p.readGrad() : p.grad; // weight 0 writes nothing
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
    const d = p.writeData();
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
    const d = p.readData(); // mask.freeze writes (and counts) the snapped values
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
    param.writeData()[index] = previous;
  }
}

/**
 * Lattice points worth trying for one weight vector (e.g. one kind's unit weights): its
 * nearest lattice point, and for each of its `topK` largest entries the one-hot vectors that
 * keep only that entry at ±its rounded magnitude (at least 1; its own sign first).
 * Duplicates removed; nearest point first.
 */
export function latticeCandidates(values: ArrayLike<number>, topK = 3, lattice: Lattice = 'ternary'): number[][] {
  const x = Array.from(values);
  const out: number[][] = [x.map((v) => nearest(v, lattice))];
  const order = x.map((v, i) => [Math.abs(v), i]).sort((a, b) => b[0] - a[0]).slice(0, topK);
  for (const [, i] of order) {
    // both signs: a weight still near 0 may sit on either side of it
    const target = Math.abs(nearest(x[i], lattice)) || 1;
    for (const t of Math.sign(x[i]) < 0 ? [-target, target] : [target, -target]) out.push(x.map((_, j) => (j === i ? t : 0)));
  }
  const seen = new Set<string>();
  return out.filter((c) => {
    const key = c.join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * SNAP BY SEARCH, for weight vectors whose fit has not separated nearly collinear features
 * (measured: log and sqrt over the arguments 1…10 correlate at 0.99, and Adam leaves a `log`
 * kind at 0.41·log + 0.29·sqrt after 4000 updates): tries the lattice candidates of the
 * group's weights (latticeCandidates over the concatenated params), scores each with
 * `score()` (higher is better: e.g. accuracy on held-out records of the current stage), and
 * keeps the best one — set exactly and frozen — if it scores at least `max(baseline, minScore)`,
 * where baseline is the score of the unsnapped weights. Otherwise everything is left as it
 * was. Groups with a frozen element are skipped. `candidates` replaces latticeCandidates (e.g.
 * saturating logits: ±S for σ(±S) ≈ 1 or 0). Returns the snap (for undoSnap) or null.
 */
export function snapBySearch(
  group: readonly Parameter[],
  mask: FreezeMask,
  score: () => number,
  options: { topK?: number; lattice?: Lattice; minScore?: number; candidates?: (values: number[]) => number[][] } = {},
): { record: SnapRecord; score: number; baseline: number } | null {
  if (mask.count(group) > 0) return null;
  const current = group.flatMap((p) => Array.from(p.readData()));
  const write = (values: readonly number[]) => {
    let k = 0;
    for (const p of group) {
      const d = p.writeData();
      for (let i = 0; i < p.size; i++) d[i] = values[k++];
    }
  };
  const baseline = score();
  let best: { values: number[]; score: number } | null = null;
  const candidates = options.candidates?.(current) ?? latticeCandidates(current, options.topK ?? 3, options.lattice ?? 'ternary');
  for (const candidate of candidates) {
    write(candidate);
    const s = score();
    if (best === null || s > best.score) best = { values: candidate, score: s };
  }
  write(current);
  if (best === null || best.score < Math.max(baseline, options.minScore ?? -Infinity)) return null;
  const entries: SnapRecord['entries'] = [];
  let k = 0;
  for (const p of group) {
    for (let i = 0; i < p.size; i++, k++) {
      entries.push({ param: p, index: i, previous: current[k], snapped: best.values[k] });
      mask.freeze(p, i, best.values[k]);
    }
  }
  return { record: { entries }, score: best.score, baseline };
}

/**
 * Which elements the DATA has reached: counts, per element, the updates whose gradient was
 * non-zero (observe() between backward and any regulariser). A regulariser or a snap applied
 * to elements the data never reached (e.g. the units of a kind no level so far contains)
 * would decide their value with no evidence: select them out with active().
 */
export class GradientActivity {
  private readonly counts = new Map<Parameter, Uint32Array>();
  /** per parameter, its largest count (active() without a pass over the counts) */
  private readonly most = new Map<Parameter, number>();

  observe(params: readonly Parameter[]): void {
    for (const p of params) {
      let c = this.counts.get(p);
      if (!c) this.counts.set(p, (c = new Uint32Array(p.size)));
      if (p.gradIsZero) continue;
      const g = p.readGrad();
      let most = this.most.get(p) ?? 0;
      for (let i = 0; i < p.size; i++) if (g[i] !== 0 && ++c[i] > most) most = c[i];
      this.most.set(p, most);
    }
  }

  /** updates in which element i of p had a non-zero gradient */
  count(p: Parameter, i: number): number {
    return this.counts.get(p)?.[i] ?? 0;
  }

  /** The counts as plain data (checkpoints): parameter name → counts. */
  stateDict(): Record<string, number[]> {
    return Object.fromEntries([...this.counts].map(([p, c]) => [p.name, Array.from(c)]));
  }

  loadStateDict(state: Record<string, number[]>, params: readonly Parameter[]): void {
    const byName = new Map(params.map((p) => [p.name, p]));
    this.counts.clear();
    this.most.clear();
    for (const [name, c] of Object.entries(state ?? {})) {
      const p = byName.get(name);
      if (!p || !Array.isArray(c) || c.length !== p.size) throw new RangeError(`gradient activity: bad entry for '${name}'`);
      const counts = Uint32Array.from(c);
      this.counts.set(p, counts);
      this.most.set(p, counts.reduce((a, n) => Math.max(a, n), 0));
    }
  }

  /** the parameters with at least one element reached in ≥ minUpdates updates */
  active(params: readonly Parameter[], minUpdates = 1): Parameter[] {
    return params.filter((p) => (this.most.get(p) ?? 0) >= minUpdates);
  }
}

/**
 * Per-group learning rates: group g gets base · multipliers[g] (0 freezes a whole group).
 * The groups are the optimizer's parameter groups, built e.g. from DagNN.parameterRoles().
 */
export function setGroupLrs<O extends BaseOptions>(optimizer: Optimizer<O>, base: number, multipliers: readonly number[]): void {
  multipliers.forEach((m, g) => optimizer.setLr(base * m, g));
}
