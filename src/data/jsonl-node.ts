/**
 * Node-only file I/O for JSONL datasets: streaming line reader (constant memory for large
 * files) and a writer that goes through a temporary file and a rename, so a crash never
 * leaves a half-written dataset under the final name.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { Dataset } from './dataset';
import { DataOptionError } from './errors';
import { DatasetError, parseRecordLine, serializeRecord } from './jsonl';
import type { DatasetRecord } from './record';

export interface ReadJsonlOptions {
  /** Skip malformed lines instead of throwing; each skipped line is passed to onSkip. */
  skipMalformed?: boolean;
  onSkip?: (error: DatasetError) => void;
}

/** Raw lines with their 1-based numbers; blank lines are skipped. */
export async function* readLines(path: string): AsyncGenerator<{ line: number; text: string }> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim().length > 0) yield { line, text };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

/** Streams records from a JSONL file. */
export async function* readJsonl(path: string, options: ReadJsonlOptions = {}): AsyncGenerator<DatasetRecord> {
  for await (const { line, text } of readLines(path)) {
    try {
      yield parseRecordLine(text, line, path);
    } catch (err) {
      if (!(err instanceof DatasetError) || !options.skipMalformed) throw err;
      options.onSkip?.(err);
    }
  }
}

export async function loadJsonl(path: string, options: ReadJsonlOptions = {}): Promise<{ records: DatasetRecord[]; skipped: DatasetError[] }> {
  const records: DatasetRecord[] = [];
  const skipped: DatasetError[] = [];
  for await (const r of readJsonl(path, { ...options, onSkip: (e) => { skipped.push(e); options.onSkip?.(e); } })) records.push(r);
  return { records, skipped };
}

/** A whole JSONL file as a Dataset (for files that fit in memory). */
export async function loadDataset(path: string, options: ReadJsonlOptions = {}): Promise<{ dataset: Dataset; skipped: DatasetError[] }> {
  const { records, skipped } = await loadJsonl(path, options);
  return { dataset: new Dataset(records), skipped };
}

/** Writes records one by one (with back-pressure) to path.tmp-PID, then renames to path. */
export class JsonlWriter {
  private readonly temporary: string;
  private stream: WriteStream | null = null;
  private count = 0;

  constructor(readonly path: string) {
    this.temporary = `${path}.tmp-${process.pid}`;
  }

  get written(): number {
    return this.count;
  }

  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.stream = createWriteStream(this.temporary, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => {
      this.stream!.once('open', () => resolve());
      this.stream!.once('error', reject);
    });
  }

  async write(record: DatasetRecord): Promise<void> {
    if (this.stream === null) throw new DataOptionError('JsonlWriter', 'write() before open()');
    this.count++;
    if (!this.stream.write(serializeRecord(record) + '\n')) {
      await new Promise<void>((resolve) => this.stream!.once('drain', () => resolve()));
    }
  }

  /** Flushes and atomically moves the file into place. */
  async close(): Promise<void> {
    if (this.stream === null) throw new DataOptionError('JsonlWriter', 'close() before open()');
    const stream = this.stream;
    await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    this.stream = null;
    await rename(this.temporary, this.path);
  }

  /** Drops the temporary file (after an error). */
  async abort(): Promise<void> {
    this.stream?.destroy();
    this.stream = null;
    await rm(this.temporary, { force: true });
  }
}

export async function writeJsonl(path: string, records: Iterable<DatasetRecord> | AsyncIterable<DatasetRecord>): Promise<number> {
  const writer = new JsonlWriter(path);
  await writer.open();
  try {
    for await (const r of records) await writer.write(r);
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return writer.written;
}
