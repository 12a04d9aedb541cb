// compileNumeric: the one-point and the many-point evaluators of the compiled program, against
// mathjs (an independent evaluator) and against each other bit for bit (the quadrature rules
// evaluate their nodes with `many`, the root scans with the one-point function).
import { describe, expect, it } from 'vitest';
import { compileNumeric, numericValue, parse, print, quadrature, type Expr } from '../../src/engine/index';
import { DataGenerator } from '../../src/data/generator';
import { Prng } from '../../src/util/prng';
import { mathjsValue, relativeClose } from './mathjs-oracle';

/** The integrands of level-6 problems and the functions of level-4 problems: every operator and function the levels use. */
function expressions(count: number): Expr[] {
  const g = new DataGenerator({ seed: 'compile-test' });
  const out: Expr[] = [];
  for (let i = 0; i < count; i++) {
    const integral = parse(g.next(6).polish) as Extract<Expr, { type: 'fn' }>;
    out.push(integral.children[0]);
    const derivative = parse(g.next(4).polish) as Extract<Expr, { type: 'fn' }>;
    out.push(derivative.children[0]);
  }
  return out;
}

/** the other symbols the levels use */
const BOUND = { y: 1.7, z: -0.6 };

describe('compileNumeric', () => {
  const exprs = expressions(60);
  const prng = new Prng('points');
  const xs = Float64Array.from({ length: 37 }, () => (prng.int(-4000, 4000) + 0.5) / 1000);

  it('agrees with mathjs at random points', () => {
    let compared = 0;
    for (const e of exprs) {
      const f = compileNumeric(e, 'x', BOUND);
      for (const x of xs.subarray(0, 5)) {
        const theirs = mathjsValue(e, { ...BOUND, x });
        const ours = f(x);
        if (theirs === null) continue; // not a finite real for mathjs (e.g. log of a negative)
        expect(relativeClose(ours, theirs, 1e-9, 1e-9), `${print(e)} at ${x}: ${ours} vs mathjs ${theirs}`).toBe(true);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('many(xs) gives the one-point values bit for bit, NaN and Infinity included, on a reused buffer', () => {
    for (const e of exprs) {
      const f = compileNumeric(e, 'x', BOUND);
      for (const n of [xs.length, 15, 1]) {
        const out = new Float64Array(n).fill(12345);
        f.many(xs, out, n);
        for (let i = 0; i < n; i++) expect(Object.is(out[i], f(xs[i])), `${print(e)} at ${xs[i]}`).toBe(true);
      }
    }
  });

  it('binds constants and symbols; a constant program ignores x', () => {
    const f = compileNumeric(parse('(+ (* a x) (sin pi))'), 'x', { a: 3 });
    expect(f(2)).toBeCloseTo(6, 12);
    const out = new Float64Array(3);
    f.many([1, 2, 3], out);
    expect(Array.from(out)).toEqual([1, 2, 3].map((x) => f(x)));
    const c = compileNumeric(parse('(^ 2 10)'), null);
    c.many([0, 5], out, 2);
    expect([out[0], out[1]]).toEqual([1024, 1024]);
  });

  it('numericValue gives the compiled function\'s bits, call after call on its reused program and stack', () => {
    // alternating shallow and deep expressions: the reused stack must grow and stay right
    const order = [...exprs].sort((a, b) => print(a).length - print(b).length);
    const mixed = order.flatMap((e, i) => [e, order[order.length - 1 - i]]);
    for (const e of mixed) {
      const f = compileNumeric(e, 'x', { ...BOUND, a: 0.1, b: -3 });
      for (const x of xs.subarray(0, 4)) expect(Object.is(numericValue(e, 'x', { ...BOUND, a: 0.1, b: -3 }, x), f(x)), `${print(e)} at ${x}`).toBe(true);
    }
    // a right-nested sum 1 + (2 + (… + (40 + x))) needs a stack of 41: the reused one grows
    let deep = 'x';
    for (let k = 40; k >= 1; k--) deep = `(+ ${k} ${deep})`;
    expect(numericValue(parse(deep), 'x', {}, 0.5)).toBe(820.5);
    expect(numericValue(parse('(* 2 x)'), 'x', {}, 0.5)).toBe(1);
    // a nested derive is expanded first: d/dx x³ + 1 at 3 (and the program after it is whole again)
    expect([numericValue(parse('(+ (derive (^ x 3) x) 1)'), 'x', {}, 3), compileNumeric(parse('(+ (derive (^ x 3) x) 1)'), 'x')(3)]).toEqual([28, 28]);
    expect(numericValue(parse('(- x 1)'), 'x', {}, 3)).toBe(2);
    // a binding is its shortest decimal's exact value, rounded: 0.1 + 0.2 of two bindings is not the float sum's 0.30000000000000004
    expect(numericValue(parse('(+ a b)'), null, { a: 0.1, b: 0.2 }, 0)).toBe(compileNumeric(parse('(+ a b)'), null, { a: 0.1, b: 0.2 })(0));
    expect(() => numericValue(parse('(+ a 1)'), null, {}, 0)).toThrow(/a/);
  });

  it('many() refuses more points than xs or out hold', () => {
    const f = compileNumeric(parse('(* x x)'), 'x');
    expect(() => f.many([1, 2], new Float64Array(4), 3)).toThrow(RangeError);
    expect(() => f.many([1, 2, 3], new Float64Array(2))).toThrow(RangeError);
  });
});

describe('quadrature', () => {
  it('a compiled integrand and the same plain function give the same bits; a plain integrand may integrate too', () => {
    const e = parse('(+ (sin (* 3 x)) (^ x 2))');
    const compiled = compileNumeric(e, 'x');
    const plain = (x: number) => compiled(x);
    expect(Object.is(quadrature(compiled, -1, 2).value, quadrature(plain, -1, 2).value)).toBe(true);
    // ∫₀¹ (1 − cos 3)/3 + x² dx, against the closed form
    expect(quadrature(compiled, 0, 1).value).toBeCloseTo((1 - Math.cos(3)) / 3 + 1 / 3, 12);
    // ∫₀¹∫₀² x·y dy dx = 1: the outer rule's nodes must survive the inner quadratures
    const nested = quadrature((x) => quadrature((y) => x * y, 0, 2).value, 0, 1).value;
    expect(nested).toBeCloseTo(1, 12);
  });
});

