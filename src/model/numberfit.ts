/**
 * NUMBER FIT (a designed bias of the level-5 decoder; SLOPE generalised): the tree decoder
 * chooses a derivative's SHAPE (operators, the variable, exponents); the numbers of its
 * coefficient leaves are then read from the model's own value stream. A derivative tree T must
 * agree with the slope of the differentiated expression f at every point, so its coefficients
 * c solve
 *     T(x_k; c) = f′(x_k),   k = 1 … P   (fixed probe points x_k)
 * where f′ is the value stream's exact forward-mode slope (./probe.ts) and T is evaluated by the
 * same value stream (the decoded tree is an input graph like any other: its kinds' learned,
 * snapped units do the arithmetic). No engine runs: both sides are the model's.
 *
 * Coefficients are the number leaves except exponents (the right child of `^`, which the
 * labels keep). Levenberg–Marquardt from the decoder's own numbers (the Jacobian ∂T/∂c_j by
 * forward mode, one seeded pass per coefficient), then int-typed numbers rounded, float-typed
 * to 3 decimals; the fit is kept only if the rounded tree still matches f′ at every probe point
 * (relative 1e-6) and no coefficient vanished or changed sign (sameShape). When the
 * coefficients are not identifiable together (−1/(2x²) against
 * −1/(8x²): numerator and denominator trade off), each coefficient is tried alone, the others
 * as decoded. A tree whose fit fails keeps the decoder's numbers.
 */
import type { Tape } from '../autograd/index';
import { MathGraph, TOKEN_VOCABULARY, TYPE_CODE, type MathGraphJSON } from '../graph/index';
import { OTHER_NUMBER, INT_MIN, type DecoderNode } from './decoder';
import { buildPlan, type BatchPlan, type PlanGroup, type PlanInput } from './plan';
import { ValueProbe } from './probe';
import { HostValueStream, type ValueStreamInputs } from './valuestream';

/** The probe points x_k: away from 0 and ±1, where derivatives of x^n/x^m and of 1/x meet singular or special points. */
export const FIT_POINTS: readonly number[] = [0.37, 0.71, 1.23, 1.61, 2.09, -0.43, -0.87, -1.31, 2.53, -1.79];
/** more coefficients than this: the tree keeps its decoded numbers */
const MAX_COEFFICIENTS = 8;
const TOKENS = TOKEN_VOCABULARY.length;

/** The number a decoder node stands for. */
function numberOf(n: DecoderNode): number {
  return n.label === OTHER_NUMBER || n.label > OTHER_NUMBER || n.type === TYPE_CODE.float ? n.value : n.label - TOKENS + INT_MIN;
}

/** Coefficient leaves of a decoded tree: number nodes that are not the exponent of a `^`. */
function coefficients(tree: readonly DecoderNode[]): number[] {
  const exponent = new Set<number>();
  tree.forEach((n) => {
    if (n.type === TYPE_CODE.op && TOKEN_VOCABULARY[n.label] === '^') exponent.add(n.children[1]);
  });
  return tree.flatMap((n, i) => ((n.type === TYPE_CODE.int || n.type === TYPE_CODE.float) && !exponent.has(i) ? [i] : []));
}

function graphOf(tree: readonly DecoderNode[]): MathGraph {
  const json: MathGraphJSON = {
    // numbers as floats: a coefficient takes non-integral values while it is fitted
    nodes: tree.map((n, id) => ({ id, type: (['float', 'float', 'symbol', 'op', 'fn'] as const)[n.type], value: n.type <= TYPE_CODE.float ? numberOf(n) : TOKEN_VOCABULARY[n.label] })),
    edges: tree.flatMap((n, id) => n.children.map((c) => ({ from: id, to: c }))),
  };
  return MathGraph.fromJSON(json);
}

/** The value stream of P copies of each tree, with its number leaves settable. */
class TreeProbe {
  readonly plan: BatchPlan;
  private readonly slot: Map<number, { group: PlanGroup; local: number }> = new Map();

  constructor(
    readonly inputs: readonly PlanInput[],
    readonly variable: string,
    readonly copies: number,
  ) {
    const B = inputs.length;
    const replicated: PlanInput[] = [];
    for (let c = 0; c < copies; c++) for (let i = 0; i < B; i++) replicated.push({ graph: inputs[i].graph, bindings: { [variable]: FIT_POINTS[c] } });
    this.plan = buildPlan(replicated);
    for (const group of this.plan.groups) if (group.arity === 0) for (let local = 0; local < group.count; local++) this.slot.set(group.start + local, { group, local });
  }

  row(copy: number, tree: number, node: number): number {
    return this.plan.rowOf[copy * this.inputs.length + tree][node];
  }

  set(tree: number, node: number, value: number): void {
    for (let c = 0; c < this.copies; c++) {
      const s = this.slot.get(this.row(c, tree, node))!;
      s.group.leafValues[s.local] = value;
    }
  }
}

/**
 * The fit may only change magnitudes: a coefficient that vanishes or changes sign makes a
 * different tree than the decoder chose ((+ (* 8 x) -12) is the shape (- (* 8 x) 12) decoded
 * wrongly; a term times 0 is a term that is not there), so such a fit is refused and the beam
 * moves on to its next candidate. Free: a one-node answer and a SLOPE number (its value is a
 * probe, not a decoder choice: f(1) − f(0) is wrong where f is singular at 0, e.g. (/ (* 4 x) x)).
 * Measured: docs/experiments.md.
 */
function sameShape(decoded: Float64Array, fitted: Float64Array, free: readonly boolean[]): boolean {
  for (let m = 0; m < decoded.length; m++) {
    if (fitted[m] === decoded[m] || free[m]) continue;
    if (fitted[m] === 0 || Math.sign(fitted[m]) !== Math.sign(decoded[m])) return false;
  }
  return true;
}

function gcd(a: number, b: number): number {
  while (b > 0) [a, b] = [b, a % b];
  return a;
}

/** Solves the C × C system A·x = b (Gaussian elimination, partial pivoting); null when singular. */
function solveSmall(A: Float64Array, b: Float64Array, C: number): Float64Array | null {
  const M = A.slice();
  const x = b.slice();
  for (let col = 0; col < C; col++) {
    let p = col;
    for (let r = col + 1; r < C; r++) if (Math.abs(M[r * C + col]) > Math.abs(M[p * C + col])) p = r;
    if (!(Math.abs(M[p * C + col]) > 1e-300)) return null;
    if (p !== col) {
      for (let k = 0; k < C; k++) [M[col * C + k], M[p * C + k]] = [M[p * C + k], M[col * C + k]];
      [x[col], x[p]] = [x[p], x[col]];
    }
    for (let r = 0; r < C; r++) {
      if (r === col) continue;
      const f = M[r * C + col] / M[col * C + col];
      if (f === 0) continue;
      for (let k = col; k < C; k++) M[r * C + k] -= f * M[col * C + k];
      x[r] -= f * x[col];
    }
  }
  return Float64Array.from(x, (v, i) => v / M[i * C + i]);
}

/**
 * Fits the coefficients of `trees[i]` (decoded answers of the `derive` inputs `inputs[i]`,
 * whose expression is node `targets[i].expr`) in place; returns which trees match the slope at
 * every probe point (as decoded or after the fit): the beam's verification (DagNN.predictBatch).
 */
export function fitNumbers(tape: Tape, stream: ValueStreamInputs, inputs: readonly PlanInput[], targets: readonly { expr: number; variable: string }[], trees: DecoderNode[][]): boolean[] {
  const fitted = trees.map(() => false);
  const P = FIT_POINTS.length;
  const chosen = trees.flatMap((tree, i) => {
    const c = coefficients(tree);
    return c.length <= MAX_COEFFICIENTS && targets[i].variable === 'x' ? [i] : [];
  });
  if (chosen.length === 0) return fitted;
  // f′(x_k) of every chosen input
  const probe = new ValueProbe(chosen.map((i) => inputs[i]), chosen.map((i) => ({ exprs: [targets[i].expr], variable: targets[i].variable })), P);
  probe.bind(Float64Array.from({ length: P * chosen.length }, (_, p) => FIT_POINTS[Math.floor(p / chosen.length)]));
  // the weights do not change during the fit: read once, every pass below runs on them
  const host = new HostValueStream(tape, stream);
  const slopes = host.run(probe.plan, probe.seed()).tangent64!;
  const B = chosen.length;
  const want = chosen.map((_, j) => Float64Array.from({ length: P }, (_, k) => slopes[probe.rows(0)[k * B + j]]));
  const trees2 = chosen.map((i) => trees[i]);
  const tp = new TreeProbe(trees2.map((t) => ({ graph: graphOf(t) })), 'x', P);
  const coeffs = trees2.map(coefficients);

  // the passes' outputs, reused: a pass without a seed writes `values` (read until the next
  // such pass), a seeded one `seededValues` and `tangent` (read at once)
  const N = tp.plan.nodeCount;
  const values = new Float64Array(N), seededValues = new Float64Array(N), tangent = new Float64Array(N), seed = new Float64Array(N);
  /** values (and, with `seedOf`, tangents) of every tree at every probe point */
  const evaluate = (coefficientValues: Float64Array[], seedOf: ((j: number) => number) | null) => {
    coefficientValues.forEach((cs, j) => coeffs[j].forEach((node, m) => tp.set(j, node, cs[m])));
    if (seedOf === null) return { v: host.run(tp.plan, null, { values }).values64, t: null };
    seed.fill(0);
    for (let j = 0; j < B; j++) {
      const m = seedOf(j);
      if (m < 0) continue;
      for (let k = 0; k < P; k++) seed[tp.row(k, j, coeffs[j][m])] = 1;
    }
    const out = host.run(tp.plan, seed, { values: seededValues, tangent });
    return { v: out.values64, t: out.tangent64 };
  };
  const matches = (j: number, v: Float64Array) => {
    for (let k = 0; k < P; k++) {
      const y = v[tp.row(k, j, 0)];
      if (!(Math.abs(y - want[j][k]) <= 1e-6 * (1 + Math.abs(want[j][k])))) return false;
    }
    return true;
  };
  const rounded = (j: number, cs: Float64Array) => Float64Array.from(cs, (c, m) => (trees2[j][coeffs[j][m]].type === TYPE_CODE.int ? Math.round(c) : Math.round(c * 1000) / 1000));

  /** Levenberg–Marquardt over the coefficients `free[j]` of each tree (indices into coeffs[j]) */
  const fit = (start: Float64Array[], free: number[][]): Float64Array[] => {
    const cs = start.map((c) => c.slice());
    const C = Math.max(...free.map((f) => f.length));
    for (let iteration = 0; iteration < 8; iteration++) {
      const { v } = evaluate(cs, null);
      let moved = false;
      const J = free.map((f) => new Float64Array(P * f.length));
      for (let m = 0; m < C; m++) {
        const { t } = evaluate(cs, (j) => (m < free[j].length ? free[j][m] : -1));
        for (let j = 0; j < B; j++) if (m < free[j].length) for (let k = 0; k < P; k++) J[j][k * free[j].length + m] = t![tp.row(k, j, 0)];
      }
      for (let j = 0; j < B; j++) {
        const n = free[j].length;
        if (n === 0) continue;
        const A = new Float64Array(n * n);
        const g = new Float64Array(n);
        let ok = true;
        for (let k = 0; k < P; k++) {
          const r = v[tp.row(k, j, 0)] - want[j][k];
          if (!Number.isFinite(r)) ok = false;
          for (let a = 0; a < n; a++) {
            g[a] -= J[j][k * n + a] * r;
            for (let b = 0; b < n; b++) A[a * n + b] += J[j][k * n + a] * J[j][k * n + b];
          }
        }
        if (!ok) continue;
        for (let a = 0; a < n; a++) A[a * n + a] *= 1 + 1e-9;
        const step = solveSmall(A, g, n);
        if (step === null || !step.every(Number.isFinite)) continue;
        free[j].forEach((m, a) => {
          cs[j][m] += step[a];
          if (Math.abs(step[a]) > 1e-12 * (1 + Math.abs(cs[j][m]))) moved = true;
        });
      }
      if (!moved) break;
    }
    return cs;
  };

  const decoded = trees2.map((t, j) => Float64Array.from(coeffs[j], (node) => numberOf(t[node])));
  const signFree = trees2.map((t, j) => coeffs[j].map((node) => t.length === 1 || t[node].label > OTHER_NUMBER));
  const accepted: (Float64Array | null)[] = trees2.map(() => null);
  // a tree that already matches as decoded (a shape without coefficients included)
  const asDecoded = evaluate(decoded, null).v;
  for (let j = 0; j < B; j++) if (matches(j, asDecoded)) accepted[j] = decoded[j];
  // every coefficient together, then each alone
  const attempts: number[][][] = [coeffs.map((c) => c.map((_, m) => m))];
  for (let m = 0; m < MAX_COEFFICIENTS; m++) attempts.push(coeffs.map((c) => (m < c.length ? [m] : [])));
  for (const free of attempts) {
    const active = free.map((f, j) => (accepted[j] === null ? f : []));
    if (active.every((f) => f.length === 0)) break;
    const result = fit(decoded, active).map((cs, j) => rounded(j, cs));
    const { v } = evaluate(result.map((cs, j) => (accepted[j] ?? cs)), null);
    for (let j = 0; j < B; j++) if (accepted[j] === null && active[j].length > 0 && result[j].every(Number.isFinite) && sameShape(decoded[j], result[j], signFree[j]) && matches(j, v)) accepted[j] = result[j];
  }
  // the smallest integers that fit: a joint fit lands anywhere on the ray of a ratio
  // (−92/(69x³) for −4/(3x³)); all integer coefficients divided by their common factor, kept if
  // the tree still matches
  const reduced = accepted.map((cs, j) => {
    if (cs === null) return null;
    const ints = coeffs[j].map((node, m) => (trees2[j][node].type === TYPE_CODE.int ? Math.abs(cs[m]) : 0)).filter((c) => c > 0);
    if (ints.length < 2) return null;
    const g = ints.reduce(gcd);
    return g > 1 ? Float64Array.from(cs, (c, m) => (trees2[j][coeffs[j][m]].type === TYPE_CODE.int ? c / g : c)) : null;
  });
  if (reduced.some((r) => r !== null)) {
    const { v } = evaluate(reduced.map((r, j) => r ?? accepted[j] ?? decoded[j]), null);
    reduced.forEach((r, j) => {
      if (r !== null && r.every(Number.isInteger) && matches(j, v)) accepted[j] = r;
    });
  }
  accepted.forEach((cs, j) => {
    if (cs === null) return;
    coeffs[j].forEach((node, m) => {
      const n = trees2[j][node];
      n.label = OTHER_NUMBER;
      n.value = cs[m];
    });
    fitted[chosen[j]] = true;
  });
  return fitted;
}
