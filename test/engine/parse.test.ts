import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Expr, ParseError, exprEquals, float, fn, int, op, parse, print, sym } from '../../src/engine/index';
import { Prng } from '../../src/util/prng';

function parseError(text: string): ParseError {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ParseError);
    return err as ParseError;
  }
  throw new Error(`expected a ParseError for ${JSON.stringify(text)}`);
}

describe('parse / print', () => {
  it('prints one canonical text', () => {
    expect(print(parse('(+ (* 2 3) 4)'))).toBe('(+ (* 2 3) 4)');
    expect(print(parse('  ( +\n(*  2 3)\t4 ) '))).toBe('(+ (* 2 3) 4)');
    expect(print(parse('(+ 1 2 3 4)'))).toBe('(+ (+ (+ 1 2) 3) 4)');
    expect(print(parse('(* x y z)'))).toBe('(* (* x y) z)');
    expect(print(parse('(+ 0.50 -007)'))).toBe('(+ 0.5 -7)');
    expect(print(parse('(- 2.0 -0.0)'))).toBe('(- 2.0 0.0)');
    expect(print(parse('(integrate (sin x) x 0 pi)'))).toBe('(integrate (sin x) x 0 pi)');
    expect(print(parse('(solve (= (+ (* 2 x) 5) 13) x)'))).toBe('(solve (= (+ (* 2 x) 5) 13) x)');
    expect(print(parse('(^ 2 18446744073709551616)'))).toBe('(^ 2 18446744073709551616)');
    expect(print(parse('0.000001'))).toBe('0.000001');
    expect(print(parse('123456789012345678901234.5'))).toBe('123456789012345690000000.0') // String(x) is 1.2345678901234569e+23;
  });

  it('builds typed nodes', () => {
    expect(parse('(+ x -3)')).toEqual(op('+', sym('x'), int(-3)));
    expect(parse('(sqrt 2.5)')).toEqual(fn('sqrt', float(2.5)));
    expect(parse('e')).toEqual(sym('e'));
  });

  it('reports typed errors with the column', () => {
    const e1 = parseError('(+ 1 2))');
    expect(e1.column).toBe(8);
    expect(e1.message).toBe("unexpected ')' at column 8");
    expect(parseError('(+ (* 2 3) 4))').message).toBe("unexpected ')' at column 14");
    expect(parseError('(foo 1 2)').message).toBe("unknown function 'foo' at column 2");
    expect(parseError('(+ 1 (/ 1 2 3))').message).toBe("'/' expects 2 arguments, got 3 at column 6");
    expect(parseError('(sin 1 2)').message).toContain("'sin' expects 1 argument, got 2");
    expect(parseError('(+ 1)').message).toContain("'+' expects at least 2 arguments, got 1");
    expect(parseError('(integrate x x 0)').message).toContain("'integrate' expects 4 arguments, got 3");
    expect(parseError('(derive x 2)').column).toBe(11);
    expect(parseError('(derive x pi)').message).toContain('needs a variable');
    expect(parseError('(solve (+ x 1) x)').message).toContain('needs an equation');
    expect(parseError('(+ (= 1 2) 3)').message).toContain("'=' is only allowed");
    expect(parseError('(+ 1 2').message).toContain('unexpected end of input');
    expect(parseError('').message).toContain('empty input');
    expect(parseError('()').message).toContain('empty list');
    expect(parseError('(+ 1 2) 3').message).toContain("unexpected '3' after the end of the expression");
    expect(parseError('(+ 1 $)').message).toBe("invalid token '$' at column 6");
    expect(parseError('(+ 1 .5)').message).toContain("invalid token '.5'");
    expect(parseError('(+ sin 1)').message).toContain("function 'sin' must be applied");
    expect(parseError('(1 2)').message).toContain('expected an operator or function name');
    const multi = parseError('(+ 1\n  2))');
    expect([multi.line, multi.column]).toEqual([2, 5]);
  });

  it('parses and prints 10 000-deep nesting without a stack overflow', () => {
    const depth = 10_000;
    const text = '(+ 1 '.repeat(depth) + '1' + ')'.repeat(depth);
    const expr = parse(text);
    expect(print(expr)).toBe(text);
    const left = '(- '.repeat(depth) + 'x' + ' 1)'.repeat(depth);
    expect(print(parse(left))).toBe(left);
  });
});

/** Arbitrary well-formed expressions (binary + and *, so the tree shape survives print/parse). */
const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map((v) => int(v)),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((v) => float(v)),
  fc.constantFrom('x', 'y', 'theta_2', 'e', 'pi').map((v) => sym(v)),
);
const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(fc.constantFrom('+', '-', '*', '/', '^') as fc.Arbitrary<'+'>, tie('e'), tie('e')).map(([o, a, b]) => op(o, a, b)),
    fc.tuple(fc.constantFrom('sin', 'cos', 'tan', 'log', 'exp', 'sqrt') as fc.Arbitrary<'sin'>, tie('e')).map(([f, a]) => fn(f, a)),
    fc.tuple(tie('e'), fc.constantFrom('x', 'y')).map(([a, v]) => fn('derive', a, sym(v))),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([a, lo, hi]) => fn('integrate', a, sym('x'), lo, hi)),
    fc.tuple(tie('e'), tie('e')).map(([l, r]) => fn('solve', op('=', l, r), sym('x'))),
  ),
})).e;

export { exprArb };

describe('parse/print round trip (property)', () => {
  it('parse(print(e)) is e, and print is a fixed point', () => {
    fc.assert(
      fc.property(exprArb, (e) => {
        const text = print(e);
        const back = parse(text);
        expect(exprEquals(back, e)).toBe(true);
        expect(print(back)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});

describe('fuzz: 100 000 random strings', () => {
  it('only ever yields an expression or a ParseError', () => {
    const prng = new Prng('parser-fuzz');
    const tokens = ['(', ')', ' ', ' ', '+', '-', '*', '/', '^', '=', 'sin', 'derive', 'integrate', 'solve', 'x', 'e', 'pi', '1', '-2', '3.5', '.', '0', 'foo', '\n', '\t', '(+ 1 2)', '(= x 1)'];
    const chars = '()+-*/^=.0123456789abcxyz_ \n$#\u00e9';
    let parsed = 0;
    let failures = 0;
    for (let i = 0; i < 100_000; i++) {
      const length = prng.int(0, 24);
      let text = '';
      for (let k = 0; k < length; k++) {
        text += prng.chance(0.7) ? prng.pick(tokens) + (prng.chance(0.5) ? ' ' : '') : chars[prng.int(0, chars.length - 1)];
      }
      try {
        const expr = parse(text);
        parsed++;
        if (print(parse(print(expr))) !== print(expr)) throw new Error(`not canonical: ${text}`);
      } catch (err) {
        if (!(err instanceof ParseError)) throw new Error(`${JSON.stringify(text)} threw ${(err as Error).name}: ${(err as Error).message}`);
        if (!(err.column >= 1 && err.line >= 1)) throw new Error(`bad position for ${JSON.stringify(text)}`);
        failures++;
      }
    }
    expect(parsed + failures).toBe(100_000);
    expect(parsed).toBeGreaterThan(1000); // the fuzzer also reaches the success paths
  });
});
