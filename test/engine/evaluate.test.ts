import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DivisionByZeroError,
  DomainError,
  EvalError,
  type Expr,
  Rational,
  UnboundSymbolError,
  answer,
  evaluate,
  fn,
  freeSymbols,
  int,
  op,
  parse,
  sym,
  toNumber,
} from '../../src/engine/index';
import { mathjsValue, relativeClose } from './mathjs-oracle';

function subterms(expr: Expr): Expr[] {
  const out: Expr[] = [];
  const stack = [expr];
  while (stack.length > 0) {
    const node = stack.pop()!;
    out.push(node);
    if (node.type === 'op' || node.type === 'fn') stack.push(...node.children);
  }
  return out;
}

const value = (text: string, bindings = {}) => evaluate(parse(text), bindings);

describe('exact evaluation (Test-Hard)', () => {
  it('(- 0.1 0.1) is exactly 0 and decimals are exact', () => {
    expect(value('(- 0.1 0.1)')).toEqual(Rational.ZERO);
    expect(value('(+ 0.1 0.2)')).toEqual(Rational.of(3n, 10n));
    expect(value('(- (+ 0.1 0.2) 0.3)')).toEqual(Rational.ZERO);
  });

  it('(^ 2 64) is exact, (/ 1 3) is the rational 1/3', () => {
    expect(value('(^ 2 64)')).toEqual(Rational.fromInt(18446744073709551616n));
    expect(value('(/ 1 3)')).toEqual(Rational.of(1n, 3n));
    expect(value('(* (/ 1 3) 3)')).toEqual(Rational.ONE);
    expect(value('(^ 2 -3)')).toEqual(Rational.of(1n, 8n));
    expect(value('(^ 4 (/ 1 2))')).toEqual(Rational.fromInt(2));
    expect(value('(^ -8 (/ 1 3))')).toEqual(Rational.fromInt(-2));
  });

  it('(+ (+ (+ (+ 1 1) 1) 1) 1) is 5', () => {
    expect(value('(+ (+ (+ (+ 1 1) 1) 1) 1)')).toEqual(Rational.fromInt(5));
  });

  it('division by zero and domain errors are typed', () => {
    expect(() => value('(/ 5 0)')).toThrow(DivisionByZeroError);
    expect(() => value('(/ 5 (- 0.5 0.5))')).toThrow(DivisionByZeroError);
    expect(() => value('(^ 0 -1)')).toThrow(DivisionByZeroError);
    expect(() => value('(log -1)')).toThrow(DomainError);
    expect(() => value('(log 0)')).toThrow(DomainError);
    expect(() => value('(sqrt -4)')).toThrow(DomainError);
    expect(() => value('(^ -8 (/ 1 2))')).toThrow(DomainError);
    expect(() => value('(exp 1000)')).toThrow(DomainError);
    expect(() => value('(+ x 1)')).toThrow(UnboundSymbolError);
    expect(() => value('(+ e 1)', { e: 2 })).toThrow(EvalError);
  });

  it('symbols resolve from bindings; e and pi are constants', () => {
    expect(value('(+ x 3)', { x: 2 })).toEqual(Rational.fromInt(5));
    expect(value('(* x y)', { x: 0.5, y: 4 })).toEqual(Rational.fromInt(2));
    expect(value('(log e)')).toBe(1);
    expect(toNumber(value('(cos pi)'))).toBe(-1);
  });

  it('transcendental functions are doubles, exact at their exact points', () => {
    expect(value('(sin 0)')).toEqual(Rational.ZERO);
    expect(value('(cos 0)')).toEqual(Rational.ONE);
    expect(value('(exp 0)')).toEqual(Rational.ONE);
    expect(value('(log 1)')).toEqual(Rational.ZERO);
    expect(value('(sqrt (/ 9 4))')).toEqual(Rational.of(3n, 2n));
    expect(value('(sqrt 2)')).toBe(Math.SQRT2);
    expect(value('(sin 1)')).toBe(Math.sin(1));
  });

  it('(integrate (/ 1 x) x 1 e) is 1', () => {
    expect(toNumber(value('(integrate (/ 1 x) x 1 e)'))).toBeCloseTo(1, 12);
  });

  it('deep expressions evaluate without recursion', () => {
    const depth = 10_000;
    expect(value('(+ 1 '.repeat(depth) + '1' + ')'.repeat(depth))).toEqual(Rational.fromInt(depth + 1));
  });
});

/** Random arithmetic/elementary expressions over x, y for the mathjs oracle. */
const numericLeaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.integer({ min: -9, max: 9 }).map((v) => int(v)),
  fc.constantFrom('x', 'y', 'e', 'pi').map((v) => sym(v)),
  fc.constantFrom(0.5, 1.25, -2.5, 0.1).map((v) => parse(String(v))),
);
const numericExpr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    numericLeaf,
    fc.tuple(fc.constantFrom('+', '-', '*', '/') as fc.Arbitrary<'+'>, tie('e'), tie('e')).map(([o, a, b]) => op(o, a, b)),
    fc.tuple(tie('e'), fc.integer({ min: -3, max: 3 })).map(([a, k]) => op('^', a, int(k))),
    fc.tuple(fc.constantFrom('sin', 'cos', 'tan', 'log', 'exp', 'sqrt') as fc.Arbitrary<'sin'>, tie('e')).map(([f, a]) => fn(f, a)),
  ),
})).e;

describe('evaluate agrees with mathjs (independent oracle)', () => {
  it('on random expressions and bindings', () => {
    let compared = 0;
    fc.assert(
      fc.property(numericExpr, fc.integer({ min: -4, max: 4 }), fc.constantFrom(0.5, 2, -1.5, 3), (expr, x, y) => {
        const scope = { x, y };
        let ours: number | null;
        try {
          ours = toNumber(evaluate(expr, scope));
        } catch (err) {
          // Our typed errors must correspond to a subterm that has no finite real value in mathjs
          // (mathjs carries on with Infinity/NaN/complex, e.g. (0^-1)^0 = 1 there).
          expect(err).toBeInstanceOf(EvalError);
          expect(subterms(expr).some((t) => mathjsValue(t, scope) === null), `mathjs finds every subterm finite`).toBe(true);
          return;
        }
        const theirs = mathjsValue(expr, scope);
        if (theirs === null) return; // e.g. overflow to Infinity on mathjs' side
        expect(relativeClose(ours, theirs, 1e-8, 1e-9), `${JSON.stringify(scope)} ours ${ours} mathjs ${theirs}`).toBe(true);
        compared++;
      }),
      { numRuns: 3000, seed: 42 },
    );
    expect(compared).toBeGreaterThan(1000);
  });
});

describe('answer', () => {
  it('top-level derive is symbolic, everything else numeric', () => {
    const a = answer(parse('(derive (^ x 2) x)'));
    expect(a.kind).toBe('symbolic');
    const b = answer(parse('(+ (derive (^ x 2) x) 1)'), { x: 3 });
    expect(b).toEqual({ kind: 'numeric', value: Rational.fromInt(7) });
    expect(freeSymbols(parse('(+ x (* y pi))'))).toEqual(new Set(['x', 'y']));
  });
});
