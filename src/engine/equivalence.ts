import { numericValue } from './compile';
import { CONSTANTS, type Expr, freeSymbols } from './expr';
import { Prng } from '../util/prng';

/**
 * Numeric equivalence of two expressions (DESIGN evaluation protocol: "equivalent to the
 * target, checked numerically at random points by the engine"). Both are evaluated in
 * double precision at `points` random assignments of their free symbols, each drawn
 * uniformly from [-range, range]; they are equivalent when they agree at every point where
 * the target is finite, within `tolerance` relative to max(1, |target|). A prediction that
 * is non-finite where the target is finite is not equivalent. Points where the target is
 * non-finite (outside its domain: log of a negative, a pole) are skipped; if fewer than
 * `minPoints` remain, the answer is false (too little evidence).
 *
 * Why random points and not simplify-and-compare: the canonical forms of our simplifier
 * are not unique for every expression (e.g. trigonometric identities), and the DESIGN asks
 * for a numeric check. It is a probabilistic test: two different rational functions agree
 * at 12 random reals with probability ~0.
 */
export interface EquivalenceOptions {
  points?: number;
  minPoints?: number;
  range?: number;
  tolerance?: number;
  seed?: number | string;
}

export function numericallyEquivalent(predicted: Expr, target: Expr, options: EquivalenceOptions = {}): boolean {
  const points = options.points ?? 12;
  const minPoints = options.minPoints ?? 4;
  const range = options.range ?? 3;
  const tolerance = options.tolerance ?? 1e-6;
  const symbols = [...new Set([...freeSymbols(predicted), ...freeSymbols(target)])].filter((s) => !Object.prototype.hasOwnProperty.call(CONSTANTS, s)).sort();
  const prng = new Prng(options.seed ?? 'equivalence');
  let compared = 0;
  for (let p = 0; p < points; p++) {
    const bindings: Record<string, number> = {};
    for (const s of symbols) bindings[s] = (prng.nextFloat() * 2 - 1) * range;
    const y = valueAt(target, bindings);
    if (!Number.isFinite(y)) continue;
    const v = valueAt(predicted, bindings);
    if (!Number.isFinite(v) || Math.abs(v - y) > tolerance * Math.max(1, Math.abs(y))) return false;
    compared++;
  }
  return compared >= minPoints;
}

/** The expression's double value at `bindings`; NaN where it cannot be evaluated numerically. */
function valueAt(expr: Expr, bindings: Readonly<Record<string, number>>): number {
  try {
    return numericValue(expr, null, bindings, 0);
  } catch {
    return NaN;
  }
}
