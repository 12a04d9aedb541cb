/**
 * The value stream on the host, in float64 (or float32, emulated, for measuring what float32
 * costs), as ONE tape op over a whole plan, with the learned exact/float ("floatness") stream
 * beside it. DagNN uses it with `valueStream: 'host'` (./dagnn.ts); the kernel path
 * ('tape', the default) computes the same values in float32 with one linear + rowMap per group.
 *
 * VALUES. Per node of kind k with children values x_1 … x_a (plan order: children first):
 *     v = Σ_s w_{k,s}·x_s + Σ_j u_{k,j}·unit_j(x)          (./units.ts; the same units as 'tape')
 * Weights are the float32 Parameters (a snapped weight, exactly 0 or ±1, is exact in both);
 * everything else is float64. The values go out as an N × 1 float32 tensor (the loss, the
 * decoder and SLOPE read it) and as a Float64Array `values64`, which decoding reads: an
 * integer answer of 1000 is 1000 ± 6e-5 in float32 and exactly 1000 here.
 *
 * FLOATNESS (learned exact/float type). The engine answers int when the value is an EXACT
 * integer: `(^ (sin 1) 0)` is float 1 although its value is integral, `(sqrt 4)` is int 2.
 * So every node also carries f ∈ [0, 1], "this value is inexact":
 *     leaves   f = 0 for integers (int literals, symbols bound to integers), 1 otherwise (e, pi)
 *     kind k   f = 1 − Π_s (1 − σ(φ_k)·f_s) · (1 − σ(θ_k)·n(v))      (σ(φ_k) = 1 with propagation 'always', the default)
 * n(v) ∈ [0, 1] is how far the node's own value is from an integer (a constant for the
 * gradient: ≈ 0 within 1e-12, 1 beyond 1e-6); θ_k says "kind k makes a non-integral result
 * inexact" (sin, log, … of most arguments; not `/`, whose 7/2 stays exact), φ_k "kind k
 * passes its children's inexactness on". Both are per-kind logits (Parameter kinds × 2,
 * init 0), learned from the type cross-entropy like every other weight: nothing says which
 * kind is which. The numeric head reads [n(v_root), f_root] (DagNN typeHead 'exact').
 */
import type { Tape, Tensor, TensorLike } from '../autograd/index';
import type { RowFunction } from './ops';
import type { BatchPlan } from './plan';

export interface ValueStreamKind {
  /** additive weights, arity × 1 */
  add: TensorLike;
  /** primitive-unit weights, outputs × 1, and their functions; null for none */
  units: TensorLike | null;
  unitFn: RowFunction | null;
}

export interface ValueStreamInputs {
  /** per kind index; null for leaf kinds */
  kinds: readonly (ValueStreamKind | null)[];
  /** kinds × 2 logits [θ, φ] of the floatness stream, or null for none */
  exact: TensorLike | null;
  /**
   * How inexactness passes from children to a node: 'always' (default) — the same rule for
   * every kind, "a result computed from an inexact value is inexact" (σ(φ) = 1, φ unused);
   * 'learned' — per-kind σ(φ_k). Measured (docs/experiments.md): learned φ is not identifiable
   * on levels 2–3, where no value is inexact — (* (/ 9 5) 5) = int 9 is explained as well by
   * "`/` keeps 9/5 exact" as by "`*` drops its child's inexactness", and φ_* went to −30.
   */
  propagation?: 'always' | 'learned';
  /** 'f64' (default) or 'f32': every stored value rounded to float32 (what the kernel path keeps) */
  precision?: 'f32' | 'f64';
}

export interface ValueStreamOutput {
  /** N × 1 float32 */
  values: Tensor;
  values64: Float64Array;
  /** N × 1, or null without the floatness stream */
  floatness: Tensor | null;
  floatness64: Float64Array | null;
}

/**
 * How far x is from an integer, squashed to [0, 1]: 0 within 1e-12, 1 from 1e-6 on; a non-zero
 * |x| < 1e-6 gives 1. Non-finite values and |x| ≥ 2^53 give 1: beyond float64's integer precision every double is an
 * integer, so integrality says nothing there (measured: (^ (exp 100) 0) came out int 1).
 */
export function nonIntegrality(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 53) return 1;
  // near 0, any non-zero value is non-integral: exact arithmetic on the curriculum's small
  // rationals gives 0 exactly, e^−30 ≈ 9e-14 and e^−27 ≈ 2e-12 do not (measured: typed int
  // under the plain distance rule, which counts |x − 0| ≤ 1e-12 as integral)
  if (x !== 0 && Math.abs(x) < 1e-6) return 1;
  const d = Math.abs(x - Math.round(x));
  return Math.min(1, Math.max(0, (Math.log10(d + 1e-15) + 12) / 6));
}

const sigma = (z: number) => 1 / (1 + Math.exp(-z));

interface GroupTrace {
  /** children values, count × arity */
  xs: Float64Array;
  /** unit outputs, count × outputs, and jacobians, count × outputs × arity */
  ys: Float64Array;
  js: Float64Array;
  /** n(v) per node */
  n: Float64Array;
}

function requires(t: TensorLike | null): boolean {
  return t !== null && t.requiresGrad;
}

/** The value weights in float64, per kind (null for leaf kinds). */
type StreamWeights = ({ add: Float64Array; units: Float64Array | null } | null)[];

/** The forward pass on the host: values, floatness, the traces backward needs, and the tangent. */
interface HostPass {
  v: Float64Array;
  f: Float64Array | null;
  traces: (GroupTrace | null)[];
  weights: StreamWeights;
  exact: Float64Array | null;
  /** dv/dx per row for the seeded leaves' x (forward mode), or null */
  tangent: Float64Array | null;
}

function readWeights(tape: Tape, inputs: ValueStreamInputs): { weights: StreamWeights; exact: Float64Array | null } {
  const heap = tape.heap.f32;
  const read = (t: TensorLike) => {
    const base = t.ptr >>> 2;
    return Float64Array.from(heap.subarray(base, base + t.size));
  };
  const weights = inputs.kinds.map((k) => (k === null ? null : { add: read(k.add), units: k.units === null ? null : read(k.units) }));
  return { weights, exact: inputs.exact === null ? null : read(inputs.exact) };
}

/**
 * FORWARD on the host. `seed` (optional, one entry per row): the tangent of the leaves, e.g. 1
 * on the rows of a variable; every inner row then gets dv/dx = Σ_s (w_s + Σ_j u_j·∂unit_j/∂x_s)·dx_s
 * (forward-mode, through the same unit jacobians backward uses): the exact slope of the value
 * stream in that variable.
 */
function forwardValues(plan: BatchPlan, inputs: ValueStreamInputs, weights: StreamWeights, exact: Float64Array | null, seed: Float64Array | null, keepTraces = true, scratch: RowScratch = new RowScratch(), out: HostOutputs = {}): HostPass {
  const N = plan.nodeCount;
  // float32 emulation: every stored value rounded. A branch, not a function value: a call
  // through a variable that holds Math.fround or the identity is not inlined, and V8 boxes
  // each double it passes (measured: ~1 MB per decoded level-5 answer)
  const f32 = inputs.precision === 'f32';
  const learnedPass = inputs.propagation === 'learned';
  // every row is written below (each belongs to one group): given arrays need no clearing
  const v = out.values !== undefined && out.values.length === N ? out.values : new Float64Array(N);
  const f = exact === null ? null : new Float64Array(N);
  const tangent = seed === null ? null : out.tangent !== undefined && out.tangent.length === N ? out.tangent : new Float64Array(N);
  const traces: (GroupTrace | null)[] = [];
  for (const g of plan.groups) {
    if (g.arity === 0) {
      for (let i = 0; i < g.count; i++) {
        const x = g.leafValues[i];
        const bound = !Number.isNaN(x);
        v[g.start + i] = bound ? (f32 ? Math.fround(x) : x) : 0;
        if (f) f[g.start + i] = !bound || Number.isInteger(x) ? 0 : 1;
        if (tangent) tangent[g.start + i] = seed![g.start + i];
      }
      traces.push(null);
      continue;
    }
    const kind = inputs.kinds[g.kind]!;
    const w = weights[g.kind]!;
    const a = g.arity;
    const outputs = kind.unitFn === null || w.units === null ? 0 : kind.unitFn.outputs;
    // without backward (keepTraces false) nothing is kept: one row's scratch only
    const trace: GroupTrace | null = keepTraces ? { xs: new Float64Array(g.count * a), ys: new Float64Array(g.count * outputs), js: new Float64Array(g.count * outputs * a), n: new Float64Array(g.count) } : null;
    const { x, y, jac } = scratch.rows(a, outputs);
    const p = exact === null ? 0 : sigma(exact[2 * g.kind]);
    const q = exact === null ? 0 : learnedPass ? sigma(exact[2 * g.kind + 1]) : 1;
    for (let i = 0; i < g.count; i++) {
      let sum = 0;
      for (let s = 0; s < a; s++) {
        x[s] = v[g.childRows[i * a + s]];
        sum = f32 ? Math.fround(sum + Math.fround(w.add[s] * x[s])) : sum + w.add[s] * x[s];
      }
      if (trace) trace.xs.set(x, i * a);
      if (outputs > 0) {
        kind.unitFn!.evaluate(x, y, jac);
        for (let j = 0; j < outputs; j++) {
          if (f32) y[j] = Math.fround(y[j]);
          sum = f32 ? Math.fround(sum + Math.fround(w.units![j] * y[j])) : sum + w.units![j] * y[j];
        }
        if (trace) {
          trace.ys.set(y, i * outputs);
          trace.js.set(jac, i * outputs * a);
        }
      }
      const row = g.start + i;
      v[row] = sum;
      if (tangent) {
        let dt = 0;
        for (let s = 0; s < a; s++) {
          const dx = tangent[g.childRows[i * a + s]];
          if (dx === 0) continue;
          let through = w.add[s];
          for (let j = 0; j < outputs; j++) through += w.units![j] * jac[j * a + s];
          dt += through * dx;
        }
        tangent[row] = dt;
      }
      if (f) {
        const n = nonIntegrality(sum);
        if (trace) trace.n[i] = n;
        let keep = 1;
        for (let s = 0; s < a; s++) keep *= 1 - q * f[g.childRows[i * a + s]];
        f[row] = 1 - keep * (1 - p * n);
      }
    }
    traces.push(trace);
  }
  return { v, f, traces, weights, exact, tangent };
}

/** Arrays of the plan's node count a host pass writes its values and tangent into (instead of new ones). */
export interface HostOutputs {
  values?: Float64Array;
  tangent?: Float64Array;
}

/**
 * One row's children values, unit outputs and jacobian, per (arity, outputs): zeroed for each
 * group as fresh arrays would be, allocated once per shape (a host pass runs ~100 times per
 * decoded level-5 answer: numberfit.ts).
 */
class RowScratch {
  private readonly byShape = new Map<number, { x: Float64Array; y: Float64Array; jac: Float64Array }>();

  rows(arity: number, outputs: number): { x: Float64Array; y: Float64Array; jac: Float64Array } {
    const key = arity * 1024 + outputs;
    let r = this.byShape.get(key);
    if (r === undefined) this.byShape.set(key, (r = { x: new Float64Array(arity), y: new Float64Array(outputs), jac: new Float64Array(outputs * arity) }));
    else {
      r.x.fill(0);
      r.y.fill(0);
      r.jac.fill(0);
    }
    return r;
  }
}

/**
 * The value stream on the host without a tape (no gradient): values and, with `seed`, their
 * forward-mode tangent (see forwardValues). What iterative heads run between tape passes.
 */
export function hostValueStream(tape: Tape, plan: BatchPlan, inputs: ValueStreamInputs, seed: Float64Array | null = null): { values64: Float64Array; tangent64: Float64Array | null } {
  return new HostValueStream(tape, inputs).run(plan, seed);
}

/**
 * hostValueStream for many passes with the same weights (an iterative fit): the weights are
 * read from the heap once, at construction, and the row scratch is reused. The weights must
 * not change while it is in use.
 */
export class HostValueStream {
  private readonly weights: StreamWeights;
  private readonly scratch = new RowScratch();

  constructor(tape: Tape, private readonly inputs: ValueStreamInputs) {
    this.weights = readWeights(tape, { ...inputs, exact: null }).weights;
  }

  /** One pass; `out` (optional): arrays of plan.nodeCount floats the values and tangent are written into and returned. */
  run(plan: BatchPlan, seed: Float64Array | null = null, out: HostOutputs = {}): { values64: Float64Array; tangent64: Float64Array | null } {
    const pass = forwardValues(plan, this.inputs, this.weights, null, seed, false, this.scratch, out);
    return { values64: pass.v, tangent64: pass.tangent };
  }
}

export function valueStream(tape: Tape, plan: BatchPlan, inputs: ValueStreamInputs): ValueStreamOutput {
  const N = plan.nodeCount;
  const { weights, exact } = readWeights(tape, inputs);
  const learnedPass = inputs.propagation === 'learned';
  const { v, f, traces } = forwardValues(plan, inputs, weights, exact, null);

  const valueParams = inputs.kinds.some((k) => k !== null && (requires(k.add) || requires(k.units)));
  const values = tape.result(N, 1, valueParams);
  tape.heap.f32.set(Float32Array.from(v), values.ptr >>> 2);
  if (valueParams) {
    tape.record(values, () => {
      // gradient pointers first (allocation may grow the heap), then one view
      const gradPtrs = inputs.kinds.map((k) => (k === null ? null : { add: requires(k.add) ? tape.grad(k.add) : 0, units: requires(k.units) ? tape.grad(k.units!) : 0 }));
      const h = tape.heap.f32;
      const dv = Float64Array.from(h.subarray(values.gradPtr >>> 2, (values.gradPtr >>> 2) + N));
      const gradW = weights.map((w) => (w === null ? null : { add: new Float64Array(w.add.length), units: w.units === null ? null : new Float64Array(w.units.length) }));
      for (let gi = plan.groups.length - 1; gi >= 0; gi--) {
        const g = plan.groups[gi];
        const trace = traces[gi];
        if (trace === null) continue;
        const w = weights[g.kind]!;
        const gw = gradW[g.kind]!;
        const a = g.arity;
        const outputs = trace.ys.length / g.count;
        for (let i = 0; i < g.count; i++) {
          const d = dv[g.start + i];
          if (d === 0) continue;
          for (let s = 0; s < a; s++) {
            gw.add[s] += d * trace.xs[i * a + s];
            let through = w.add[s];
            for (let j = 0; j < outputs; j++) through += w.units![j] * trace.js[(i * outputs + j) * a + s];
            dv[g.childRows[i * a + s]] += d * through;
          }
          for (let j = 0; j < outputs; j++) gw.units![j] += d * trace.ys[i * outputs + j];
        }
      }
      gradPtrs.forEach((ptrs, k) => {
        if (ptrs === null) return;
        const gw = gradW[k]!;
        if (ptrs.add !== 0) for (let s = 0; s < gw.add.length; s++) h[(ptrs.add >>> 2) + s] += gw.add[s];
        if (ptrs.units !== 0 && gw.units !== null) for (let j = 0; j < gw.units.length; j++) h[(ptrs.units >>> 2) + j] += gw.units[j];
      });
    });
  }

  let floatness: Tensor | null = null;
  if (f !== null) {
    const exactParam = inputs.exact!;
    floatness = tape.result(N, 1, exactParam.requiresGrad);
    tape.heap.f32.set(Float32Array.from(f), floatness.ptr >>> 2);
    const out = floatness;
    if (exactParam.requiresGrad) {
      tape.record(out, () => {
        const gp = tape.grad(exactParam);
        const h = tape.heap.f32;
        const df = Float64Array.from(h.subarray(out.gradPtr >>> 2, (out.gradPtr >>> 2) + N));
        const gExact = new Float64Array(exact!.length);
        for (let gi = plan.groups.length - 1; gi >= 0; gi--) {
          const g = plan.groups[gi];
          const trace = traces[gi];
          if (trace === null) continue;
          const a = g.arity;
          const p = sigma(exact![2 * g.kind]);
          const q = learnedPass ? sigma(exact![2 * g.kind + 1]) : 1;
          for (let i = 0; i < g.count; i++) {
            const d = df[g.start + i];
            if (d === 0) continue;
            const own = 1 - p * trace.n[i];
            let keep = 1;
            for (let s = 0; s < a; s++) keep *= 1 - q * f[g.childRows[i * a + s]];
            // f = 1 − keep·own
            gExact[2 * g.kind] += d * keep * trace.n[i] * p * (1 - p);
            let dq = 0;
            for (let s = 0; s < a; s++) {
              const c = g.childRows[i * a + s];
              let others = 1;
              for (let t = 0; t < a; t++) if (t !== s) others *= 1 - q * f[g.childRows[i * a + t]];
              dq += f[c] * others * own;
              df[c] += d * q * others * own;
            }
            if (learnedPass) gExact[2 * g.kind + 1] += d * dq * q * (1 - q);
          }
        }
        for (let i = 0; i < gExact.length; i++) h[(gp >>> 2) + i] += gExact[i];
      });
    }
  }
  return { values, values64: v, floatness, floatness64: f };
}

/**
 * The type logits [int, float] of the numeric head from the root's floatness f and its value's
 * non-integrality n (a constant): p(float) = 1 − (1 − f)(1 − n), "a float answer is one that is
 * inexact or not an integer" — the evaluation protocol's own definition of the answer type,
 * with the per-kind inexactness (θ_k, in f) learned. Logits are [log(1 − p), log p], p clipped
 * to [1e-6, 1 − 1e-6] (no gradient where clipped). Unlike a learned linear head on [n, f], it
 * sends no gradient to f where n = 1 (a non-integral root is float whatever f says): measured,
 * the linear head's redundant f pushed `/`'s θ up on (/ 7 2) roots until it was saturated wrong.
 */
export function floatTypeLogits(tape: Tape, f: Tensor, n: Float64Array): Tensor {
  const rows = n.length;
  const fv = tape.values(f);
  const out = tape.result(rows, 2, f.requiresGrad);
  const eps = 1e-6;
  const dp = new Float64Array(rows * 2);
  const logits = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    const raw = 1 - (1 - fv[r]) * (1 - n[r]);
    const p = Math.min(1 - eps, Math.max(eps, raw));
    const clipped = p !== raw;
    logits[2 * r] = Math.log(1 - p);
    logits[2 * r + 1] = Math.log(p);
    // d logit / d f, through dp/df = 1 − n
    dp[2 * r] = clipped ? 0 : -(1 - n[r]) / (1 - p);
    dp[2 * r + 1] = clipped ? 0 : (1 - n[r]) / p;
  }
  tape.heap.f32.set(logits, out.ptr >>> 2);
  if (out.requiresGrad) {
    tape.record(out, () => {
      const gf = tape.grad(f) >>> 2;
      const h = tape.heap.f32;
      const go = out.gradPtr >>> 2;
      for (let r = 0; r < rows; r++) h[gf + r] += h[go + 2 * r] * dp[2 * r] + h[go + 2 * r + 1] * dp[2 * r + 1];
    });
  }
  return out;
}
