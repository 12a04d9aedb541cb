import { compileNumeric, type CompiledFunction } from './compile';
import { IntegrationError } from './errors';
import type { Expr } from './expr';
import { Rational } from './rational';
import { polynomialCoefficients, toSum } from './simplify';
import { substitute } from './substitute';
import { add, type Bindings, mul, sub, toNumber, type Value } from './value';

export interface IntegralResult {
  /** Exact (Rational) for a polynomial integrand with rational bounds, else a double. */
  value: Value;
  /** Estimated absolute error (0 when exact). */
  errorEstimate: number;
  method: 'exact-polynomial' | 'adaptive-gauss-kronrod';
}

export interface QuadratureOptions {
  relTol?: number;
  absTol?: number;
  maxIntervals?: number;
}

// Gauss–Kronrod 7/15 nodes and weights (QUADPACK qk15).
const XGK = [
  0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926,
  0.741531185599394439863864773280788, 0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
  0.207784955007898467600689403773245, 0.0,
];
const WGK = [
  0.02293532201052922496373200805897, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518,
  0.140653259715525918745189590510238, 0.16900472663926790282658342659855, 0.190350578064785409913256402421014,
  0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
];
const WG = [0.129484966168869693270611432679082, 0.27970539148927666790146777142378, 0.381830050505118944950369775488975, 0.417959183673469387755102040816327];

interface Piece {
  a: number;
  b: number;
  value: number;
  error: number;
}

/** A function of one variable; a compiled one (CompiledFunction) is evaluated at many points in one pass. */
export type Integrand = ((x: number) => number) & Partial<Pick<CompiledFunction, 'many'>>;

/** f at xs[0 … n − 1] into out: in one pass when f is compiled, else point by point. */
export function evaluateAt(f: Integrand, xs: Float64Array, out: Float64Array, n: number): void {
  if (f.many !== undefined) f.many(xs, out, n);
  else for (let i = 0; i < n; i++) out[i] = f(xs[i]);
}

/** One rule's 15 nodes (center, then center ∓ dx_j) and f there; each quadrature() has its own (an integrand may integrate too). */
interface RuleBuffers {
  nodes: Float64Array;
  values: Float64Array;
}

function gaussKronrod(f: Integrand, a: number, b: number, { nodes: nodesGK, values: valuesGK }: RuleBuffers): Piece {
  const center = 0.5 * (a + b);
  const half = 0.5 * (b - a);
  nodesGK[0] = center;
  for (let j = 0; j < 7; j++) {
    const dx = half * XGK[j];
    nodesGK[1 + 2 * j] = center - dx;
    nodesGK[2 + 2 * j] = center + dx;
  }
  evaluateAt(f, nodesGK, valuesGK, 15);
  const fc = valuesGK[0];
  let kronrod = fc * WGK[7];
  let gauss = fc * WG[3];
  for (let j = 0; j < 7; j++) {
    const f1 = valuesGK[1 + 2 * j];
    const f2 = valuesGK[2 + 2 * j];
    if (!Number.isFinite(f1) || !Number.isFinite(f2)) {
      throw new IntegrationError(`integrand is not finite near x = ${Number.isFinite(f1) ? nodesGK[2 + 2 * j] : nodesGK[1 + 2 * j]}`);
    }
    kronrod += WGK[j] * (f1 + f2);
    if (j % 2 === 1) gauss += WG[(j - 1) / 2] * (f1 + f2);
  }
  if (!Number.isFinite(fc)) throw new IntegrationError(`integrand is not finite near x = ${center}`);
  return { a, b, value: kronrod * half, error: Math.abs((kronrod - gauss) * half) };
}

/** Max-heap of pieces by error estimate. */
class PieceHeap {
  readonly items: Piece[] = [];
  push(p: Piece): void {
    const a = this.items;
    a.push(p);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent].error >= a[i].error) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }
  pop(): Piece {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].error > a[m].error) m = l;
        if (r < a.length && a[r].error > a[m].error) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Globally adaptive Gauss–Kronrod quadrature: always bisect the piece with the largest error
 * (a heap); the interior is scanned first so an integrand with a pole on it fails fast.
 */
export function quadrature(f: Integrand, a: number, b: number, options: QuadratureOptions = {}): { value: number; errorEstimate: number } {
  const relTol = options.relTol ?? 1e-11;
  const absTol = options.absTol ?? 1e-13;
  const maxIntervals = options.maxIntervals ?? 200;
  if (a === b) return { value: 0, errorEstimate: 0 };
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new IntegrationError('integration bounds must be finite');
  const scan = new Float64Array(31);
  for (let i = 1; i < 32; i++) scan[i - 1] = a + ((b - a) * i) / 32;
  const scanned = new Float64Array(31);
  evaluateAt(f, scan, scanned, 31);
  for (let i = 0; i < 31; i++) if (!Number.isFinite(scanned[i])) throw new IntegrationError(`integrand is not finite at x = ${scan[i]}`);
  const heap = new PieceHeap();
  const rule: RuleBuffers = { nodes: new Float64Array(15), values: new Float64Array(15) };
  const first = gaussKronrod(f, a, b, rule);
  heap.push(first);
  let total = first.value;
  let error = first.error;
  let splits = 0;
  while (error > Math.max(absTol, relTol * Math.abs(total))) {
    if (heap.items.length >= maxIntervals) {
      throw new IntegrationError(`quadrature did not converge on [${a}, ${b}] (error estimate ${error.toExponential(2)})`);
    }
    const piece = heap.pop();
    const mid = 0.5 * (piece.a + piece.b);
    const left = gaussKronrod(f, piece.a, mid, rule);
    const right = gaussKronrod(f, mid, piece.b, rule);
    heap.push(left);
    heap.push(right);
    // Running sums drift; recompute exactly every 64 splits and before accepting.
    if (++splits % 64 === 0) {
      total = 0;
      error = 0;
      for (const p of heap.items) {
        total += p.value;
        error += p.error;
      }
    } else {
      total += left.value + right.value - piece.value;
      error += left.error + right.error - piece.error;
    }
  }
  total = 0;
  error = 0;
  for (const p of heap.items) {
    total += p.value;
    error += p.error;
  }
  return { value: total, errorEstimate: error };
}

function evaluatePolynomial(coefficients: Rational[], x: Value): Value {
  let acc: Value = Rational.ZERO;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = add(mul(acc, x), coefficients[k]);
  return acc;
}

/**
 * Definite integral of f d(variable) from lower to upper. Polynomials (after substituting
 * bindings and simplifying) are integrated exactly; anything else by adaptive quadrature
 * with an error estimate (IntegrationError when it cannot reach ~1e-11 relative accuracy).
 */
export function integrate(f: Expr, variable: string, lower: Value, upper: Value, bindings: Bindings = {}, options: QuadratureOptions = {}): IntegralResult {
  const integrand = substitute(f, bindings, variable);
  let coefficients: Rational[] | null = null;
  try {
    coefficients = polynomialCoefficients(toSum(integrand, { expandPowers: true }), variable);
  } catch {
    coefficients = null; // e.g. a form simplify does not handle: fall back to quadrature
  }
  if (coefficients !== null) {
    const antiderivative = [Rational.ZERO, ...coefficients.map((c, k) => c.div(Rational.fromInt(k + 1)))];
    const value = sub(evaluatePolynomial(antiderivative, upper), evaluatePolynomial(antiderivative, lower));
    const exact = typeof value !== 'number';
    return { value, errorEstimate: exact ? 0 : Math.abs(toNumber(value)) * 4e-16, method: 'exact-polynomial' };
  }
  const program = compileNumeric(integrand, variable, bindings);
  const { value, errorEstimate } = quadrature(program, toNumber(lower), toNumber(upper), options);
  return { value, errorEstimate, method: 'adaptive-gauss-kronrod' };
}
