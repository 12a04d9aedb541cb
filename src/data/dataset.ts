import { BatchIterator, type BatchIteratorOptions } from './batch';
import { type ParseJsonlOptions, parseJsonl, toJsonl } from './jsonl';
import type { Level } from './levels';
import type { DatasetRecord } from './record';

/** An in-memory dataset (for files larger than memory, stream with readJsonl). */
export class Dataset {
  constructor(readonly records: readonly DatasetRecord[]) {}

  static fromJsonl(text: string, options: ParseJsonlOptions = {}): { dataset: Dataset; skipped: number } {
    const { records, skipped } = parseJsonl(text, options);
    return { dataset: new Dataset(records), skipped: skipped.length };
  }

  get size(): number {
    return this.records.length;
  }

  get(index: number): DatasetRecord {
    return this.records[index];
  }

  ofLevel(level: Level): Dataset {
    return new Dataset(this.records.filter((r) => r.level === level));
  }

  toJsonl(): string {
    return toJsonl(this.records);
  }

  batches(options: BatchIteratorOptions): BatchIterator<DatasetRecord> {
    return new BatchIterator(this.records, options);
  }
}
