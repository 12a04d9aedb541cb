// The DESIGN.md "Test-Hard" edge cases, each checked against an independent value.
import { describe, expect, it } from 'vitest';
import { DivisionByZeroError, Rational, answer, derive, evaluate, parse, print, toNumber } from '../../src/engine/index';
import { MathGraph } from '../../src/graph/index';
import { math } from './mathjs-oracle';

describe('Test-Hard', () => {
  it('(- 0.1 0.1) is exactly 0 (an int result, not a float)', () => {
    expect(evaluate(parse('(- 0.1 0.1)'))).toEqual(Rational.ZERO);
  });

  it('(^ 2 64) is exact', () => {
    expect(evaluate(parse('(^ 2 64)'))).toEqual(Rational.fromInt(2n ** 64n));
    expect(toNumber(evaluate(parse('(^ 2 64)')))).toBe(math.evaluate('2^64'));
  });

  it('(/ 1 3) is the exact rational 1/3', () => {
    const v = evaluate(parse('(/ 1 3)'));
    expect(v).toEqual(Rational.of(1n, 3n));
    expect(toNumber(v)).toBe(1 / 3);
  });

  it('(/ 5 0) is a typed error', () => {
    expect(() => evaluate(parse('(/ 5 0)'))).toThrow(DivisionByZeroError);
  });

  it('(derive (^ x x) x) is x^x (log x + 1), as mathjs says', () => {
    const result = answer(parse('(derive (^ x x) x)'));
    expect(result.kind).toBe('symbolic');
    const ours = derive(parse('(^ x x)'), 'x');
    expect(print(ours)).toBe('(+ (* (^ x x) (log x)) (^ x x))');
    const theirs = math.derivative('x^x', 'x');
    for (const x of [0.5, 1, 2.5]) expect(toNumber(evaluate(ours, { x }))).toBeCloseTo(theirs.evaluate({ x }) as number, 12);
  });

  it('(integrate (/ 1 x) x 1 e) is 1 (e is a known constant)', () => {
    expect(toNumber(evaluate(parse('(integrate (/ 1 x) x 1 e)')))).toBeCloseTo(1, 12);
  });

  it('(+ (+ (+ (+ 1 1) 1) 1) 1) is 5 with a depth-4 graph', () => {
    expect(evaluate(parse('(+ (+ (+ (+ 1 1) 1) 1) 1)'))).toEqual(Rational.fromInt(5));
    expect(MathGraph.fromPolish('(+ (+ (+ (+ 1 1) 1) 1) 1)').depth).toBe(4);
  });

  it('a 10 000-deep nesting parses without a stack overflow', () => {
    const text = '(* 1 '.repeat(10_000) + '2' + ')'.repeat(10_000);
    expect(evaluate(parse(text))).toEqual(Rational.fromInt(2));
  });
});
