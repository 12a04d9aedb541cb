import { GraphemeError } from '../errors';
import { escapeControl, excerpt } from '../util/text';
import { type DatasetRecord, checkRecordShape } from './record';

/**
 * Runtime-neutral JSONL: one record per line. Parsing checks the record's structure (not its
 * math: that is `checkRecord`) and reports the first problem with its line number and field.
 */

/** The longest JSONL line read as a record (1 MiB; a record of any level is a few KB). */
export const MAX_LINE_BYTES = 1 << 20;

export class DatasetError extends GraphemeError {
  constructor(
    /** 1-based line number in the JSONL text (0 when not from a file). */
    readonly line: number,
    /** The offending field (`graph.nodes[3].value`), or '' for the line as a whole. */
    readonly field: string,
    readonly detail: string,
    readonly source?: string,
  ) {
    super(escapeControl(`${source ? `${source}:` : 'line '}${line}: ${field ? `${field}: ` : ''}${detail}`));
    this.name = 'DatasetError';
  }
}

/** One line of JSON with the DESIGN.md key order. */
export function serializeRecord(r: DatasetRecord): string {
  return JSON.stringify({
    id: r.id,
    level: r.level,
    polish: r.polish,
    bindings: r.bindings,
    graph: r.graph,
    result_numeric: r.result_numeric,
    result_symbolic: r.result_symbolic,
    result_graph: r.result_graph,
  });
}

export function parseRecordLine(text: string, line = 0, source?: string): DatasetRecord {
  if (text.length > MAX_LINE_BYTES) throw new DatasetError(line, '', `the line is ${text.length} characters, more than the ${MAX_LINE_BYTES} a record may take`, source);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(line, '', `invalid JSON (${excerpt((err as Error).message, 120)})`, source);
  }
  const problems = checkRecordShape(value);
  if (problems.length > 0) throw new DatasetError(line, problems[0].field, problems[0].message, source);
  return value as DatasetRecord;
}

export interface ParseJsonlOptions {
  /** Skip malformed lines (and count them) instead of throwing the first DatasetError. */
  skipMalformed?: boolean;
  source?: string;
}

export interface ParsedJsonl {
  records: DatasetRecord[];
  /** The malformed lines that were skipped (only with skipMalformed). */
  skipped: DatasetError[];
}

/** Parses a whole JSONL text; blank lines are ignored. */
export function parseJsonl(text: string, options: ParseJsonlOptions = {}): ParsedJsonl {
  const records: DatasetRecord[] = [];
  const skipped: DatasetError[] = [];
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const content = text.slice(start, end).trim();
    start = end + 1;
    if (content.length === 0) continue;
    try {
      records.push(parseRecordLine(content, line, options.source));
    } catch (err) {
      if (!(err instanceof DatasetError) || !options.skipMalformed) throw err;
      skipped.push(err);
    }
  }
  return { records, skipped };
}

export function toJsonl(records: Iterable<DatasetRecord>): string {
  let out = '';
  for (const r of records) out += serializeRecord(r) + '\n';
  return out;
}
