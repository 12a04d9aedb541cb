import { Prng, type PrngState } from '../util/prng';
import { DataOptionError } from './errors';

export interface BatchIteratorOptions {
  batchSize: number;
  /** Seed of the shuffling stream (default 0). */
  seed?: number | string;
  /** Shuffle the order each epoch (default true). */
  shuffle?: boolean;
  /** Drop the last, smaller batch of an epoch (default false). */
  dropLast?: boolean;
  /** Number of epochs to iterate (default 1; Infinity for an endless stream). */
  epochs?: number;
}

export interface BatchIteratorState {
  epoch: number;
  position: number;
  seed: PrngState;
}

/**
 * Batches over an in-memory list, epoch after epoch. Epoch e's order is a pure function of
 * (seed, e) — a Fisher–Yates shuffle by a stream forked for that epoch — so a run resumed
 * from `state()` continues with exactly the batches it would have produced.
 */
export class BatchIterator<T> implements Iterable<T[]> {
  private readonly root: Prng;
  private readonly batchSize: number;
  private readonly shuffle: boolean;
  private readonly dropLast: boolean;
  private readonly epochs: number;
  private epochIndex = 0;
  private position = 0;
  private order: number[] | null = null;

  constructor(
    private readonly items: readonly T[],
    options: BatchIteratorOptions,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new DataOptionError('batchSize', `must be a positive integer, got ${options.batchSize}`);
    this.batchSize = options.batchSize;
    this.root = new Prng(options.seed ?? 0);
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.epochs = options.epochs ?? 1;
  }

  get epoch(): number {
    return this.epochIndex;
  }

  get batchesPerEpoch(): number {
    const n = this.items.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  private orderOf(epoch: number): number[] {
    const order = Array.from({ length: this.items.length }, (_, i) => i);
    return this.shuffle ? this.root.fork(`epoch-${epoch}`).shuffle(order) : order;
  }

  /** The next batch, or null when all epochs are done. */
  next(): T[] | null {
    for (;;) {
      if (this.epochIndex >= this.epochs || this.batchesPerEpoch === 0) return null;
      this.order ??= this.orderOf(this.epochIndex);
      const remaining = this.items.length - this.position;
      if (remaining > 0 && (remaining >= this.batchSize || !this.dropLast)) {
        const end = Math.min(this.position + this.batchSize, this.items.length);
        const batch: T[] = [];
        for (let i = this.position; i < end; i++) batch.push(this.items[this.order[i]]);
        this.position = end;
        return batch;
      }
      this.epochIndex++;
      this.position = 0;
      this.order = null;
    }
  }

  *[Symbol.iterator](): Iterator<T[]> {
    for (let batch = this.next(); batch !== null; batch = this.next()) yield batch;
  }

  state(): BatchIteratorState {
    return { epoch: this.epochIndex, position: this.position, seed: this.root.state() };
  }

  setState(state: BatchIteratorState): void {
    this.root.setState(state.seed);
    this.epochIndex = state.epoch;
    this.position = state.position;
    this.order = null;
  }
}
