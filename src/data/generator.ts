import { GraphemeError } from '../errors';
import {
  type Answer,
  type Expr,
  EngineError,
  answer,
  withoutEngineStacks,
  containsSymbol,
  exprDepth,
  exprEquals,
  exprSize,
  fn,
  int,
  op,
  simplify,
  solve,
  sym,
  toNumber,
} from '../engine/index';
import { Prng } from '../util/prng';
import { type DatasetRecord, buildRecord, verifyGenerated } from './record';
import { LEVELS, type Level, type LevelSpec, type LevelSpecOverrides, resolveSpec } from './levels';

export interface GeneratorOptions {
  seed?: number | string;
  /** Per-level overrides of DEFAULT_SPECS. */
  specs?: LevelSpecOverrides;
  /** Verify every record by an independent float path before emitting it (default true). */
  verify?: boolean;
}

export interface LevelStats {
  accepted: number;
  rejected: number;
  /** Rejections by reason (an engine error name, or a range/verification reason). */
  reasons: Record<string, number>;
}

/** Raised when a spec is so narrow that no valid problem turns up. */
export class GeneratorError extends GraphemeError {
  override name = 'GeneratorError';
}

const MAX_ATTEMPTS = 10_000;

class Rejection {
  constructor(readonly reason: string) {}
}

function reject(reason: string): never {
  throw new Rejection(reason);
}

/**
 * Infinite, seeded, verified curriculum data. Each level draws from its own PRNG stream
 * (forked from the seed by level), so level 5's records do not depend on how many level-1
 * records were drawn before; mixtures draw the level from a separate stream.
 */
export class DataGenerator {
  private readonly specs = new Map<Level, LevelSpec>();
  private readonly streams = new Map<Level, Prng>();
  private readonly counters = new Map<Level, number>();
  private readonly statistics = new Map<Level, LevelStats>();
  private readonly mixturePrng: Prng;
  private readonly verify: boolean;

  constructor(options: GeneratorOptions = {}) {
    const root = new Prng(options.seed ?? 0);
    this.verify = options.verify ?? true;
    for (const level of LEVELS) {
      this.specs.set(level, resolveSpec(level, options.specs?.[level]));
      this.streams.set(level, root.fork(`level-${level}`));
      this.counters.set(level, 0);
      this.statistics.set(level, { accepted: 0, rejected: 0, reasons: {} });
    }
    this.mixturePrng = root.fork('mixture');
  }

  spec(level: Level): LevelSpec {
    return this.specs.get(level)!;
  }

  stats(level: Level): LevelStats {
    const s = this.statistics.get(level)!;
    return { accepted: s.accepted, rejected: s.rejected, reasons: { ...s.reasons } };
  }

  /** The next verified record of a level; invalid draws are rejected and counted. */
  next(level: Level): DatasetRecord {
    const spec = this.spec(level);
    const prng = this.streams.get(level)!;
    const stats = this.statistics.get(level)!;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        const index = this.counters.get(level)! + 1;
        // an engine error rejects the draw and is counted by name: its stack is never read
        const record = withoutEngineStacks(() => {
          const drawn = this.draw(spec, prng, `L${level}-${String(index).padStart(5, '0')}`);
          if (this.verify && verifyGenerated(drawn.record, drawn.result) !== null) reject('verification');
          return drawn.record;
        });
        this.counters.set(level, index);
        stats.accepted++;
        return record;
      } catch (err) {
        const reason = err instanceof Rejection ? err.reason : err instanceof EngineError ? err.name : null;
        if (reason === null) throw err;
        stats.rejected++;
        stats.reasons[reason] = (stats.reasons[reason] ?? 0) + 1;
      }
    }
    throw new GeneratorError(`level ${level}: no valid problem in ${MAX_ATTEMPTS} attempts; the spec is too narrow`);
  }

  take(level: Level, count: number): DatasetRecord[] {
    const out: DatasetRecord[] = [];
    for (let i = 0; i < count; i++) out.push(this.next(level));
    return out;
  }

  *records(level: Level, count = Infinity): Generator<DatasetRecord> {
    for (let i = 0; i < count; i++) yield this.next(level);
  }

  /** A record from a level drawn with probability proportional to its weight. */
  nextMixed(weights: Partial<Record<Level, number>>): DatasetRecord {
    const levels = LEVELS.filter((l) => (weights[l] ?? 0) > 0);
    if (levels.length === 0) throw new GeneratorError('mixture weights must give at least one level a positive weight');
    const level = levels[this.mixturePrng.weightedIndex(levels.map((l) => weights[l]!))];
    return this.next(level);
  }

  /** A batch for mixed-level training: `size` records drawn by `nextMixed`. */
  mixedBatch(weights: Partial<Record<Level, number>>, size: number): DatasetRecord[] {
    const out: DatasetRecord[] = [];
    for (let i = 0; i < size; i++) out.push(this.nextMixed(weights));
    return out;
  }

  private draw(spec: LevelSpec, prng: Prng, id: string): { record: DatasetRecord; result: Answer } {
    const bindings: Record<string, number> = {};
    let problem: Expr;
    let result: Answer | null = null;
    switch (spec.task) {
      case 'evaluate': {
        problem = randomTree(prng, spec, spec.maxDepth, true);
        const names = [...collectSymbols(problem)].sort();
        for (const name of names) bindings[name] = prng.int(spec.bindingRange[0], spec.bindingRange[1]);
        break;
      }
      case 'derive': {
        const f = randomTree(prng, spec, spec.maxDepth, true);
        if (!containsSymbol(f, 'x')) reject('no-variable');
        simplify(f); // f itself must be defined (e.g. no constant division by zero that d/dx would drop)
        problem = fn('derive', f, sym('x'));
        break;
      }
      case 'integrate': {
        const f = randomTree(prng, spec, spec.maxDepth, true);
        if (!containsSymbol(f, 'x')) reject('no-variable');
        const [lo, hi] = spec.boundRange;
        const a = prng.int(lo, hi - 1);
        const b = prng.int(a + 1, hi);
        problem = fn('integrate', f, sym('x'), int(a), int(b));
        break;
      }
      case 'solve': {
        const lhs = randomTree(prng, spec, spec.maxDepth, true);
        if (!containsSymbol(lhs, 'x')) reject('no-variable');
        const root = prng.int(spec.rootRange[0], spec.rootRange[1]);
        const rhs = answer(lhs, { x: root });
        if (rhs.kind !== 'numeric' || typeof rhs.value === 'number' || !rhs.value.isInteger) reject('non-integer-rhs');
        if (Math.abs(toNumber(rhs.value)) > spec.maxAbsResult) reject('result-too-large');
        const equation = op('=', lhs, int(rhs.value.num));
        problem = fn('solve', equation, sym('x'));
        // solve() reports how it solved: 'numeric' means not a polynomial of degree <= 2.
        const solved = solve(equation, 'x');
        if (solved.method === 'numeric') reject('not-linear-or-quadratic');
        if (solved.method === 'quadratic' && spec.maxDegree < 2) reject('degree-too-high');
        result = { kind: 'numeric', value: solved.roots[0] };
        break;
      }
    }
    if (exprDepth(problem) < spec.minDepth + (spec.task === 'evaluate' ? 0 : spec.task === 'solve' ? 2 : 1)) reject('too-shallow');
    result ??= answer(problem, bindings);
    if (result.kind === 'numeric') {
      if (!(Math.abs(toNumber(result.value)) <= spec.maxAbsResult)) reject('result-too-large');
    } else if (exprSize(result.expr) > spec.maxResultNodes) {
      reject('result-too-large');
    }
    return { record: buildRecord(id, spec.level, problem, bindings, result), result };
  }
}

function collectSymbols(expr: Expr): Set<string> {
  const names = new Set<string>();
  const stack = [expr];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'symbol') names.add(node.value);
    else if (node.type === 'op' || node.type === 'fn') stack.push(...node.children);
  }
  return names;
}

function randomLeaf(prng: Prng, spec: LevelSpec): Expr {
  if (spec.symbols.length > 0 && prng.chance(spec.symbolProbability)) return sym(prng.pick(spec.symbols));
  return int(prng.int(spec.intRange[0], spec.intRange[1]));
}

/** A random tree of depth <= budget; the root (isRoot) is always an inner node. */
function randomTree(prng: Prng, spec: LevelSpec, budget: number, isRoot: boolean): Expr {
  if (budget <= 0 || (!isRoot && prng.chance(spec.leafProbability))) return randomLeaf(prng, spec);
  if (spec.fns.length > 0 && prng.chance(spec.fnProbability)) {
    return fn(prng.pick(spec.fns), randomTree(prng, spec, budget - 1, false));
  }
  const name = prng.pick(spec.ops);
  if (name === '^') {
    const base = randomTree(prng, spec, budget - 1, false);
    return op('^', base, int(prng.int(spec.exponentRange[0], spec.exponentRange[1])));
  }
  if (name === '/' && spec.divideByLiteralOnly) {
    const numerator = randomTree(prng, spec, budget - 1, false);
    return op('/', numerator, int(prng.int(Math.max(1, spec.intRange[0]), Math.max(1, spec.intRange[1]))));
  }
  const left = randomTree(prng, spec, budget - 1, false);
  const right = randomTree(prng, spec, budget - 1, false);
  // (- x x) and (/ x x) teach nothing, and x/x (undefined at 0) would pass as 1.
  if ((name === '-' || name === '/') && exprEquals(left, right) && collectSymbols(left).size > 0) reject('degenerate');
  return op(name, left, right);
}
