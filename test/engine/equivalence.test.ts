import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { numericallyEquivalent, parse } from '../../src/engine/index';

// sympy's own answers for our level 5-7 problems, in sympy's printed form (committed fixture):
// where sympy agreed, its text and ours differ in form but not in value.
const fixture = JSON.parse(readFileSync(new URL('../fixtures/cas/sympy_agreement.json', import.meta.url), 'utf8')) as {
  samples: { level: number; ours: string; sympy: string; agree: boolean }[];
};
const symbolic = fixture.samples.filter((s) => s.level === 5 && s.agree);

describe('numericallyEquivalent', () => {
  it('accepts sympy forms of our derivatives, including the ones printed differently', () => {
    expect(symbolic.length).toBeGreaterThan(5);
    const differentlyPrinted = symbolic.filter((s) => s.ours !== s.sympy);
    expect(differentlyPrinted.length).toBeGreaterThan(0);
    for (const s of symbolic) expect(numericallyEquivalent(parse(s.ours), parse(s.sympy)), `${s.ours} vs ${s.sympy}`).toBe(true);
  });

  it('rejects another problem\'s answer and a perturbed answer', () => {
    for (let i = 0; i < symbolic.length; i++) {
      const a = parse(symbolic[i].sympy);
      const b = parse(symbolic[(i + 1) % symbolic.length].sympy);
      if (symbolic[i].sympy !== symbolic[(i + 1) % symbolic.length].sympy) expect(numericallyEquivalent(b, a)).toBe(false);
      expect(numericallyEquivalent(parse(`(+ (* 1.01 ${symbolic[i].ours}) 1)`), a)).toBe(false);
    }
  });

  it('sees through algebraic identities and number types', () => {
    expect(numericallyEquivalent(parse('(* 2 x)'), parse('(+ x x)'))).toBe(true);
    expect(numericallyEquivalent(parse('(+ (^ (sin x) 2) (^ (cos x) 2))'), parse('1'))).toBe(true);
    expect(numericallyEquivalent(parse('5.0'), parse('5'))).toBe(true);
    expect(numericallyEquivalent(parse('5.001'), parse('5'))).toBe(false);
    expect(numericallyEquivalent(parse('(* 2 y)'), parse('(* 2 x)'))).toBe(false);
  });

  it('skips points outside the target\'s domain but rejects a prediction undefined inside it', () => {
    // log x is undefined for x < 0: those points are skipped, the rest agree
    expect(numericallyEquivalent(parse('(/ 1 x)'), parse('(derive (log x) x)'))).toBe(true);
    // sqrt(x^2) = |x| is defined everywhere, x only agrees for x > 0
    expect(numericallyEquivalent(parse('x'), parse('(sqrt (^ x 2))'))).toBe(false);
    // a prediction that is NaN where the target is finite
    expect(numericallyEquivalent(parse('(log x)'), parse('(log (^ x 2))'))).toBe(false);
  });
});
