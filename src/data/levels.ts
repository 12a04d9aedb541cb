import type { ElementaryFn, OpName } from '../engine/index';
import { DataOptionError } from './errors';

/**
 * The 7-level curriculum. LEVEL_CONTRACT is the table in DESIGN.md (what a level may
 * contain; `validate` enforces it). LevelSpec holds the generator's ranges, chosen so that
 * answers are learnable by a small graph network (small integers, bounded results); every
 * field can be overridden per level.
 */

export type Level = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const LEVELS: readonly Level[] = [1, 2, 3, 4, 5, 6, 7];

export type Task = 'evaluate' | 'derive' | 'integrate' | 'solve';

export interface LevelContract {
  ops: readonly OpName[];
  fns: readonly ElementaryFn[];
  task: Task;
  /** Depth of the whole input (edges on the longest root-to-leaf path, calculus node included). */
  maxDepth: number;
  symbols: boolean;
  output: 'numeric' | 'symbolic';
}

const ARITH: readonly OpName[] = ['+', '-', '*', '/', '^'];

export const LEVEL_CONTRACT: Readonly<Record<Level, LevelContract>> = {
  1: { ops: ['+', '-'], fns: [], task: 'evaluate', maxDepth: 1, symbols: false, output: 'numeric' },
  2: { ops: ['+', '-', '*', '/'], fns: [], task: 'evaluate', maxDepth: 3, symbols: false, output: 'numeric' },
  3: { ops: ARITH, fns: [], task: 'evaluate', maxDepth: 3, symbols: true, output: 'numeric' },
  4: { ops: ARITH, fns: ['sin', 'cos', 'tan', 'log', 'exp', 'sqrt'], task: 'evaluate', maxDepth: 3, symbols: true, output: 'numeric' },
  5: { ops: ARITH, fns: [], task: 'derive', maxDepth: 4, symbols: true, output: 'symbolic' },
  6: { ops: ARITH, fns: [], task: 'integrate', maxDepth: 4, symbols: true, output: 'numeric' },
  7: { ops: ARITH, fns: [], task: 'solve', maxDepth: 4, symbols: true, output: 'numeric' },
};

/** Default dataset sizes per level (DESIGN.md); the generator itself is infinite. */
export const DEFAULT_SAMPLES: Readonly<Record<Level, number>> = { 1: 10_000, 2: 50_000, 3: 50_000, 4: 100_000, 5: 100_000, 6: 100_000, 7: 100_000 };

export type Range = readonly [number, number];

export interface LevelSpec {
  level: Level;
  task: Task;
  /** Operators drawn for inner nodes (a subset of the contract's). */
  ops: readonly OpName[];
  /** Elementary functions drawn for inner nodes. */
  fns: readonly ElementaryFn[];
  /** Probability that an inner node is a function application (when fns is non-empty). */
  fnProbability: number;
  /** Depth of the expression the task works on (evaluate: whole input; derive/integrate: f; solve: lhs). */
  minDepth: number;
  maxDepth: number;
  /** Probability that a node above the maximum depth stops early as a leaf. */
  leafProbability: number;
  /** Integer literals, inclusive. */
  intRange: Range;
  /** Exponent literals of `^` (always an integer literal), inclusive. */
  exponentRange: Range;
  /** Divisor literals when `divideByLiteralOnly` (solve keeps the equation polynomial). */
  divideByLiteralOnly: boolean;
  /** Symbols that may appear as leaves, and the probability that a leaf is one. */
  symbols: readonly string[];
  symbolProbability: number;
  /** Values bound to the symbols of evaluate-levels, inclusive integers. */
  bindingRange: Range;
  /** Reject problems whose numeric answer exceeds this magnitude. */
  maxAbsResult: number;
  /** Reject symbolic answers (derivatives) with more nodes than this. */
  maxResultNodes: number;
  /** integrate: bounds are integers in this range with lower < upper. */
  boundRange: Range;
  /** solve: the constructed root is an integer in this range. */
  rootRange: Range;
  /** solve: highest polynomial degree accepted (1 = linear only, 2 = also quadratics). */
  maxDegree: number;
}

const BASE: Omit<LevelSpec, 'level' | 'task' | 'ops' | 'fns' | 'maxDepth' | 'intRange'> = {
  fnProbability: 0,
  minDepth: 1,
  leafProbability: 0.3,
  exponentRange: [0, 3],
  divideByLiteralOnly: false,
  symbols: [],
  symbolProbability: 0,
  bindingRange: [-5, 5],
  maxAbsResult: 1000,
  maxResultNodes: 25,
  boundRange: [-3, 3],
  rootRange: [-10, 10],
  maxDegree: 2,
};

/**
 * Chosen ranges (the closing note of issue 3 repeats them):
 * 1: (+|- a b), a, b in [0, 99].
 * 2: + - * / trees of depth 1-3, ints in [0, 12], |result| <= 1000 (fractions allowed, as floats).
 * 3: + - * / ^ trees of depth 1-3, ints in [0, 10], exponents 0-3, symbols x y z bound to [-5, 5].
 * 4: as 3 plus sin cos tan log exp sqrt (35% of inner nodes), ints in [0, 10], domain errors rejected.
 * 5: (derive f x), f a depth 1-3 tree over + - * / ^ in x, ints [1, 9], exponents 2-4, answer <= 25 nodes.
 * 6: (integrate f x a b), f a depth 1-3 tree in x, ints [0, 9], exponents 2-3, a < b in [-3, 3].
 * 7: (solve (= lhs c) x), lhs a depth 1-2 polynomial tree in x (ints [1, 9], `^` 2, `/` by literals),
 *    c = lhs(r) for an integer r in [-10, 10], degree <= 2; the answer is the smallest real root.
 * Everywhere: (- a a) and (/ a a) with symbols in a are rejected as degenerate; numeric answers
 * are int nodes when exact integers, else float nodes rounded to 3 decimals.
 * Level 6's table row allows symbolic output; this generator emits definite integrals with
 * numeric answers only (no antiderivatives).
 */
export const DEFAULT_SPECS: Readonly<Record<Level, LevelSpec>> = {
  1: { ...BASE, level: 1, task: 'evaluate', ops: ['+', '-'], fns: [], maxDepth: 1, intRange: [0, 99] },
  2: { ...BASE, level: 2, task: 'evaluate', ops: ['+', '-', '*', '/'], fns: [], maxDepth: 3, intRange: [0, 12] },
  3: {
    ...BASE, level: 3, task: 'evaluate', ops: ARITH, fns: [], maxDepth: 3, intRange: [0, 10],
    symbols: ['x', 'y', 'z'], symbolProbability: 0.35,
  },
  4: {
    ...BASE, level: 4, task: 'evaluate', ops: ARITH, fns: ['sin', 'cos', 'tan', 'log', 'exp', 'sqrt'], fnProbability: 0.35,
    maxDepth: 3, intRange: [0, 10], symbols: ['x', 'y', 'z'], symbolProbability: 0.3,
  },
  5: {
    ...BASE, level: 5, task: 'derive', ops: ARITH, fns: [], maxDepth: 3, intRange: [1, 9], exponentRange: [2, 4],
    symbols: ['x'], symbolProbability: 0.5,
  },
  6: {
    ...BASE, level: 6, task: 'integrate', ops: ARITH, fns: [], maxDepth: 3, intRange: [0, 9], exponentRange: [2, 3],
    symbols: ['x'], symbolProbability: 0.5,
  },
  7: {
    ...BASE, level: 7, task: 'solve', ops: ARITH, fns: [], maxDepth: 2, intRange: [1, 9], exponentRange: [2, 2],
    divideByLiteralOnly: true, symbols: ['x'], symbolProbability: 0.5,
  },
};

export type LevelSpecOverrides = Partial<Record<Level, Partial<Omit<LevelSpec, 'level' | 'task'>>>>;

export function isLevel(n: unknown): n is Level {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 7;
}

/** Spec for a level with overrides applied; checks that the result stays inside the contract. */
export function resolveSpec(level: Level, overrides: Partial<Omit<LevelSpec, 'level' | 'task'>> = {}): LevelSpec {
  const spec: LevelSpec = { ...DEFAULT_SPECS[level], ...overrides, level, task: DEFAULT_SPECS[level].task };
  const contract = LEVEL_CONTRACT[level];
  const wrapperDepth = spec.task === 'evaluate' ? 0 : spec.task === 'solve' ? 2 : 1;
  const problems: string[] = [];
  for (const o of spec.ops) if (!contract.ops.includes(o)) problems.push(`op '${o}' is not part of level ${level}`);
  for (const f of spec.fns) if (!contract.fns.includes(f)) problems.push(`function '${f}' is not part of level ${level}`);
  if (spec.maxDepth + wrapperDepth > contract.maxDepth) problems.push(`maxDepth ${spec.maxDepth} exceeds the level's depth ${contract.maxDepth - wrapperDepth}`);
  if (spec.minDepth < 1 || spec.minDepth > spec.maxDepth) problems.push(`minDepth must be in [1, maxDepth]`);
  if (!contract.symbols && spec.symbols.length > 0) problems.push(`level ${level} has no symbols`);
  if (spec.task !== 'evaluate' && !spec.symbols.includes('x')) problems.push(`level ${level} needs the variable 'x' among its symbols`);
  if (spec.ops.length === 0) problems.push('ops must not be empty');
  for (const [name, range] of Object.entries({ intRange: spec.intRange, exponentRange: spec.exponentRange, bindingRange: spec.bindingRange, boundRange: spec.boundRange, rootRange: spec.rootRange })) {
    if (!Number.isInteger(range[0]) || !Number.isInteger(range[1]) || range[0] > range[1]) problems.push(`${name} must be [lo, hi] integers with lo <= hi`);
  }
  if (spec.boundRange[0] === spec.boundRange[1]) problems.push('boundRange needs two distinct integers');
  if (problems.length > 0) throw new DataOptionError(`level ${level} spec`, problems.join('; '));
  return spec;
}
