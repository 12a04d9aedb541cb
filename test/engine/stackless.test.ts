// withoutEngineStacks (src/engine/errors.ts): engine errors made inside it carry no stack
// frames (the generator only counts them by name), every other error and every engine error
// outside it keeps its frames, and the limit it lowers is restored however `f` ends.
import { describe, expect, it } from 'vitest';
import { DivisionByZeroError, evaluate, parse, withoutEngineStacks } from '../../src/engine/index';

const frames = (e: Error) => (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).length;

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('withoutEngineStacks', () => {
  it('drops the frames of engine errors only, nests, and restores Error.stackTraceLimit', () => {
    const limit = Error.stackTraceLimit;
    const divide = () => evaluate(parse('(/ 1 0)'), {});
    expect(frames(thrown(divide))).toBeGreaterThan(0);
    const inside = withoutEngineStacks(() => thrown(divide));
    expect(inside).toBeInstanceOf(DivisionByZeroError);
    expect(inside.message).toMatch(/division by zero/);
    expect(frames(inside)).toBe(0);
    const nested = withoutEngineStacks(() => withoutEngineStacks(() => thrown(divide)));
    expect(frames(nested)).toBe(0);
    // a bug inside keeps its stack
    const bug = withoutEngineStacks(() => thrown(() => (null as unknown as { x: number }).x));
    expect(bug).toBeInstanceOf(TypeError);
    expect(frames(bug)).toBeGreaterThan(0);
    // the limit comes back after a throw through it, and engine errors get frames again
    expect(() => withoutEngineStacks(divide)).toThrow(DivisionByZeroError);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(frames(thrown(divide))).toBeGreaterThan(0);
  });
});
