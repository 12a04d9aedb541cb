import { differentiate } from './derive-rules';
import { DivisionByZeroError, UnsupportedError } from './errors';
import { type ElementaryFn, type Expr, fn, foldExpr, int, op } from './expr';
import { print } from './print';
import { Rational } from './rational';
import { rationalFromFloat } from './value';

/**
 * Canonical form by normalisation: an expression becomes a Sum of Terms, a Term is a
 * rational coefficient times a product of Factors, a Factor is base^exponent with the
 * exponent itself a Sum. Like terms and like bases are merged, products of sums are expanded
 * (up to EXPAND_MAX_TERMS terms; integer powers of sums only on request, see
 * NormalFormOptions), and the result is printed back in one fixed order. The same input
 * therefore always yields the same output tree, and simplify(simplify(e)) = simplify(e).
 *
 * Rewrites used beyond field arithmetic: (f^a)^n = f^(a·n) only for integer n; sin 0 = 0,
 * cos 0 = 1, tan 0 = 0, exp 0 = 1, log 1 = 0, log e = 1, log(exp u) = u, exact square
 * roots of rationals. Nothing that needs a domain assumption such as sqrt(x^2) = x.
 */

export interface Factor {
  readonly base: Expr;
  readonly baseKey: string;
  /** Ordering class of the base: numbers, symbols, functions, compound. */
  readonly rank: number;
  /** Value of a numeric base (2 in 2^x), else null. */
  readonly baseValue: Rational | null;
  readonly exp: Sum;
  readonly expKey: string;
  /** Normal form of a base that is a whole sum kept as a factor, else null. */
  readonly baseSum: Sum | null;
}

export interface Term {
  readonly coef: Rational;
  readonly factors: readonly Factor[];
  readonly key: string;
}

export interface Sum {
  readonly constant: Rational;
  /** Non-zero coefficients, unique keys, in canonical order. */
  readonly terms: readonly Term[];
}

/** Expansion of products/powers of sums stops (the sum stays a factor) beyond this many terms. */
export const EXPAND_MAX_TERMS = 40;
const EXPAND_MAX_POWER = 8;

const ZERO = Rational.ZERO;
const ONE = Rational.ONE;

function constantSum(value: Rational): Sum {
  return { constant: value, terms: [] };
}
const ZERO_SUM = constantSum(ZERO);
const ONE_SUM = constantSum(ONE);

function isConstantSum(s: Sum): boolean {
  return s.terms.length === 0;
}
function isSingleTerm(s: Sum): boolean {
  return s.terms.length === 1 && s.constant.isZero;
}

function rankOf(base: Expr): number {
  switch (base.type) {
    case 'int':
    case 'float':
      return 0;
    case 'symbol':
      return 1;
    case 'fn':
      return 2;
    case 'op':
      return base.value === '/' && base.children[0].type === 'int' && base.children[1].type === 'int' ? 0 : 3;
  }
}

function keyOfSum(s: Sum): string {
  return isConstantSum(s) ? s.constant.toString() : print(sumToExpr(s));
}

function makeFactor(base: Expr, exp: Sum, baseValue: Rational | null, baseSum: Sum | null = null): Factor {
  return { base, baseKey: print(base), rank: rankOf(base), baseValue, exp, expKey: keyOfSum(exp), baseSum };
}

function withExponent(f: Factor, exp: Sum): Factor {
  return { base: f.base, baseKey: f.baseKey, rank: f.rank, baseValue: f.baseValue, exp, expKey: keyOfSum(exp), baseSum: f.baseSum };
}

const KEY_SEPARATOR = '\u0001';

function makeTerm(coef: Rational, factors: readonly Factor[]): Term {
  let key = '';
  for (let i = 0; i < factors.length; i++) {
    if (i > 0) key += KEY_SEPARATOR;
    key += factors[i].baseKey + KEY_SEPARATOR + '^' + factors[i].expKey;
  }
  return { coef, factors, key };
}

/** Drops x^0 and folds numeric bases with integer exponents (2^3) into the coefficient. */
function normalizedTerm(coef: Rational, factors: readonly Factor[]): Term {
  const kept: Factor[] = [];
  for (const f of factors) {
    if (isConstantSum(f.exp)) {
      const e = f.exp.constant;
      if (e.isZero) continue;
      if (f.baseValue !== null && e.isInteger) {
        coef = coef.mul(f.baseValue.pow(e.num));
        continue;
      }
    }
    kept.push(f);
  }
  return makeTerm(coef, kept);
}

function compareBases(a: Factor, b: Factor): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.baseKey < b.baseKey ? -1 : a.baseKey > b.baseKey ? 1 : 0;
}

/** Positive when exponent a is "higher" than b (constants by value; symbolic above constant). */
function compareExponents(a: Factor, b: Factor): number {
  const ca = isConstantSum(a.exp);
  const cb = isConstantSum(b.exp);
  if (ca && cb) return a.exp.constant.compare(b.exp.constant);
  if (ca !== cb) return ca ? -1 : 1;
  return a.expKey < b.expKey ? -1 : a.expKey > b.expKey ? 1 : 0;
}

/** Lexicographic over factors: earlier base first, then higher power first, longer first. */
function compareTerms(a: Term, b: Term): number {
  const n = Math.min(a.factors.length, b.factors.length);
  for (let i = 0; i < n; i++) {
    const byBase = compareBases(a.factors[i], b.factors[i]);
    if (byBase !== 0) return byBase;
    const byExponent = compareExponents(a.factors[i], b.factors[i]);
    if (byExponent !== 0) return -byExponent;
  }
  if (a.factors.length !== b.factors.length) return b.factors.length - a.factors.length;
  return 0;
}

/** Merge terms with equal keys, drop zeros, sort. */
function collect(constant: Rational, terms: Iterable<Term>): Sum {
  const byKey = new Map<string, Term>();
  for (const t of terms) {
    if (t.factors.length === 0) {
      constant = constant.add(t.coef);
      continue;
    }
    const seen = byKey.get(t.key);
    byKey.set(t.key, seen === undefined ? t : { coef: seen.coef.add(t.coef), factors: seen.factors, key: seen.key });
  }
  const kept: Term[] = [];
  for (const t of byKey.values()) if (!t.coef.isZero) kept.push(t);
  kept.sort(compareTerms);
  return { constant, terms: kept };
}

export function addSums(a: Sum, b: Sum): Sum {
  if (isConstantSum(b)) return { constant: a.constant.add(b.constant), terms: a.terms };
  if (isConstantSum(a)) return { constant: a.constant.add(b.constant), terms: b.terms };
  return collect(a.constant.add(b.constant), [...a.terms, ...b.terms]);
}

function scaleSum(s: Sum, k: Rational): Sum {
  if (k.isZero) return ZERO_SUM;
  if (k.equals(ONE)) return s;
  return { constant: s.constant.mul(k), terms: s.terms.map((t) => ({ coef: t.coef.mul(k), factors: t.factors, key: t.key })) };
}

/** Product of two terms: coefficients multiply, exponents of equal bases add. */
function multiplyTerms(a: Term, b: Term): Term {
  const coef = a.coef.mul(b.coef);
  const factors: Factor[] = [];
  let i = 0;
  let j = 0;
  const fa = a.factors;
  const fb = b.factors;
  while (i < fa.length || j < fb.length) {
    const order = i >= fa.length ? 1 : j >= fb.length ? -1 : compareBases(fa[i], fb[j]);
    if (order < 0) factors.push(fa[i++]);
    else if (order > 0) factors.push(fb[j++]);
    else {
      factors.push(withExponent(fa[i], addSums(fa[i].exp, fb[j].exp)));
      i++;
      j++;
    }
  }
  return normalizedTerm(coef, factors);
}

function termsWithConstant(s: Sum): Term[] {
  return s.constant.isZero ? s.terms.slice() : [...s.terms, makeTerm(s.constant, [])];
}

function termCount(s: Sum): number {
  return s.terms.length + (s.constant.isZero ? 0 : 1);
}

/** A multi-term sum kept whole, as one factor (sum)^exp. */
function sumAsFactorTerm(s: Sum, exp: Sum): Term {
  return makeTerm(ONE, [makeFactor(sumToExpr(s), exp, null, s)]);
}

function isUnitSumFactor(f: Factor): boolean {
  return f.baseSum !== null && isConstantSum(f.exp) && f.exp.constant.equals(ONE);
}

/**
 * A term as a sum, multiplying out whole-sum factors whose exponent came to 1, e.g.
 * y·(x-1)^-1 · (x-1)^2 = y·(x-1) -> xy - y: printed as a product they would be expanded
 * when simplified again, so the canonical form must already be expanded.
 */
function termToSum(t: Term): Sum {
  if (!t.factors.some(isUnitSumFactor)) return termSum(t);
  let acc = termSum(makeTerm(t.coef, t.factors.filter((f) => !isUnitSumFactor(f))));
  for (const f of t.factors) if (isUnitSumFactor(f)) acc = multiplySums(acc, f.baseSum!);
  return acc;
}

function termSum(t: Term): Sum {
  return t.factors.length === 0 ? constantSum(t.coef) : t.coef.isZero ? ZERO_SUM : { constant: ZERO, terms: [t] };
}

export function multiplySums(a: Sum, b: Sum): Sum {
  if (isConstantSum(a)) return scaleSum(b, a.constant);
  if (isConstantSum(b)) return scaleSum(a, b.constant);
  const na = termCount(a);
  const nb = termCount(b);
  if (na > 1 && nb > 1 && na * nb > EXPAND_MAX_TERMS) {
    return termSum(multiplyTerms(sumAsFactorTerm(a, ONE_SUM), sumAsFactorTerm(b, ONE_SUM)));
  }
  const products: Term[] = [];
  let multipliedOut = ZERO_SUM;
  for (const ta of termsWithConstant(a)) {
    for (const tb of termsWithConstant(b)) {
      const t = multiplyTerms(ta, tb);
      if (t.factors.some(isUnitSumFactor)) multipliedOut = addSums(multipliedOut, termToSum(t));
      else products.push(t);
    }
  }
  return addSums(collect(ZERO, products), multipliedOut);
}

/** Number of monomials of (n terms)^k: C(n+k-1, k). */
function expandedTermCount(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - 1 + i)) / i;
  return c;
}

function numberExpr(value: Rational): Expr {
  return value.isInteger ? int(value.num) : op('/', int(value.num), int(value.den));
}

export function powerSums(base: Sum, exp: Sum, expandPowers = false): Sum {
  if (isConstantSum(exp)) {
    const e = exp.constant;
    if (e.isZero) return ONE_SUM;
    if (e.equals(ONE)) return base;
    if (isConstantSum(base)) {
      const b = base.constant;
      if (e.isInteger) return constantSum(b.pow(e.num));
      if (b.isZero && e.sign > 0) return ZERO_SUM;
      if (b.equals(ONE)) return ONE_SUM;
      if (b.sign > 0 || e.den % 2n === 1n) {
        const root = e.den <= 64n ? b.root(e.den) : null;
        if (root !== null) return constantSum(root.pow(e.num));
      }
      return termSum(makeTerm(ONE, [makeFactor(numberExpr(b), exp, b)]));
    }
    if (isSingleTerm(base) && e.isInteger) {
      const t = base.terms[0];
      return termToSum(normalizedTerm(t.coef.pow(e.num), t.factors.map((f) => withExponent(f, scaleSum(f.exp, e)))));
    }
    if (isSingleTerm(base) && base.terms[0].coef.equals(ONE) && base.terms[0].factors.length === 1) {
      const f = base.terms[0].factors[0];
      if (isConstantSum(f.exp) && f.exp.constant.equals(ONE)) return termSum(makeTerm(ONE, [withExponent(f, exp)]));
    }
    if (expandPowers && !isSingleTerm(base) && e.isInteger && e.sign > 0 && e.num <= BigInt(EXPAND_MAX_POWER)) {
      const k = Number(e.num);
      if (expandedTermCount(termCount(base), k) <= EXPAND_MAX_TERMS) {
        let acc = base;
        for (let i = 1; i < k; i++) acc = multiplySums(acc, base);
        return acc;
      }
    }
    return termSum(sumAsFactorTerm(base, exp));
  }
  // Symbolic exponent.
  if (isConstantSum(base)) {
    const b = base.constant;
    if (b.equals(ONE)) return ONE_SUM;
    return termSum(makeTerm(ONE, [makeFactor(numberExpr(b), exp, b)]));
  }
  if (isSingleTerm(base) && base.terms[0].coef.equals(ONE) && base.terms[0].factors.length === 1) {
    const f = base.terms[0].factors[0];
    if (isConstantSum(f.exp) && f.exp.constant.equals(ONE)) return termSum(makeTerm(ONE, [withExponent(f, exp)]));
  }
  return termSum(sumAsFactorTerm(base, exp));
}

function singleFactorOf(s: Sum): Factor | null {
  if (!isSingleTerm(s)) return null;
  const t = s.terms[0];
  if (!t.coef.equals(ONE) || t.factors.length !== 1) return null;
  const f = t.factors[0];
  return isConstantSum(f.exp) && f.exp.constant.equals(ONE) ? f : null;
}

function applyFunction(name: ElementaryFn, arg: Sum, options: NormalFormOptions): Sum {
  if (isConstantSum(arg)) {
    const a = arg.constant;
    if (a.isZero && (name === 'sin' || name === 'tan')) return ZERO_SUM;
    if (a.isZero && (name === 'cos' || name === 'exp')) return ONE_SUM;
    if (name === 'log' && a.equals(ONE)) return ZERO_SUM;
    if (name === 'sqrt' && a.sign >= 0) {
      const root = a.root(2n);
      if (root !== null) return constantSum(root);
    }
  }
  if (name === 'log') {
    const f = singleFactorOf(arg);
    if (f !== null && f.base.type === 'symbol' && f.base.value === 'e') return ONE_SUM;
    if (f !== null && f.base.type === 'fn' && f.base.value === 'exp') return toSum(f.base.children[0], options);
  }
  return termSum(makeTerm(ONE, [makeFactor(fn(name, sumToExpr(arg)), ONE_SUM, null)]));
}

function symbolSum(name: string): Sum {
  return termSum(makeTerm(ONE, [makeFactor({ type: 'symbol', value: name }, ONE_SUM, null)]));
}

export interface NormalFormOptions {
  /**
   * Expand small positive integer powers of sums, (x+1)^2 -> x^2 + 2x + 1 (polynomial
   * detection for solve/integrate). Off for the displayed canonical form, which keeps
   * (x+1)^2 whole: printing a denominator (x+1)^-2 as (^ (+ x 1) 2) then re-simplifies to
   * itself, so simplify is idempotent.
   */
  expandPowers?: boolean;
}

/** Normal form of an expression (bottom-up, iterative). */
export function toSum(expr: Expr, options: NormalFormOptions = {}): Sum {
  const expandPowers = options.expandPowers ?? false;
  return foldExpr<Sum>(expr, (node, kids) => {
    switch (node.type) {
      case 'int':
        return constantSum(Rational.fromInt(node.value));
      case 'float':
        return constantSum(rationalFromFloat(node.value));
      case 'symbol':
        return symbolSum(node.value);
      case 'op': {
        const [a, b] = kids;
        switch (node.value) {
          case '+':
            return addSums(a, b);
          case '-':
            return addSums(a, scaleSum(b, Rational.MINUS_ONE));
          case '*':
            return multiplySums(a, b);
          case '/':
            if (isConstantSum(b) && b.constant.isZero) throw new DivisionByZeroError();
            return multiplySums(a, powerSums(b, constantSum(Rational.MINUS_ONE)));
          case '^':
            return powerSums(a, b, expandPowers);
          case '=':
            throw new UnsupportedError(`'=' is only meaningful inside solve`);
        }
        break;
      }
      case 'fn':
        switch (node.value) {
          case 'derive':
            return toSum(differentiate(sumToExpr(kids[0]), (node.children[1] as { value: string }).value), options);
          case 'integrate':
          case 'solve':
            throw new UnsupportedError(`'${node.value}' inside a symbolic expression is not supported`);
          default:
            return applyFunction(node.value, kids[0], options);
        }
    }
    throw new UnsupportedError('cannot simplify this node');
  });
}

function product(factors: Expr[]): Expr {
  let acc = factors[0];
  for (let i = 1; i < factors.length; i++) acc = op('*', acc, factors[i]);
  return acc;
}

function factorExpr(f: Factor, exp: Sum): Expr {
  if (isConstantSum(exp) && exp.constant.equals(ONE)) return f.base;
  return op('^', f.base, sumToExpr(exp));
}

function isBareSum(f: Factor): boolean {
  return f.base.type === 'op' && (f.base.value === '+' || f.base.value === '-');
}

/**
 * Printed form of coef·factors: numerator, then `/` the product of the coefficient's
 * denominator and the monomial factors with negative exponents, then `/` each sum factor in
 * turn — never a product containing a sum, which re-simplifying would expand (keeps
 * simplify idempotent).
 */
function termExpr(coef: Rational, factors: readonly Factor[]): Expr {
  const numerator: Expr[] = [];
  const denominator: Expr[] = [];
  const sumDenominators: Expr[] = [];
  for (const f of factors) {
    if (isConstantSum(f.exp) && f.exp.constant.sign < 0) {
      const positive = constantSum(f.exp.constant.neg());
      const printed = factorExpr(f, positive);
      if (isBareSum(f) && positive.constant.equals(ONE)) sumDenominators.push(printed);
      else denominator.push(printed);
    } else numerator.push(factorExpr(f, f.exp));
  }
  const p = coef.num;
  if (numerator.length === 0 || (p !== 1n && p !== -1n)) numerator.unshift(int(p));
  else if (p === -1n) numerator.unshift(int(-1));
  if (coef.den !== 1n) denominator.unshift(int(coef.den));
  let acc = product(numerator);
  if (denominator.length > 0) acc = op('/', acc, product(denominator));
  for (const d of sumDenominators) acc = op('/', acc, d);
  return acc;
}

/** Canonical expression of a normal form: terms in order, then the constant; negatives as `-`. */
export function sumToExpr(s: Sum): Expr {
  if (s.terms.length === 0) return numberExpr(s.constant);
  let acc = termExpr(s.terms[0].coef, s.terms[0].factors);
  for (let i = 1; i < s.terms.length; i++) {
    const t = s.terms[i];
    acc = t.coef.sign < 0 ? op('-', acc, termExpr(t.coef.neg(), t.factors)) : op('+', acc, termExpr(t.coef, t.factors));
  }
  if (!s.constant.isZero) {
    acc = s.constant.sign < 0 ? op('-', acc, numberExpr(s.constant.neg())) : op('+', acc, numberExpr(s.constant));
  }
  return acc;
}

/** The canonical simplified form. Deterministic: same input, same output tree. */
export function simplify(expr: Expr): Expr {
  return sumToExpr(toSum(expr));
}

/**
 * Coefficients [c0, c1, ...] when the normal form is a polynomial in `variable` with
 * rational coefficients (no other symbols, no e or pi), else null.
 */
export function polynomialCoefficients(s: Sum, variable: string): Rational[] | null {
  const coefficients: Rational[] = [s.constant];
  for (const t of s.terms) {
    if (t.factors.length !== 1) return null;
    const f = t.factors[0];
    if (f.base.type !== 'symbol' || f.base.value !== variable || !isConstantSum(f.exp)) return null;
    const e = f.exp.constant;
    if (!e.isInteger || e.sign <= 0 || e.num > 10000n) return null;
    const degree = Number(e.num);
    while (coefficients.length <= degree) coefficients.push(ZERO);
    coefficients[degree] = coefficients[degree].add(t.coef);
  }
  return coefficients;
}
