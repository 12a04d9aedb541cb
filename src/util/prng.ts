/**
 * Seeded pseudo-random numbers that are bit-identical in every JavaScript runtime.
 *
 * Algorithm: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c),
 * state = four 32-bit words, seeded through SplitMix32 so that nearby seeds give unrelated
 * streams. Only 32-bit integer arithmetic is used (Math.imul, `>>> 0`, shifts), and the
 * derived floats/normals use only IEEE-exact operations (+ - * / sqrt) — never Math.log or
 * Math.cos, whose last bit differs between engines — so Node, browsers, Deno, Bun and
 * workerd all produce the same stream from the same seed.
 */

import { GraphemeError } from '../errors';

/** A bad seed, range, weight or state given to Prng. */
export class PrngError extends GraphemeError {}

export type PrngState = readonly [number, number, number, number];

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** SplitMix32 step: a well-mixed 32-bit output from a 32-bit counter. */
function splitMix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units: turns a string seed or fork label into 32 bits. */
export function hashString32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function seedWord(seed: number | string): number {
  if (typeof seed === 'string') return hashString32(seed);
  if (!Number.isFinite(seed)) throw new PrngError(`Prng seed must be finite, got ${seed}`);
  // Fold both halves of a (possibly > 32-bit) integer seed so seeds 1 and 2^32+1 differ.
  const integer = Math.trunc(seed);
  const low = integer >>> 0;
  const high = Math.floor(integer / TWO_POW_32) >>> 0;
  return (low ^ splitMix32(high)) >>> 0;
}

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;

/**
 * Natural logarithm from IEEE-exact operations only, so `normal()` is reproducible across
 * engines. Range reduction to m in [sqrt(1/2), sqrt(2)) by exact powers of two, then
 * log(m) = 2·atanh((m-1)/(m+1)) by its series (|s| < 0.172, 12 terms reach < 1e-17).
 */
export function portableLog(x: number): number {
  if (!(x > 0) || x === Infinity) return x === 0 ? -Infinity : x === Infinity ? Infinity : NaN;
  let k = 0;
  let m = x;
  while (m >= 1.4142135623730951) { m *= 0.5; k++; }
  while (m < 0.7071067811865476) { m *= 2; k--; }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let term = s;
  let sum = 0;
  for (let n = 1; n <= 25; n += 2) {
    sum += term / n;
    term *= s2;
  }
  return 2 * sum + k * LN2_LO + k * LN2_HI;
}

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `seed` may be any finite number or a string (hashed with FNV-1a). */
  constructor(seed: number | string = 0) {
    let x = seedWord(seed);
    x = splitMix32(x); this.s0 = x;
    x = splitMix32(x); this.s1 = x;
    x = splitMix32(x); this.s2 = x;
    x = splitMix32(x); this.s3 = x;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  static fromState(state: PrngState): Prng {
    const prng = new Prng(0);
    prng.setState(state);
    return prng;
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const times5 = Math.imul(s1, 5);
    const rotated = (times5 << 7) | (times5 >>> 25);
    const result = Math.imul(rotated, 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = (s1 ^ n2) >>> 0;
    this.s0 = (s0 ^ n3) >>> 0;
    this.s2 = (n2 ^ t) >>> 0;
    this.s3 = ((n3 << 11) | (n3 >>> 21)) >>> 0;
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextU32() >>> 5; // 27 bits
    const low = this.nextU32() >>> 6; // 26 bits
    return (high * 67108864 + low) / TWO_POW_53;
  }

  /** Uniform integer in [lo, hi], both inclusive; unbiased (rejection sampling). */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new PrngError(`Prng.int needs integers, got [${lo}, ${hi}]`);
    if (hi < lo) throw new PrngError(`Prng.int: empty range [${lo}, ${hi}]`);
    const span = hi - lo + 1;
    if (span > TWO_POW_32) throw new PrngError(`Prng.int: range [${lo}, ${hi}] wider than 2^32`);
    if (span === TWO_POW_32) return lo + this.nextU32();
    // Reject the top sliver of [0, 2^32) that would over-represent small residues.
    const limit = TWO_POW_32 - (TWO_POW_32 % span);
    let r = this.nextU32();
    while (r >= limit) r = this.nextU32();
    return lo + (r % span);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new PrngError('Prng.pick from an empty array');
    return items[this.int(0, items.length - 1)];
  }

  /** Index drawn with probability proportional to `weights[i]` (non-negative, not all zero). */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) throw new PrngError(`Prng.weightedIndex: bad weight ${w}`);
      total += w;
    }
    if (total <= 0) throw new PrngError('Prng.weightedIndex: weights sum to zero');
    let r = this.nextFloat() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return 0;
  }

  /** Standard normal deviate (Marsaglia polar method; portable, see portableLog). */
  normal(mean = 0, stddev = 1): number {
    for (;;) {
      const u = 2 * this.nextFloat() - 1;
      const v = 2 * this.nextFloat() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) return mean + stddev * u * Math.sqrt((-2 * portableLog(s)) / s);
    }
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /**
   * An independent child stream named by `label`, derived from this generator's current state
   * without advancing it: the same parent state and label always give the same child, and
   * different labels give unrelated streams (e.g. one per level, per epoch, per worker).
   */
  fork(label: string | number): Prng {
    const child = new Prng(0);
    let x = (hashString32(String(label)) ^ this.s0) >>> 0;
    const words: number[] = [];
    const mixins = [this.s1, this.s2, this.s3, this.s0];
    for (let i = 0; i < 4; i++) {
      x = splitMix32((x ^ mixins[i]) >>> 0);
      words.push(x);
    }
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
    child.setState(words as unknown as PrngState);
    return child;
  }

  /** Copy of the four state words, for checkpoints. */
  state(): PrngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  setState(state: PrngState): void {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new PrngError('Prng state must be four unsigned 32-bit integers');
    }
    if ((state[0] | state[1] | state[2] | state[3]) === 0) throw new PrngError('Prng state must not be all zero');
    this.s0 = state[0] >>> 0;
    this.s1 = state[1] >>> 0;
    this.s2 = state[2] >>> 0;
    this.s3 = state[3] >>> 0;
  }
}
