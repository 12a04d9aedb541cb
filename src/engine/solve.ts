import { compileNumeric, type NumericFunction } from './compile';
import { EvalError, NoSolutionError } from './errors';
import type { Expr } from './expr';
import { Rational } from './rational';
import { polynomialCoefficients, toSum } from './simplify';
import { substitute } from './substitute';
import type { Bindings, Value } from './value';

export interface SolveResult {
  /** Real roots in ascending order, each verified by substitution. */
  roots: Value[];
  /** True when every root is an exact rational. */
  exact: boolean;
  method: 'linear' | 'quadratic' | 'numeric';
}

/** Numeric root search range and grid (documented contract of the numeric fallback). */
export const NUMERIC_SEARCH = { from: -100, to: 100, steps: 4000 };

function horner(coefficients: Rational[], x: Rational): Rational {
  let acc = Rational.ZERO;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = acc.mul(x).add(coefficients[k]);
  return acc;
}

function bisect(g: NumericFunction, a: number, b: number, ga: number): number {
  for (let i = 0; i < 200; i++) {
    const m = 0.5 * (a + b);
    if (m === a || m === b) break;
    const gm = g(m);
    if (gm === 0) return m;
    if (gm < 0 === ga < 0) {
      a = m;
      ga = gm;
    } else b = m;
  }
  return 0.5 * (a + b);
}

/**
 * Real roots of lhs = rhs in `variable`. Polynomials of degree 1 and 2 (after substituting
 * bindings and simplifying) are solved exactly (irrational quadratic roots as doubles);
 * anything else by a sign-change scan of [-100, 100] refined by bisection. Every root is
 * checked by substituting it into the original equation: |lhs - rhs| <= 1e-9·(1 + |lhs| + |rhs|),
 * and exactly (= 0) for rational roots of polynomials.
 */
export function solve(equation: Expr, variable: string, bindings: Bindings = {}): SolveResult {
  if (equation.type !== 'op' || equation.value !== '=') throw new EvalError(`solve needs an equation (= lhs rhs)`);
  const lhs = substitute(equation.children[0], bindings, variable);
  const rhs = substitute(equation.children[1], bindings, variable);
  const left = compileNumeric(lhs, variable, bindings);
  const right = compileNumeric(rhs, variable, bindings);
  const satisfies = (x: number): boolean => {
    const l = left(x);
    const r = right(x);
    return Number.isFinite(l) && Number.isFinite(r) && Math.abs(l - r) <= 1e-9 * (1 + Math.abs(l) + Math.abs(r));
  };

  let coefficients: Rational[] | null = null;
  try {
    coefficients = polynomialCoefficients(toSum({ type: 'op', value: '-', children: [lhs, rhs] }, { expandPowers: true }), variable);
  } catch {
    coefficients = null;
  }
  while (coefficients !== null && coefficients.length > 1 && coefficients[coefficients.length - 1].isZero) coefficients.pop();

  if (coefficients !== null && coefficients.length <= 3) {
    const degree = coefficients.length - 1;
    if (degree === 0) {
      throw new NoSolutionError(coefficients[0].isZero ? `every value of '${variable}' solves the equation` : 'the equation has no solution');
    }
    let roots: Value[];
    let exact = true;
    if (degree === 1) {
      roots = [coefficients[0].neg().div(coefficients[1])];
    } else {
      const [c, b, a] = coefficients;
      const discriminant = b.mul(b).sub(Rational.fromInt(4).mul(a).mul(c));
      if (discriminant.sign < 0) throw new NoSolutionError('the quadratic equation has no real roots');
      const root = discriminant.root(2n);
      const twoA = Rational.fromInt(2).mul(a);
      if (root !== null) {
        const r1 = b.neg().sub(root).div(twoA);
        const r2 = b.neg().add(root).div(twoA);
        roots = r1.equals(r2) ? [r1] : r1.compare(r2) < 0 ? [r1, r2] : [r2, r1];
      } else {
        // Stable form: q = -(b + sign(b)·sqrt(D))/2, roots q/a and c/q.
        exact = false;
        const bn = b.toNumber();
        const q = -0.5 * (bn + (bn >= 0 ? 1 : -1) * Math.sqrt(discriminant.toNumber()));
        const r1 = q / a.toNumber();
        const r2 = c.toNumber() / q;
        roots = r1 < r2 ? [r1, r2] : [r2, r1];
      }
    }
    for (const r of roots) {
      const ok = typeof r === 'number' ? satisfies(r) : horner(coefficients, r).isZero;
      if (!ok) throw new EvalError(`root ${r} of '${variable}' fails substitution into the equation`);
    }
    return { roots, exact, method: degree === 1 ? 'linear' : 'quadratic' };
  }

  const g: NumericFunction = (x) => left(x) - right(x);
  const { from, to, steps } = NUMERIC_SEARCH;
  const found: number[] = [];
  let xa = from;
  let ga = g(xa);
  if (ga === 0 && satisfies(xa)) found.push(xa);
  for (let i = 1; i <= steps; i++) {
    const xb = from + ((to - from) * i) / steps;
    const gb = g(xb);
    if (gb === 0) {
      if (satisfies(xb)) found.push(xb);
    } else if (Number.isFinite(ga) && Number.isFinite(gb) && ga !== 0 && (ga < 0) !== (gb < 0)) {
      const r = bisect(g, xa, xb, ga);
      if (satisfies(r)) found.push(r);
    }
    xa = xb;
    ga = gb;
  }
  const roots: number[] = [];
  for (const r of found) if (roots.length === 0 || Math.abs(r - roots[roots.length - 1]) > 1e-9 * (1 + Math.abs(r))) roots.push(r);
  if (roots.length === 0) throw new NoSolutionError(`no real root found in [${from}, ${to}]`);
  return { roots, exact: false, method: 'numeric' };
}
