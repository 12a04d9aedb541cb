// Our engine against sympy (an independent CAS), on fixtures written by
// scripts/fixtures/cas_check.py — no Python needed here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DivisionByZeroError, type Expr, Rational, derive, evaluate, integrate, parse, print, solve, toNumber } from '../../src/engine/index';

interface Sample {
  level: 5 | 6 | 7;
  polish: string;
  ours: string | number;
  agree: boolean;
  sympy: string | string[];
  sympy_value?: number;
  sympy_real_roots?: number[];
  kind: string;
}
interface Fixture {
  tool: string;
  kinds: Record<string, number>;
  levels: Record<string, { checked: number; agree: number; disagree: number; errors: number }>;
  samples: Sample[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/cas/sympy_agreement.json', import.meta.url), 'utf8')) as Fixture;
const byLevel = (level: number) => fixture.samples.filter((s) => s.level === level);
const childrenOf = (e: Expr) => (e as { children: readonly Expr[] }).children;

const RATIONAL_POINTS = [Rational.of(1n, 3n), Rational.fromInt(2), Rational.of(-5n, 2n), Rational.of(7n, 4n), Rational.fromInt(-3)];

describe(`sympy spot check (${fixture.tool})`, () => {
  it('sympy agreed with every generated record of levels 5-7', () => {
    for (const level of ['5', '6', '7']) {
      const c = fixture.levels[level];
      expect(c.checked).toBeGreaterThanOrEqual(10_000);
      expect([c.agree, c.disagree, c.errors]).toEqual([c.checked, 0, 0]);
    }
  });

  it('level 5: our derivative equals sympy.diff exactly at rational points', () => {
    const samples = byLevel(5);
    expect(samples.length).toBeGreaterThan(20);
    for (const s of samples) {
      const f = childrenOf(parse(s.polish))[0];
      const ours = derive(f, 'x');
      expect(print(ours)).toBe(s.ours);
      const theirs = parse(s.sympy as string);
      let compared = 0;
      for (const x of RATIONAL_POINTS) {
        let a;
        let b;
        try {
          a = evaluate(ours, { x });
          b = evaluate(theirs, { x });
        } catch (err) {
          expect(err).toBeInstanceOf(DivisionByZeroError);
          continue;
        }
        expect(a, `${s.polish} at x=${x}: ours ${print(ours)}, sympy ${s.sympy}`).toEqual(b);
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(2);
    }
  });

  it('the samples cover every kind of problem', () => {
    expect(new Set(fixture.samples.map((s) => `${s.level} ${s.kind}`))).toEqual(new Set(['5 polynomial', '5 rational', '6 polynomial', '6 rational', '7 linear', '7 quadratic']));
  });

  it('level 6: our integral equals sympy within 1e-9 relative, by both of our methods', () => {
    const samples = byLevel(6);
    expect(samples.length).toBeGreaterThan(20);
    const methods = new Set<string>();
    for (const s of samples) {
      const [f, v, lo, hi] = childrenOf(parse(s.polish));
      methods.add(integrate(f, (v as { value: string }).value, evaluate(lo), evaluate(hi)).method);
      const ours = toNumber(evaluate(parse(s.polish)));
      const theirs = s.sympy_value!;
      expect(Math.abs(ours - theirs), `${s.polish}: ours ${ours}, sympy ${s.sympy}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(theirs)));
    }
    expect(methods).toEqual(new Set(['exact-polynomial', 'adaptive-gauss-kronrod']));
  });

  it('level 7: our real roots are sympy real roots, smallest first', () => {
    const samples = byLevel(7);
    expect(samples.length).toBeGreaterThan(20);
    for (const s of samples) {
      const [equation, variable] = childrenOf(parse(s.polish));
      const ours = solve(equation, (variable as { value: string }).value).roots.map(toNumber);
      const theirs = s.sympy_real_roots!;
      expect(ours.length, s.polish).toBe(theirs.length);
      ours.forEach((r, i) => expect(Math.abs(r - theirs[i]), s.polish).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(r))));
    }
  });
});
