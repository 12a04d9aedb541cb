import { hashString32 } from '../util/prng';
import { DataOptionError } from './errors';

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

export interface SplitFractions {
  val: number;
  test: number;
}
export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { val: 0.1, test: 0.1 };

/** Murmur3's 32-bit finaliser on top of FNV-1a, so similar texts land in unrelated buckets. */
function mixedHash(text: string): number {
  let h = hashString32(text);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The split of a problem, a pure function of its canonical Polish text: the same problem is
 * always in the same split, so train, val and test are disjoint whatever the seed or level.
 */
export function splitOf(canonicalPolish: string, fractions: SplitFractions = DEFAULT_SPLIT_FRACTIONS): Split {
  if (!(fractions.val >= 0 && fractions.test >= 0 && fractions.val + fractions.test <= 1)) {
    throw new DataOptionError('fractions', `split fractions must be >= 0 and sum to <= 1, got val=${fractions.val} test=${fractions.test}`);
  }
  const u = mixedHash(canonicalPolish) / 4294967296;
  if (u < fractions.test) return 'test';
  if (u < fractions.test + fractions.val) return 'val';
  return 'train';
}
