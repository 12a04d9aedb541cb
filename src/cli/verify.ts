/**
 * `eval --input` verifies its records as `validate` does before scoring them: a record whose
 * polish does not parse, whose answer or graph the engine disagrees with, or that breaks its
 * level's contract would score the model against a wrong label. Such a file is refused
 * (exit 2) with how many records were rejected and the first one's line and field;
 * `--no-verify` scores the records as they are.
 */
import { readLines } from '../data/jsonl-node';
import { DatasetError, parseRecordLine } from '../data/jsonl';
import { checkRecord, type DatasetRecord } from '../data/record';
import { excerpt } from '../util/text';

export interface Rejected {
  line: number;
  field: string;
  message: string;
}

export interface LoadedRecords {
  records: DatasetRecord[];
  /** records the engine rejected (only when verifying) */
  rejected: Rejected[];
}

/** The records of a JSONL file; a malformed line throws its DatasetError; with `verify`, engine-rejected records are listed. */
export async function loadRecords(path: string, verify: boolean): Promise<LoadedRecords> {
  const records: DatasetRecord[] = [];
  const rejected: Rejected[] = [];
  for await (const { line, text, problem } of readLines(path)) {
    if (problem !== undefined) throw new DatasetError(line, '', problem, path);
    const record = parseRecordLine(text, line, path);
    if (verify) {
      const problems = checkRecord(record);
      if (problems.length > 0) {
        rejected.push({ line, field: problems[0].field, message: problems[0].message });
        continue;
      }
    }
    records.push(record);
  }
  return { records, rejected };
}

/** "3 of 20 records rejected (first: line 5: result_numeric: expected 10)". */
export function describeRejected(rejected: readonly Rejected[], total: number): string {
  const first = rejected[0];
  return `${rejected.length} of ${total} records rejected by the engine (first: line ${first.line}: ${first.field ? `${excerpt(first.field, 60)}: ` : ''}${excerpt(first.message, 160)})`;
}
