import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DivisionByZeroError,
  EvalError,
  type Expr,
  IntegrationError,
  NoSolutionError,
  Rational,
  derive,
  evaluate,
  fn,
  int,
  integrate,
  op,
  parse,
  print,
  simplify,
  solve,
  sym,
  toNumber,
} from '../../src/engine/index';
import { DataGenerator } from '../../src/data/generator';
import { math, mathjsValue, relativeClose, toInfix } from './mathjs-oracle';

const d = (text: string) => print(derive(parse(text), 'x'));

describe('derive: canonical forms', () => {
  it('gives the expected canonical results', () => {
    expect(d('(^ x 2)')).toBe('(* 2 x)');
    expect(d('(^ x x)')).toBe('(+ (* (^ x x) (log x)) (^ x x))');
    expect(d('(sin (* 2 x))')).toBe('(* 2 (cos (* 2 x)))');
    expect(d('(/ 1 x)')).toBe('(/ -1 (^ x 2))');
    expect(d('(* (+ x 1) (- x 1))')).toBe('(* 2 x)');
    expect(d('(sqrt x)')).toBe('(/ 1 (* 2 (sqrt x)))');
    expect(d('(log (* 3 x))')).toBe('(/ 1 x)');
    expect(d('(+ (* 3 (^ x 2)) (* 5 x))')).toBe('(+ (* 6 x) 5)');
    expect(d('(exp x)')).toBe('(exp x)');
    expect(d('(cos x)')).toBe('(* -1 (sin x))');
    expect(d('(- 7 x)')).toBe('-1');
    expect(d('(* y x)')).toBe('y');
    expect(d('(^ 2 x)')).toBe('(* (^ 2 x) (log 2))');
    expect(d('(derive (^ x 3) x)')).toBe('(* 6 x)');
  });

  it('is deterministic and equal inputs give equal trees', () => {
    const a = derive(parse('(* (+ x 1) (^ x 3))'), 'x');
    const b = derive(parse('(* (+ x 1) (^ x 3))'), 'x');
    expect(print(a)).toBe(print(b));
    expect(d('(+ (* x x) x)')).toBe(d('(+ x (^ x 2))'));
  });

  it('simplify is idempotent and exact', () => {
    expect(print(simplify(parse('(+ (* 2 x) (* 3 x))')))).toBe('(* 5 x)');
    expect(print(simplify(parse('(- (+ x 0.5) 0.5)')))).toBe('x');
    expect(print(simplify(parse('(* (^ x (/ 1 2)) (^ x (/ 1 2)))')))).toBe('x');
    expect(print(simplify(parse('(log (exp (+ x 1)))')))).toBe('(+ x 1)');
    expect(() => simplify(parse('(/ x (- 2 2))'))).toThrow(DivisionByZeroError);
    fc.assert(
      fc.property(symbolicExpr, (e) => {
        let once: Expr;
        try {
          once = simplify(e);
        } catch (err) {
          expect(err).toBeInstanceOf(EvalError);
          return;
        }
        expect(print(simplify(once))).toBe(print(once));
      }),
      { numRuns: Number(process.env.IDEMPOTENCE_RUNS ?? 1500), seed: Number(process.env.IDEMPOTENCE_SEED ?? 7) },
    );
  });
});

const symbolicLeaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.integer({ min: -5, max: 9 }).map((v) => int(v)),
  fc.constant(sym('x')),
  fc.constant(sym('x')),
  fc.constantFrom('y', 'pi').map((v) => sym(v)),
);
const symbolicExpr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    symbolicLeaf,
    fc.tuple(fc.constantFrom('+', '-', '*', '/') as fc.Arbitrary<'+'>, tie('e'), tie('e')).map(([o, a, b]) => op(o, a, b)),
    fc.tuple(tie('e'), fc.integer({ min: -2, max: 4 })).map(([a, k]) => op('^', a, int(k))),
    fc.tuple(fc.constantFrom('sin', 'cos', 'tan', 'log', 'exp', 'sqrt') as fc.Arbitrary<'sin'>, tie('e')).map(([f, a]) => fn(f, a)),
  ),
})).e;

const POINTS = [0.31, 0.77, 1.4, 2.3];

/** Compares two expressions numerically at points where both are finite reals (mathjs evaluates both). */
function agreeAtPoints(ours: string, theirs: string, y = 1.7): number {
  let compared = 0;
  for (const x of POINTS) {
    const a: unknown = math.evaluate(ours, { x, y });
    const b: unknown = math.evaluate(theirs, { x, y });
    if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b)) continue;
    if (Math.abs(a) > 1e8) continue; // near a pole both are ill-conditioned
    expect(relativeClose(a, b, 1e-7, 1e-9), `x=${x}: ours ${ours} = ${a}, mathjs ${theirs} = ${b}`).toBe(true);
    compared++;
  }
  return compared;
}

describe('derive agrees with mathjs.derivative at random points', () => {
  it('on random expressions', () => {
    let checked = 0;
    fc.assert(
      fc.property(symbolicExpr, (f) => {
        let ours: Expr;
        try {
          ours = derive(f, 'x');
        } catch (err) {
          expect(err).toBeInstanceOf(EvalError);
          return;
        }
        let theirs: string;
        try {
          theirs = math.derivative(toInfix(f), 'x').toString();
        } catch {
          return; // mathjs cannot differentiate it (e.g. folds sqrt(-1) to a complex constant)
        }
        if (agreeAtPoints(toInfix(ours), theirs) > 0) checked++;
      }),
      { numRuns: 400, seed: 11 },
    );
    expect(checked).toBeGreaterThan(150);
  });

  it('on generated level-5 records', () => {
    const generator = new DataGenerator({ seed: 'mathjs-l5' });
    let checked = 0;
    for (const record of generator.take(5, 300)) {
      const [f] = (parse(record.polish) as { children: readonly Expr[] }).children;
      const theirs = math.derivative(toInfix(f), 'x').toString();
      if (agreeAtPoints(toInfix(parse(record.result_symbolic!)), theirs) > 0) checked++;
    }
    expect(checked).toBeGreaterThan(250);
  });

  it('simplify keeps the value (mathjs evaluates before and after)', () => {
    fc.assert(
      fc.property(symbolicExpr, (e) => {
        let s: Expr;
        try {
          s = simplify(e);
        } catch {
          return;
        }
        agreeAtPoints(toInfix(s), toInfix(e));
      }),
      { numRuns: 400, seed: 3 },
    );
  });
});

describe('integrate', () => {
  it('is exact for polynomials', () => {
    expect(integrate(parse('(^ x 2)'), 'x', Rational.ZERO, Rational.ONE)).toMatchObject({ value: Rational.of(1n, 3n), errorEstimate: 0, method: 'exact-polynomial' });
    expect(evaluate(parse('(integrate (+ (* 3 (^ x 2)) 1) x -1 2)'))).toEqual(Rational.fromInt(12));
    expect(evaluate(parse('(integrate (* a x) x 0 2)'), { a: 5 })).toEqual(Rational.fromInt(10));
  });

  it('uses adaptive quadrature with an error estimate otherwise', () => {
    const sin = integrate(parse('(sin x)'), 'x', Rational.ZERO, Math.PI);
    expect(sin.method).toBe('adaptive-gauss-kronrod');
    expect(Math.abs(toNumber(sin.value) - 2)).toBeLessThan(1e-12);
    expect(sin.errorEstimate).toBeLessThan(1e-9);
    const cases: [string, number][] = [
      ['(integrate (exp x) x 0 1)', Math.E - 1],
      ['(integrate (/ 1 (+ 1 (^ x 2))) x 0 1)', Math.PI / 4],
      ['(integrate (/ 1 x) x 1 e)', 1],
      ['(integrate (sqrt x) x 0 1)', 2 / 3],
      ['(integrate (log x) x 1 2)', 2 * Math.log(2) - 1],
      ['(integrate (cos x) x pi 0)', 0],
    ];
    for (const [text, expected] of cases) expect(toNumber(evaluate(parse(text)))).toBeCloseTo(expected, 9);
  });

  it('refuses singular integrands', () => {
    expect(() => evaluate(parse('(integrate (/ 1 x) x -1 1)'))).toThrow(IntegrationError);
    expect(() => evaluate(parse('(integrate (/ 1 (- x 0.3)) x 0 1)'))).toThrow(IntegrationError);
  });
});

describe('solve', () => {
  const equation = (text: string) => (parse(`(solve ${text} x)`) as { children: readonly Expr[] }).children[0];
  const roots = (text: string) => solve(equation(text), 'x').roots;

  it('solves linear and quadratic equations exactly', () => {
    expect(roots('(= (+ (* 2 x) 5) 13)')).toEqual([Rational.fromInt(4)]);
    expect(roots('(= (/ x 3) 1)')).toEqual([Rational.fromInt(3)]);
    expect(roots('(= (* (- x 1) (- x 3)) 0)')).toEqual([Rational.ONE, Rational.fromInt(3)]);
    expect(roots('(= (^ (- x 2) 2) 0)')).toEqual([Rational.fromInt(2)]);
    expect(roots('(= (* 4 (^ x 2)) 1)')).toEqual([Rational.of(-1n, 2n), Rational.of(1n, 2n)]);
    const irrational = solve(equation('(= (^ x 2) 2)'), 'x');
    expect(irrational).toMatchObject({ exact: false, method: 'quadratic' });
    expect(irrational.roots.map(toNumber).map((r) => r / Math.SQRT2)).toEqual([expect.closeTo(-1, 15), expect.closeTo(1, 15)]);
    expect(evaluate(parse('(solve (= (+ (* 2 x) 5) 13) x)'))).toEqual(Rational.fromInt(4));
  });

  it('falls back to numeric roots, checked by substitution', () => {
    const r = solve(equation('(= (exp x) 2)'), 'x');
    expect(r.method).toBe('numeric');
    expect(toNumber(r.roots[0])).toBeCloseTo(Math.LN2, 12);
    const cubic = solve(equation('(= (- (^ x 3) x) 0)'), 'x').roots.map(toNumber);
    expect(cubic.length).toBe(3);
    expect(cubic[0]).toBeCloseTo(-1, 12);
    expect(cubic[1]).toBeCloseTo(0, 12);
    expect(cubic[2]).toBeCloseTo(1, 12);
    for (const x of solve(equation('(= (sin x) 0.5)'), 'x').roots.map(toNumber)) expect(Math.sin(x)).toBeCloseTo(0.5, 10);
  });

  it('reports equations without a real solution', () => {
    expect(() => roots('(= (^ x 2) -1)')).toThrow(NoSolutionError);
    expect(() => roots('(= (+ x 1) x)')).toThrow(NoSolutionError);
    expect(() => roots('(= x x)')).toThrow(NoSolutionError);
    expect(() => roots('(= (exp x) -1)')).toThrow(NoSolutionError);
  });

  it('roots of random linear/quadratic equations satisfy them (mathjs substitution)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -9, max: 9 }), fc.integer({ min: -9, max: 9 }), fc.integer({ min: -9, max: 9 }), (a, b, c) => {
        const lhs = op('+', op('+', op('*', int(a), op('^', sym('x'), int(2))), op('*', int(b), sym('x'))), int(c));
        let found;
        try {
          found = solve(op('=', lhs, int(0)), 'x');
        } catch (err) {
          expect(err).toBeInstanceOf(NoSolutionError);
          expect(b * b - 4 * a * c < 0 || (a === 0 && b === 0)).toBe(true);
          return;
        }
        for (const r of found.roots) {
          const x = toNumber(r);
          expect(Math.abs(mathjsValue(lhs, { x })!)).toBeLessThan(1e-9 * (1 + Math.abs(a * x * x) + Math.abs(b * x) + Math.abs(c)));
        }
      }),
      { numRuns: 500, seed: 5 },
    );
  });
});
