/**
 * Node-only file I/O for JSONL datasets: streaming line reader (constant memory for large
 * files) and a writer that goes through a temporary file and a rename, so a crash never
 * leaves a half-written dataset under the final name.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Dataset } from './dataset';
import { DataOptionError } from './errors';
import { DatasetError, MAX_LINE_BYTES, parseRecordLine, serializeRecord } from './jsonl';
import type { DatasetRecord } from './record';
import { RecordLevels, RecordSourceError } from './source';
import { SPLITS, type Split } from './split';

export interface ReadJsonlOptions {
  /** Skip malformed lines instead of throwing; each skipped line is passed to onSkip. */
  skipMalformed?: boolean;
  onSkip?: (error: DatasetError) => void;
}

/** One line of a JSONL file: its text, or why it has none (not UTF-8, too long: `problem`). */
export interface RawLine {
  line: number;
  text: string;
  /** set when the line cannot be a record whatever it says; `text` is then '' */
  problem?: string;
}

/**
 * Raw lines with their 1-based numbers; blank lines are skipped; `\r\n` ends a line like `\n`.
 * Each line is decoded as strict UTF-8 (invalid bytes are a problem, not U+FFFD), and a line
 * longer than `maxLineBytes` is skipped unread (memory and work stay bounded per line).
 */
export async function* readLines(path: string, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<RawLine> {
  const input = createReadStream(path);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let parts: Buffer[] = [];
  let length = 0;
  let line = 0;
  const finish = (): RawLine | null => {
    line++;
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const size = length;
    parts = [];
    length = 0;
    if (size > maxLineBytes) return { line, text: '', problem: `the line is ${size} bytes, more than the ${maxLineBytes} a record may take` };
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(0, end));
    } catch {
      return { line, text: '', problem: `not valid UTF-8 (at byte ${firstInvalidUtf8(bytes.subarray(0, end))} of the line)` };
    }
    return text.trim().length > 0 ? { line, text } : null;
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let from = 0;
      for (;;) {
        const nl = chunk.indexOf(10, from);
        const piece = chunk.subarray(from, nl < 0 ? chunk.length : nl);
        length += piece.length;
        if (length <= maxLineBytes) parts.push(piece); // past the limit: only counted
        if (nl < 0) break;
        const done = finish();
        if (done !== null) yield done;
        from = nl + 1;
      }
    }
    if (length > 0) {
      const done = finish();
      if (done !== null) yield done;
    }
  } finally {
    input.destroy();
  }
}

/** The offset of the first byte that does not belong to well-formed UTF-8. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  // the longest prefix with no invalid byte, by bisection (streaming: a prefix may end mid-character)
  const fine = (n: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fine(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Streams records from a JSONL file. */
export async function* readJsonl(path: string, options: ReadJsonlOptions = {}): AsyncGenerator<DatasetRecord> {
  for await (const { line, text, problem } of readLines(path)) {
    try {
      if (problem !== undefined) throw new DatasetError(line, '', problem, path);
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

/**
 * The records of a folder as `grapheme-train generate --split` writes it,
 * DIR/level_L/{train,val,test}.jsonl, as a LevelPool for the curriculum (./source.ts).
 * Every line is parsed and checked (a malformed one is a DatasetError naming the file and
 * line); a level needs train records, and val and test records to be evaluated.
 */
export async function loadLevelFiles(dir: string): Promise<RecordLevels> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && /^level_[1-7]$/.test(e.name)).map((e) => e.name);
  } catch (err) {
    throw new RecordSourceError(`${dir}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (entries.length === 0) throw new RecordSourceError(`${dir}: no level_1 … level_7 folders (write them with: grapheme-train generate --level L --samples N --split --out ${dir})`);
  const records: Record<Split, DatasetRecord[]> = { train: [], val: [], test: [] };
  for (const name of entries.sort()) {
    for (const split of SPLITS) {
      const path = join(dir, name, `${split}.jsonl`);
      let loaded: DatasetRecord[];
      try {
        loaded = (await loadJsonl(path)).records;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RecordSourceError(`${path}: missing (generate with --split writes train, val and test)`);
        throw err;
      }
      const level = Number(name.slice(6));
      const wrong = loaded.findIndex((r) => r.level !== level);
      if (wrong >= 0) throw new RecordSourceError(`${path}: record ${loaded[wrong].id} is of level ${loaded[wrong].level}, the folder is level ${level}`);
      records[split].push(...loaded);
    }
  }
  return new RecordLevels(records);
}
