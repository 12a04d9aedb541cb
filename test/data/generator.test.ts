import { describe, expect, it } from 'vitest';
import { answer, exprDepth, parse } from '../../src/engine/index';
import { DataGenerator, DataOptionError, GeneratorError, DEFAULT_SPECS, LEVELS, LEVEL_CONTRACT, type Level, checkRecord, resolveSpec, resultGraphOf, roundTo3, splitOf } from '../../src/data/index';

describe('DataGenerator', () => {
  it('is deterministic per seed, and level streams are independent', () => {
    const a = new DataGenerator({ seed: 17 });
    const b = new DataGenerator({ seed: 17 });
    expect(a.take(3, 50)).toEqual(b.take(3, 50));
    const c = new DataGenerator({ seed: 18 });
    expect(c.take(3, 50).map((r) => r.polish)).not.toEqual(new DataGenerator({ seed: 17 }).take(3, 50).map((r) => r.polish));
    const fresh = new DataGenerator({ seed: 17 });
    const afterOthers = new DataGenerator({ seed: 17 });
    afterOthers.take(1, 100);
    afterOthers.take(6, 20);
    expect(afterOthers.take(5, 20)).toEqual(fresh.take(5, 20));
  });

  it.each(LEVELS)('level %i: records pass the full check and respect the contract and ranges', (level: Level) => {
    const generator = new DataGenerator({ seed: `contract-${level}` });
    const records = generator.take(level, 150);
    const spec = DEFAULT_SPECS[level];
    records.forEach((r, i) => {
      expect(r.id).toBe(`L${level}-${String(i + 1).padStart(5, '0')}`);
      expect(r.level).toBe(level);
      expect(checkRecord(r)).toEqual([]);
      expect(exprDepth(parse(r.polish))).toBeLessThanOrEqual(LEVEL_CONTRACT[level].maxDepth);
      if (LEVEL_CONTRACT[level].output === 'numeric') {
        expect(Math.abs(r.result_numeric!)).toBeLessThanOrEqual(spec.maxAbsResult);
        expect(r.result_graph.nodes).toHaveLength(1);
        const node = r.result_graph.nodes[0];
        if (node.type === 'float') expect(Math.round((node.value as number) * 1000) / 1000).toBe(node.value);
        else expect(node.type).toBe('int');
      } else {
        expect(r.result_numeric).toBeNull();
        expect(r.result_graph.nodes.length).toBeLessThanOrEqual(spec.maxResultNodes);
      }
      for (const v of Object.values(r.bindings)) expect(v >= spec.bindingRange[0] && v <= spec.bindingRange[1]).toBe(true);
    });
    const stats = generator.stats(level);
    expect(stats.accepted).toBe(150);
    expect(stats.rejected).toBe(Object.values(stats.reasons).reduce((x, y) => x + y, 0));
  });

  it('level 1 matches its table row: one + or - of two integers in range', () => {
    for (const r of new DataGenerator({ seed: 1 }).take(1, 200)) {
      expect(r.polish).toMatch(/^\((\+|-) \d+ \d+\)$/);
      const [, , a, b] = r.polish.match(/^\((\+|-) (\d+) (\d+)\)$/)!;
      expect(Number(a)).toBeLessThanOrEqual(99);
      expect(Number(b)).toBeLessThanOrEqual(99);
    }
  });

  it('takes per-level overrides and refuses specs outside the contract', () => {
    const generator = new DataGenerator({ seed: 3, specs: { 1: { intRange: [5, 6] }, 3: { symbols: ['q'] } } });
    for (const r of generator.take(1, 30)) expect(r.polish).toMatch(/^\([+-] [56] [56]\)$/);
    expect(generator.take(3, 30).some((r) => 'q' in r.bindings)).toBe(true);
    expect(() => resolveSpec(1, { ops: ['*'] })).toThrow(/not part of level 1/);
    expect(() => resolveSpec(2, { maxDepth: 4 })).toThrow(/exceeds/);
    expect(() => resolveSpec(1, { symbols: ['x'] })).toThrow(/no symbols/);
    expect(() => resolveSpec(5, { symbols: ['y'] })).toThrow(/variable 'x'/);
  });

  it('counts rejections by reason', () => {
    const generator = new DataGenerator({ seed: 9 });
    generator.take(2, 300);
    const { rejected, reasons } = generator.stats(2);
    expect(rejected).toBeGreaterThan(0);
    expect(Object.keys(reasons)).toContain('DivisionByZeroError');
  });

  it('draws mixed-level batches by weight', () => {
    const generator = new DataGenerator({ seed: 4 });
    const batch = generator.mixedBatch({ 1: 3, 2: 1, 7: 0 }, 400);
    const ones = batch.filter((r) => r.level === 1).length;
    expect(batch.every((r) => r.level === 1 || r.level === 2)).toBe(true);
    expect(ones / 400).toBeGreaterThan(0.68);
    expect(ones / 400).toBeLessThan(0.82);
    expect(() => generator.nextMixed({})).toThrow(GeneratorError);
  });
});

describe('result graphs (DESIGN evaluation protocol)', () => {
  it('exact integers are int nodes; everything else a float rounded to 3 decimals, ties away from zero', () => {
    const value = (text: string) => resultGraphOf(answer(parse(text))).nodes[0];
    expect(value('(- 0.1 0.1)')).toEqual({ id: 0, type: 'int', value: 0 });
    expect(value('(/ 1 3)')).toEqual({ id: 0, type: 'float', value: 0.333 });
    expect(value('(/ -127 80)')).toEqual({ id: 0, type: 'float', value: -1.588 }); // -1.5875 exactly
    expect(value('(/ 2001 2000)')).toEqual({ id: 0, type: 'float', value: 1.001 }); // 1.0005 exactly
    expect(value('(/ -1 4000)')).toEqual({ id: 0, type: 'float', value: 0 });
    expect(value('(integrate (/ 1 x) x 1 e)')).toEqual({ id: 0, type: 'float', value: 1 });
    expect(roundTo3(-2.0005000001)).toBe(-2.001);
    expect(roundTo3(2.0004999)).toBe(2);
  });
});

describe('splitOf', () => {
  it('is a pure function of the canonical text with the requested fractions', () => {
    const counts = { train: 0, val: 0, test: 0 };
    for (let i = 0; i < 20000; i++) counts[splitOf(`(+ ${i} ${i % 7})`)]++;
    expect(counts.test / 20000).toBeCloseTo(0.1, 1);
    expect(counts.val / 20000).toBeCloseTo(0.1, 1);
    expect(splitOf('(+ 2 3)')).toBe(splitOf('(+ 2 3)'));
    expect(splitOf('(+ 2 3)', { val: 0, test: 1 })).toBe('test');
    expect(splitOf('(+ 2 3)', { val: 0, test: 0 })).toBe('train');
    expect(() => splitOf('x', { val: 0.6, test: 0.6 })).toThrow(DataOptionError);
  });

  it('keeps generated train/val/test disjoint', () => {
    const records = new DataGenerator({ seed: 2 }).take(1, 3000);
    const bySplit = new Map<string, Set<string>>();
    for (const r of records) {
      const s = splitOf(r.polish);
      if (!bySplit.has(s)) bySplit.set(s, new Set());
      bySplit.get(s)!.add(r.polish);
    }
    const [train, val, test] = ['train', 'val', 'test'].map((s) => bySplit.get(s) ?? new Set<string>());
    for (const p of test) expect(train.has(p) || val.has(p)).toBe(false);
    for (const p of val) expect(train.has(p)).toBe(false);
  });
});
