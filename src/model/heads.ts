/**
 * Task heads that answer through probes of the model's own value stream (./probe.ts): the
 * integration head for `(integrate f x a b)` and the root head for `(solve (= lhs rhs) x)`.
 * DagNN routes an input to a head by its root token (routeOf), the same in training and
 * prediction; the head's value and type replace the numeric head's for that input, so the
 * loss, decoding and metrics are unchanged.
 *
 * INTEGRATION HEAD (designed bias: "an integral is a weighted sum of the integrand at fixed
 * points of [a, b]"; the weights are learned):
 *     I = (b − a) · Σ_i w_i · f(a + (b − a)·t_i),      t_i = (1 − cos(π(i + ½)/K))/2
 * t_i are the K Chebyshev points of [0, 1], fixed (the probe points); the w_i are parameters
 * started neutral at 0 (no quadrature rule is written in) and learned from the data, by the
 * gradient like every weight and by `fitQuadrature` (a robust least-squares fit on training
 * records that the Trainer runs at its snap points; docs/experiments.md measures both).
 * ∂I/∂w_i = (b − a)·f(t_i); the gradient also flows into f's value stream (∂I/∂f_i = (b − a)·w_i).
 * The bounds are read from the value stream with the variable at 0 (constants for the gradient).
 *
 * ROOT HEAD (designed bias: "a root is where an unrolled slope-corrected iteration stops";
 * its start and step sizes are learned):
 *     x_0 = μ,   x_{n+1} = x_n − α_n · g(x_n)/g′(x_n),   g = v(lhs) − v(rhs),   n < N
 * in the damped, smoothly clipped form x_{n+1} = x_n − α_n·C·tanh(q/C), q = g·g′/(g′² + ε)
 * (no step at a flat point, none larger than C·α_n: one vertex cannot throw x to infinity).
 * g′ is the value stream's exact slope (forward mode through the units, ./valuestream.ts).
 * μ and α_n are parameters started neutral (μ = 0, α_n = 0: the iteration does nothing until
 * trained), learned by the head's own objective (RootHead.iterateLoss: every iterate supervised,
 * μ by a smoothed gradient over four starts); the value weights get the implicit gradient at
 * x_N, ∂x_N/∂θ = −(∂g/∂θ)/g′(x_N).
 *
 * TYPE. Each head's int/float decision is a learned linear rule on [1, ℓ] with
 * ℓ = (log10(d + 1e-15) + 15)/15, d the value's distance to the nearest integer (zero init):
 * a probed value is exact only to rounding, so "integral" is a tolerance the data sets.
 */
import { ops, type Parameter, type Tape, type Tensor, type TensorLike } from '../autograd/index';
import { MathGraph, type CompactGraph } from '../graph/index';
import type { PlanInput } from './plan';
import { ValueProbe } from './probe';
import { hostValueStream, valueStream, type ValueStreamInputs } from './valuestream';

/** Which head answers an input: by its root token (and, for solve, an equation as child 0). */
export type Route = 'integrate' | 'solve' | null;

function childrenOf(c: CompactGraph, id: number): number[] {
  const out: number[] = [];
  for (let k = c.childStart[id]; k < c.childStart[id + 1]; k++) out.push(c.childIndex[k]);
  return out;
}

/** The head that answers `input`, and the node ids it reads (no copy of the graph: it runs on every forward). */
export function routeOf(input: PlanInput): { route: Route; exprs: number[]; variable: string } {
  const g = input.graph;
  const root = input.root ?? 0;
  const label = (id: number) => (g instanceof MathGraph ? String(g.values[id]) : g.labels[id]);
  const kidsOf = (id: number) => (g instanceof MathGraph ? g.children[id] : childrenOf(g, id));
  const rootLabel = label(root);
  if (rootLabel !== 'integrate' && rootLabel !== 'solve') return { route: null, exprs: [], variable: '' };
  const kids = kidsOf(root);
  if (rootLabel === 'integrate' && kids.length === 4) return { route: 'integrate', exprs: [kids[0], kids[2], kids[3]], variable: label(kids[1]) };
  if (rootLabel === 'solve' && kids.length === 2 && label(kids[0]) === '=' && kidsOf(kids[0]).length === 2) {
    return { route: 'solve', exprs: [...kidsOf(kids[0])], variable: label(kids[1]) };
  }
  return { route: null, exprs: [], variable: '' };
}

/** A head's answers for its inputs: values (float32 on the tape, float64 beside) and type logits. */
export interface HeadOutput {
  values: Tensor;
  values64: Float64Array;
  typeLogits: Tensor;
  /** the head's own training objective (1 × 1) when targets were given, else undefined */
  loss?: Tensor;
}

/** ℓ(v): 0 for an exact integer, → 1 as the distance to the nearest integer grows to 1. */
export function integralityFeature(v: number): number {
  if (!Number.isFinite(v)) return 1;
  const d = Math.abs(v - Math.round(v));
  return (Math.log10(d + 1e-15) + 15) / 15;
}

/** type logits = [1, ℓ(v)] · W (W 2 × 2, learned) */
function typeLogits(tape: Tape, values64: Float64Array, W: TensorLike): Tensor {
  const features = new Float32Array(values64.length * 2);
  values64.forEach((v, i) => features.set([1, integralityFeature(v)], 2 * i));
  return ops.linear(tape, ops.constant(tape, features, values64.length, 2), W);
}

function read(tape: Tape, t: TensorLike): Float64Array {
  const base = t.ptr >>> 2;
  return Float64Array.from(tape.heap.f32.subarray(base, base + t.size));
}

/** The K Chebyshev points of [0, 1]: t_i = (1 − cos(π(i + ½)/K))/2. */
export function chebyshevPoints(K: number): Float64Array {
  return Float64Array.from({ length: K }, (_, i) => (1 - Math.cos((Math.PI * (i + 0.5)) / K)) / 2);
}

export interface IntegrationProbes {
  probe: ValueProbe;
  /** b − a per input */
  spans: Float64Array;
  /** the integrand at the probe points, float64, [c·B + i] */
  f64: Float64Array;
}

export class IntegrationHead {
  readonly points: Float64Array;

  constructor(
    /** K × 1 */
    readonly weights: Parameter,
    /** 2 × 2 */
    readonly type: Parameter,
    private readonly t: (p: Parameter) => TensorLike,
  ) {
    this.points = chebyshevPoints(weights.rows);
  }

  get K(): number {
    return this.points.length;
  }

  /** Binds each input's variable to a + (b − a)·t_c in copy c, the bounds read with the variable at 0. */
  probes(tape: Tape, inputs: readonly PlanInput[], stream: ValueStreamInputs): { probe: ValueProbe; spans: Float64Array; lows: Float64Array } {
    const routes = inputs.map(routeOf);
    const K = this.K;
    const B = inputs.length;
    // the probe's plan has the variable at 0 in every copy: the bounds are read there
    const probe = new ValueProbe(inputs, routes.map((r) => ({ exprs: r.exprs, variable: r.variable })), K);
    const { values64 } = hostValueStream(tape, probe.plan, stream);
    const lows = Float64Array.from({ length: B }, (_, i) => values64[probe.rows(1)[i]]);
    const spans = Float64Array.from({ length: B }, (_, i) => values64[probe.rows(2)[i]] - lows[i]);
    const xs = new Float64Array(K * B);
    for (let c = 0; c < K; c++) for (let i = 0; i < B; i++) xs[c * B + i] = lows[i] + spans[i] * this.points[c];
    probe.bind(xs);
    return { probe, spans, lows };
  }

  forward(tape: Tape, inputs: readonly PlanInput[], stream: ValueStreamInputs, _targets?: readonly number[]): HeadOutput {
    const { probe, spans } = this.probes(tape, inputs, stream);
    const pass = valueStream(tape, probe.plan, { ...stream, exact: null });
    const rows = probe.rows(0);
    const f = ops.gatherRows(tape, pass.values, rows);
    const f64 = Float64Array.from(rows, (r) => pass.values64[r]);
    const { out, out64 } = quadrature(tape, this.t(this.weights), f, f64, spans);
    return { values: out, values64: out64, typeLogits: typeLogits(tape, out64, this.t(this.type)) };
  }

  /** The integrand at the probe points, float64, without a tape pass (fitQuadrature's design matrix). */
  sample(tape: Tape, inputs: readonly PlanInput[], stream: ValueStreamInputs): IntegrationProbes {
    const { probe, spans } = this.probes(tape, inputs, stream);
    const { values64 } = hostValueStream(tape, probe.plan, stream);
    return { probe, spans, f64: Float64Array.from(probe.rows(0), (r) => values64[r]) };
  }
}

/**
 * I_i = s_i · Σ_c w_c · f[c·B + i] in float64 (s the spans), one tape op.
 * Backward: ∂w_c += Σ_i ∂I_i·s_i·f[c·B + i];  ∂f[c·B + i] += ∂I_i·s_i·w_c.
 */
export function quadrature(tape: Tape, w: TensorLike, f: Tensor, f64: Float64Array, spans: Float64Array): { out: Tensor; out64: Float64Array } {
  const B = spans.length;
  const K = w.size;
  const wv = read(tape, w);
  const out64 = new Float64Array(B);
  for (let c = 0; c < K; c++) for (let i = 0; i < B; i++) out64[i] += wv[c] * f64[c * B + i];
  for (let i = 0; i < B; i++) out64[i] *= spans[i];
  const requires = w.requiresGrad || f.requiresGrad;
  const out = tape.result(B, 1, requires);
  tape.heap.f32.set(Float32Array.from(out64), out.ptr >>> 2);
  if (requires) {
    tape.record(out, () => {
      const gw = w.requiresGrad ? tape.grad(w) >>> 2 : -1;
      const gf = f.requiresGrad ? tape.grad(f) >>> 2 : -1;
      const h = tape.heap.f32;
      const go = out.gradPtr >>> 2;
      for (let c = 0; c < K; c++) {
        let dw = 0;
        for (let i = 0; i < B; i++) {
          const d = h[go + i] * spans[i];
          dw += d * f64[c * B + i];
          if (gf >= 0) h[gf + c * B + i] += d * wv[c];
        }
        if (gw >= 0) h[gw + c] += dw;
      }
    });
  }
  return { out, out64 };
}

/**
 * Robust least squares for the quadrature weights: w = argmin Σ_n ρ(r_n / ‖x_n‖), r_n = x_n·w − y_n,
 * x_n = s_n·f_n (the probed integrand times the span), ρ the Cauchy loss log(1 + (r/σ)²) — the
 * robust regression the Trainer's relaxed GED term is — solved by iteratively reweighted least
 * squares (Householder QR in float64, no normal equations: their condition number is squared).
 * Rows are normalised by ‖x_n‖ so an integrand of size 1e6 does not outvote one of size 1;
 * the Cauchy weights let the records no K-point sum can fit (poles near [a, b]) drop out.
 */
export function fitQuadrature(X: Float64Array, y: Float64Array, K: number, options: { iterations?: number; sigma?: number } = {}): Float64Array {
  const m = y.length;
  const iterations = options.iterations ?? 6;
  const sigma = options.sigma ?? 1e-6;
  const norms = Float64Array.from({ length: m }, (_, n) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += X[n * K + k] ** 2;
    return Math.sqrt(s) || 1;
  });
  let rowWeights: Float64Array = new Float64Array(m).fill(1);
  let w: Float64Array = new Float64Array(K);
  for (let it = 0; it < iterations; it++) {
    w = weightedLeastSquares(X, y, K, Float64Array.from(rowWeights, (r, n) => r / norms[n]));
    rowWeights = Float64Array.from({ length: m }, (_, n) => {
      let r = -y[n];
      for (let k = 0; k < K; k++) r += X[n * K + k] * w[k];
      return Math.sqrt(1 / (1 + (r / norms[n] / sigma) ** 2));
    });
  }
  return w;
}

/** argmin Σ_n (s_n·(x_n·w − y_n))² by Householder QR (columns with no support get 0). */
function weightedLeastSquares(X: Float64Array, y: Float64Array, K: number, scale: Float64Array): Float64Array {
  const m = y.length;
  const A = new Float64Array(m * (K + 1));
  for (let n = 0; n < m; n++) {
    for (let k = 0; k < K; k++) A[n * (K + 1) + k] = X[n * K + k] * scale[n];
    A[n * (K + 1) + K] = y[n] * scale[n];
  }
  const v = new Float64Array(m);
  const at = (i: number, j: number) => i * (K + 1) + j;
  for (let k = 0; k < Math.min(K, m); k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[at(i, k)] ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = A[at(k, k)] > 0 ? -norm : norm;
    let vv = 0;
    for (let i = k; i < m; i++) {
      v[i] = A[at(i, k)] - (i === k ? alpha : 0);
      vv += v[i] * v[i];
    }
    if (vv === 0) continue;
    for (let j = k; j <= K; j++) {
      let d = 0;
      for (let i = k; i < m; i++) d += v[i] * A[at(i, j)];
      const f = (2 * d) / vv;
      for (let i = k; i < m; i++) A[at(i, j)] -= f * v[i];
    }
  }
  const w = new Float64Array(K);
  for (let i = Math.min(K, m) - 1; i >= 0; i--) {
    let s = A[at(i, K)];
    for (let j = i + 1; j < K; j++) s -= A[at(i, j)] * w[j];
    w[i] = Math.abs(A[at(i, i)]) > 1e-12 ? s / A[at(i, i)] : 0;
  }
  return w;
}

/** the step's smooth clip C: s = C·tanh(q/C) */
const STEP_CLIP = 50;
/** ε of the damped step q = g·g′/(g′² + ε): no step at a flat point (a vertex) */
const FLAT = 1e-9;
/**
 * The starts of the smoothed gradient of μ: μ + σ·z_s with z_s the S = 4 Gaussian quantiles
 * Φ⁻¹((s + ½)/4) (deterministic, so a resumed run draws the same), σ = 3.
 */
const START_OFFSETS = [-1.1503, -0.3186, 0.3186, 1.1503];
const START_SIGMA = 3;

/** The iterates of the root head for a batch of B·S probe graphs: x_0 … x_N and ∂x_n/∂α_k. */
export interface RootIterates {
  /** (N + 1) × P, row n = x_n (P probe graphs) */
  xs: Float64Array;
  /** ∂x_n/∂α_k, (N + 1) × N × P; null when not asked for */
  dAlpha: Float64Array | null;
  /** g′ at x_N, per probe graph */
  slope: Float64Array;
}

export class RootHead {
  constructor(
    /** μ, 1 × 1 */
    readonly start: Parameter,
    /** α_n, N × 1 */
    readonly steps: Parameter,
    /** 2 × 2 */
    readonly type: Parameter,
    private readonly t: (p: Parameter) => TensorLike,
  ) {}

  get N(): number {
    return this.steps.rows;
  }

  /** A probe of each input's lhs and rhs with its variable, `copies` copies. */
  probe(inputs: readonly PlanInput[], copies = 1): ValueProbe {
    return new ValueProbe(
      inputs,
      inputs.map((input) => {
        const r = routeOf(input);
        return { exprs: r.exprs, variable: r.variable };
      }),
      copies,
    );
  }

  /**
   * The unrolled iteration on the host in float64 (no tape) from the starts x0 (one per probe
   * graph): x_{n+1} = x_n − α_n·s(x_n), s = C·tanh(q/C), q = g·g′/(g′² + ε). With `sensitivities`,
   * forward-mode ∂x_n/∂α_k: ∂x_{n+1} = (1 − α_n·s′(x_n))·∂x_n − s(x_n)·∂α_n, where
   * s′ = sech²(q/C)·q′, q′ = ((g′² + g·g″)(g′² + ε) − 2g·g′²·g″)/(g′² + ε)², g″ from the slope at
   * x and x + h.
   */
  iterate(tape: Tape, probe: ValueProbe, stream: ValueStreamInputs, x0: Float64Array, sensitivities: boolean): RootIterates {
    const P = probe.copies * probe.graphs;
    const N = this.N;
    const alpha = read(tape, this.t(this.steps));
    const seed = probe.seed();
    const lhs = probe.rows(0);
    const rhs = probe.rows(1);
    const xs = new Float64Array((N + 1) * P);
    xs.set(x0);
    const dAlpha = sensitivities ? new Float64Array((N + 1) * N * P) : null;
    const at = (x: Float64Array) => {
      probe.bind(x);
      const { values64, tangent64 } = hostValueStream(tape, probe.plan, stream, seed);
      return {
        g: Float64Array.from({ length: P }, (_, i) => values64[lhs[i]] - values64[rhs[i]]),
        slope: Float64Array.from({ length: P }, (_, i) => tangent64![lhs[i]] - tangent64![rhs[i]]),
      };
    };
    let slope = new Float64Array(P);
    for (let n = 0; n <= N; n++) {
      const x = xs.subarray(n * P, (n + 1) * P);
      const here = at(x);
      slope = here.slope;
      if (n === N) break;
      const h = Float64Array.from(x, (v) => 1e-4 * (1 + Math.abs(v)));
      const ahead = sensitivities ? at(Float64Array.from(x, (v, i) => v + h[i])) : null;
      for (let i = 0; i < P; i++) {
        const g = here.g[i];
        const gp = here.slope[i];
        const den = gp * gp + FLAT;
        const q = g * gp / den;
        const finite = Number.isFinite(q);
        const step = finite ? STEP_CLIP * Math.tanh(q / STEP_CLIP) : 0;
        const next = (n + 1) * P + i;
        xs[next] = x[i] - alpha[n] * step;
        if (dAlpha === null) continue;
        let ds = 0;
        if (finite) {
          const gpp = (ahead!.slope[i] - gp) / h[i];
          const dq = ((gp * gp + g * gpp) * den - 2 * g * gp * gp * gpp) / (den * den);
          const c = Math.cosh(q / STEP_CLIP);
          ds = Number.isFinite(dq) ? dq / (c * c) : 0;
        }
        const keep = 1 - alpha[n] * ds;
        for (let k = 0; k < n; k++) dAlpha[((n + 1) * N + k) * P + i] = keep * dAlpha[(n * N + k) * P + i];
        dAlpha[((n + 1) * N + n) * P + i] = -step;
      }
    }
    return { xs, dAlpha, slope };
  }

  forward(tape: Tape, inputs: readonly PlanInput[], stream: ValueStreamInputs, targets?: readonly number[]): HeadOutput {
    const probe = this.probe(inputs);
    const B = probe.graphs;
    const N = this.N;
    const mu = read(tape, this.t(this.start))[0];
    const it = this.iterate(tape, probe, stream, new Float64Array(B).fill(mu), false);
    const last = it.xs.slice(N * B);
    // the tape pass at x_N carries the implicit gradient into the value weights
    probe.bind(last);
    const pass = valueStream(tape, probe.plan, { ...stream, exact: null });
    const out = rootOutput(tape, pass.values, probe, last, it.slope);
    const loss = targets === undefined ? undefined : this.iterateLoss(tape, inputs, stream, targets);
    return { values: out, values64: last, typeLogits: typeLogits(tape, last, this.t(this.type)), loss };
  }

  /**
   * The head's own training objective, 1 × 1: from S starts μ + σ·z_s per input, the mean over
   * inputs and starts of Σ_{n=0..N} ℓ(x_n − y), ℓ(d) = log(1 + d²) (every iterate supervised).
   * Its gradient: to α_n through the unrolled iteration (exact sensitivities); to μ the smoothed
   * (score-function) estimate mean_s (L_s − b_s)·z_s/σ of the final loss L_s = ℓ(x_N − y) with the
   * leave-one-out baseline b_s. Without the smoothing μ is stuck where the iteration converges
   * (∂x_N/∂μ = 0 at a root) — measured: docs/experiments.md.
   */
  iterateLoss(tape: Tape, inputs: readonly PlanInput[], stream: ValueStreamInputs, targets: readonly number[]): Tensor {
    const S = START_OFFSETS.length;
    const probe = this.probe(inputs, S);
    const B = probe.graphs;
    const P = S * B;
    const N = this.N;
    const mu = read(tape, this.t(this.start))[0];
    const x0 = Float64Array.from({ length: P }, (_, p) => mu + START_SIGMA * START_OFFSETS[Math.floor(p / B)]);
    const it = this.iterate(tape, probe, stream, x0, true);
    const ell = (d: number) => Math.log1p(d * d);
    const dEll = (d: number) => (2 * d) / (1 + d * d);
    let total = 0;
    const gAlpha = new Float64Array(N);
    let gMu = 0;
    for (let i = 0; i < B; i++) {
      const y = targets[i];
      if (!Number.isFinite(y)) continue;
      const finals = new Float64Array(S);
      for (let s = 0; s < S; s++) {
        const p = s * B + i;
        for (let n = 0; n <= N; n++) {
          const d = it.xs[n * P + p] - y;
          if (!Number.isFinite(d)) continue;
          total += ell(d);
          const dd = dEll(d);
          for (let k = 0; k < n; k++) gAlpha[k] += dd * it.dAlpha![(n * N + k) * P + p];
        }
        const d = it.xs[N * P + p] - y;
        finals[s] = Number.isFinite(d) ? ell(d) : 0;
      }
      const sum = finals.reduce((a, b) => a + b, 0);
      for (let s = 0; s < S; s++) gMu += ((finals[s] - (sum - finals[s]) / (S - 1)) * START_OFFSETS[s]) / START_SIGMA / S;
    }
    const scale = 1 / (B * S);
    const start = this.t(this.start);
    const steps = this.t(this.steps);
    const requires = start.requiresGrad || steps.requiresGrad;
    const out = tape.result(1, 1, requires);
    tape.heap.f32[out.ptr >>> 2] = total * scale;
    if (requires) {
      tape.record(out, () => {
        const h = tape.heap.f32;
        const d = h[out.gradPtr >>> 2];
        if (start.requiresGrad) h[tape.grad(start) >>> 2] += d * gMu * S * scale;
        if (steps.requiresGrad) {
          const ga = tape.grad(steps) >>> 2;
          for (let k = 0; k < N; k++) h[ga + k] += d * gAlpha[k] * scale;
        }
      });
    }
    return out;
  }
}

/**
 * x_N as a tape op whose gradient goes to the value weights only, by the implicit function at the
 * root: ∂x_N/∂v(lhs) = −1/g′, ∂x_N/∂v(rhs) = +1/g′ (into the value stream's pass at x_N). μ and α
 * learn from the head's own objective (RootHead.iterateLoss).
 */
function rootOutput(tape: Tape, values: Tensor, probe: ValueProbe, last: Float64Array, slope: Float64Array): Tensor {
  const B = probe.graphs;
  const out = tape.result(B, 1, values.requiresGrad);
  tape.heap.f32.set(Float32Array.from(last), out.ptr >>> 2);
  if (values.requiresGrad) {
    const lhs = probe.rows(0);
    const rhs = probe.rows(1);
    tape.record(out, () => {
      const gv = tape.grad(values) >>> 2;
      const h = tape.heap.f32;
      const go = out.gradPtr >>> 2;
      for (let i = 0; i < B; i++) {
        const d = h[go + i];
        const gp = slope[i];
        if (d === 0 || !(Math.abs(gp) > 1e-6) || !Number.isFinite(gp)) continue;
        h[gv + lhs[i]] -= d / gp;
        h[gv + rhs[i]] += d / gp;
      }
    });
  }
  return out;
}
