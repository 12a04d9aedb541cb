import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, ParseError, print, PrintError } from '../../src/engine/index';
import { treeEditDistance } from '../../src/ged/index';
import { exercise, expressionText } from './fuzz';

describe('fuzzed expressions: only GraphemeError escapes parse, print, MathGraph and treeEditDistance', () => {
  it('holds for 3000 generated texts', () => {
    fc.assert(
      fc.property(expressionText, (text) => {
        const escaped = exercise(text);
        if (escaped !== null) throw escaped;
      }),
      { numRuns: 3000, seed: 20240611 },
    );
  });

  it('a float literal beyond the double range is a ParseError at its column, not Infinity', () => {
    const text = '(+ 1 ' + '9'.repeat(400) + '.5)';
    expect(() => parse(text)).toThrow(ParseError);
    try {
      parse(text);
    } catch (err) {
      expect((err as ParseError).column).toBe(6);
      expect((err as ParseError).message).toMatch(/too large for a float .* at column 6$/);
      expect((err as ParseError).message.length).toBeLessThan(150);
    }
    expect(() => treeEditDistance(text, '(+ 1 2)')).toThrow(/too large for a float/);
    // integers of any length stay exact
    expect(print(parse('(+ 1 ' + '9'.repeat(400) + ')'))).toBe('(+ 1 ' + '9'.repeat(400) + ')');
  });

  it('print of a hand-built non-finite float is a PrintError', () => {
    expect(() => print({ type: 'float', value: Infinity })).toThrow(PrintError);
    expect(() => print({ type: 'float', value: NaN })).toThrow(PrintError);
  });

  it('parse messages escape control characters and cut long tokens', () => {
    expect(() => parse('(+ 1 a\u0000b)')).toThrow(/'a\\u0000b'/);
    expect(() => parse('(+ 1 ' + '#'.repeat(10000) + ')')).toThrow(/^invalid token '#{12}…\[9977 more characters\]…#{11}' at column 6$/);
  });
});
