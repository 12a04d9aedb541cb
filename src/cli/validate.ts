import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { readLines } from '../data/jsonl-node';
import { DatasetError } from '../data/jsonl';
import { checkRecord } from '../data/record';
import { escapeControl, excerpt } from '../util/text';
import { CliInputError, EXIT_BAD_INPUT, fileProblem, formatFailure } from './errors';

export interface BadLine {
  file: string;
  line: number;
  field: string;
  message: string;
}

export interface ValidateSummary {
  files: number;
  records: number;
  bad: BadLine[];
  /** Bad records per level (level from the record; 0 when unreadable). */
  badByLevel: Record<number, number>;
  checkedByLevel: Record<number, number>;
}

/** The .jsonl files of a path: the file itself, or every *.jsonl below a directory (sorted). */
export async function jsonlFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await jsonlFiles(full)));
    else if (entry.name.endsWith('.jsonl')) out.push(full);
  }
  return out;
}

/** Re-verifies every record (checkRecord) of every file; streams, so files may be large. */
export async function validate(path: string): Promise<ValidateSummary> {
  const summary: ValidateSummary = { files: 0, records: 0, bad: [], badByLevel: {}, checkedByLevel: {} };
  for (const file of await jsonlFiles(path)) {
    summary.files++;
    for await (const { line, text, problem } of readLines(file)) {
      summary.records++;
      let value: unknown;
      let level = 0;
      let problems: { field: string; message: string }[];
      try {
        if (problem !== undefined) throw new DatasetError(line, '', problem);
        value = JSON.parse(text);
        const l = (value as { level?: unknown } | null)?.level;
        level = typeof l === 'number' && Number.isInteger(l) ? l : 0;
        problems = checkRecord(value);
      } catch (err) {
        problems = [{ field: '', message: err instanceof SyntaxError ? `invalid JSON (${excerpt(err.message, 120)})` : err instanceof DatasetError ? err.detail : `${(err as Error).name}: ${excerpt((err as Error).message, 200)}` }];
      }
      summary.checkedByLevel[level] = (summary.checkedByLevel[level] ?? 0) + 1;
      if (problems.length > 0) {
        summary.badByLevel[level] = (summary.badByLevel[level] ?? 0) + 1;
        for (const p of problems) summary.bad.push({ file, line, field: p.field, message: p.message });
      }
    }
  }
  return summary;
}

/**
 * The command: prints each problem (at most `maxReport`) and a summary; returns the exit code
 * (0 all good, 1 bad records, 2 the input cannot be read).
 */
export async function runValidate(opts: { input: string; maxReport: number }, io: { out: (t: string) => void; err: (t: string) => void }): Promise<number> {
  let summary: ValidateSummary;
  try {
    summary = await validate(opts.input);
  } catch (err) {
    const problem = fileProblem(err, (err as NodeJS.ErrnoException).path ?? opts.input);
    if (problem === null) throw err;
    io.err(formatFailure('validate', new CliInputError('--input', `cannot read ${problem}`)));
    return EXIT_BAD_INPUT;
  }
  for (const bad of summary.bad.slice(0, opts.maxReport)) {
    // control characters escaped, long texts cut: a message is one readable line
    io.out(`${escapeControl(bad.file)}:${bad.line}: ${bad.field ? `${excerpt(bad.field, 80)}: ` : ''}${excerpt(bad.message, 300)}\n`);
  }
  if (summary.bad.length > opts.maxReport) io.out(`... and ${summary.bad.length - opts.maxReport} more problems\n`);
  const badRecords = Object.values(summary.badByLevel).reduce((a, b) => a + b, 0);
  const perLevel = Object.keys(summary.checkedByLevel)
    .map(Number)
    .sort((a, b) => a - b)
    .map((l) => (l === 0 ? `unreadable ${summary.checkedByLevel[0]}` : `L${l} ${summary.checkedByLevel[l] - (summary.badByLevel[l] ?? 0)}/${summary.checkedByLevel[l]} ok`))
    .join(', ');
  io.out(`checked ${summary.records} records in ${summary.files} file(s): ${badRecords} bad${perLevel ? ` (${perLevel})` : ''}\n`);
  return badRecords > 0 ? 1 : 0;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('re-verify every record of a JSONL file (or of every .jsonl below a directory); exit code 1 if any is bad')
    .requiredOption('-i, --input <path>', 'a .jsonl file or a directory')
    .option('--max-report <n>', 'print at most this many problems', (t: string) => {
      const n = Number(t);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${t}"`);
      return n;
    }, 50)
    .action(async (opts: { input: string; maxReport: number }) => {
      process.exitCode = await runValidate(opts, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
    });
}
