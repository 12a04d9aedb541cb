/**
 * Held-out figures in chunks, so that any worker can compute any chunk and the leader merges
 * them into the same figures whatever the number of workers: a chunk's model metrics (means
 * over its records, the contract's ModelMetrics) and the sum of its records' objective
 * (forward only), merged weighted by count.
 */
import type { Tape } from '../autograd/index';
import type { ModelMetrics, TrainableModel } from './contract';

/**
 * Held-out records are evaluated in chunks of this many: small enough that the workers can
 * balance a level whose records cost ~30× the others' (level 5's 500 records are 8 chunks;
 * ./parallel/shared.ts, CHUNK CLAIMING), and that little of a chunk's garbage is alive at once
 * (measured against 256: docs/experiments.md, "Both cores, fourth pass").
 */
export const EVAL_CHUNK = 64;

export interface EvalChunk {
  group: string;
  start: number;
  end: number;
}

/** A chunk's figures: the model's metrics and the sum over its records of the training objective. */
export interface ChunkFigures {
  metrics: ModelMetrics;
  lossSum: number;
}

/** Group masks cover at most this many groups (bit i: the i-th group in key order); a source with more evaluates all. */
const MASK_GROUPS = 31;

/** The mask of `keys` that selects `only` (all: null, or more groups than a mask holds): −1 for all. */
export function groupMask(keys: readonly string[], only: readonly string[] | null): number {
  if (only === null || keys.length > MASK_GROUPS) return -1;
  let mask = 0;
  keys.forEach((k, i) => {
    if (only.includes(k)) mask |= 1 << i;
  });
  return mask;
}

/** The groups that `mask` selects (groupMask), in their order. */
export function selectGroups<T>(groups: Readonly<Record<string, T>>, mask: number): Record<string, T> {
  if (mask === -1) return { ...groups };
  return Object.fromEntries(Object.entries(groups).filter((_, i) => (mask & (1 << i)) !== 0));
}

/** The chunks of held-out groups, in group order (a group without records: one empty chunk). */
export function evalChunks(groups: Readonly<Record<string, readonly unknown[]>>): EvalChunk[] {
  const out: EvalChunk[] = [];
  for (const [group, records] of Object.entries(groups)) {
    if (records.length === 0) out.push({ group, start: 0, end: 0 });
    for (let start = 0; start < records.length; start += EVAL_CHUNK) out.push({ group, start, end: Math.min(records.length, start + EVAL_CHUNK) });
  }
  return out;
}

/** A chunk's figures; `withLoss` false skips the objective (lossSum NaN: a snap's validation reads only the accuracy). */
export function chunkFigures<R>(model: TrainableModel<R>, tape: Tape, records: readonly R[], withLoss = true): ChunkFigures {
  const metrics = model.evaluate(records);
  let lossSum = withLoss ? 0 : NaN;
  if (withLoss && records.length > 0) {
    try {
      lossSum = tape.scalar(model.loss(tape, records)) * records.length;
    } finally {
      tape.reset();
    }
  }
  return { metrics, lossSum };
}

/**
 * Per group: count = Σ counts, every other metric the count-weighted mean of the chunks',
 * loss = Σ lossSum / count (the mean objective per record).
 */
export function mergeChunks(chunks: readonly EvalChunk[], figures: readonly ChunkFigures[]): Record<string, ModelMetrics & { loss: number }> {
  const out: Record<string, ModelMetrics & { loss: number }> = {};
  const sums = new Map<string, { count: number; lossSum: number; metrics: Record<string, number> }>();
  chunks.forEach((c, i) => {
    const f = figures[i];
    const n = c.end - c.start;
    const s = sums.get(c.group) ?? { count: 0, lossSum: 0, metrics: {} };
    s.count += n;
    s.lossSum += f.lossSum;
    for (const [k, v] of Object.entries(f.metrics)) if (k !== 'count' && typeof v === 'number') s.metrics[k] = (s.metrics[k] ?? 0) + v * n;
    if (n === 0) for (const [k, v] of Object.entries(f.metrics)) if (k !== 'count' && typeof v === 'number') s.metrics[k] ??= v;
    sums.set(c.group, s);
  });
  for (const [group, s] of sums) {
    const metrics: Record<string, number> = { count: s.count };
    for (const [k, v] of Object.entries(s.metrics)) metrics[k] = s.count === 0 ? v : v / s.count;
    out[group] = { ...(metrics as ModelMetrics), loss: s.lossSum / Math.max(1, s.count) };
  }
  return out;
}
