/**
 * `grapheme-train eval --checkpoint C (--input FILE.jsonl | --level L --samples N)`: the
 * per-level accuracy (exact GED 0), mean GED and equivalence rate of a trained model, as a
 * table or (--json) one JSON object.
 *
 * Records come from a JSONL file (every record is scored, whatever its split) or are
 * generated: N records of level L's held-out TEST split (hash-disjoint from training data)
 * from the stream `${seed}/eval/L${L}`.
 *
 * Bad flags, an unreadable or malformed checkpoint, and a malformed JSONL line end with
 * exit code 2 and a message naming the file (and line and field); nothing is evaluated.
 */
import type { Command } from 'commander';
import { createBackend, type BackendName } from '../backend/index';
import { DataGenerator } from '../data/generator';
import type { Level } from '../data/levels';
import type { DatasetRecord } from '../data/record';
import { splitOf } from '../data/split';
import { GraphemeError } from '../errors';
import { evaluateByLevel, type Evaluation } from '../model/index';
import { readCheckpointBytes } from '../train/checkpoint-node';
import { Trainer } from '../train/trainer';
import { MAX_RECORDS_PER_PASS } from '../train/bounds';
import { fileProblem, formatFailure } from './errors';
import { describeRejected, loadRecords } from './verify';
import { formatTable } from './train';

/** A bad flag, or a file that cannot be read (named). */
export class EvalInputError extends GraphemeError {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

export interface EvalFlags {
  checkpoint: string;
  input?: string;
  level?: string;
  samples?: string;
  seed?: string;
  backend?: string;
  json?: boolean;
  /** check every --input record with the engine first (default true; --no-verify: false) */
  verify?: boolean;
}

export interface EvalIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface EvalReport {
  checkpoint: string;
  /** updates the checkpoint's run had done */
  step: number;
  backend: string;
  source: string;
  records: number;
  perLevel: Record<string, Evaluation>;
}

function integerFlag(field: string, text: string | undefined, min: number, max = Infinity): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new EvalInputError(field, `expected an integer in [${min}, ${max === Infinity ? '∞' : max}], got '${text}'`);
  return n;
}

/** `count` held-out TEST records of `level` from the stream `${seed}/eval/L${level}`. */
function heldOutRecords(seed: string, level: Level, count: number): DatasetRecord[] {
  const generator = new DataGenerator({ seed: `${seed}/eval/L${level}` });
  const out: DatasetRecord[] = [];
  while (out.length < count) {
    const r = generator.next(level);
    if (splitOf(r.polish) === 'test') out.push(r);
  }
  return out;
}

/** Runs the command; returns the report, or null after printing an error (exit code 2). */
export async function evaluate(flags: EvalFlags, io: EvalIO): Promise<{ exitCode: number; report?: EvalReport }> {
  let report: EvalReport;
  try {
    const level = integerFlag('--level', flags.level, 1, 7) as Level | undefined;
    const samples = integerFlag('--samples', flags.samples, 1, MAX_RECORDS_PER_PASS);
    if ((flags.input === undefined) === (level === undefined)) throw new EvalInputError('--input', 'give either --input FILE.jsonl or --level L (with --samples N)');
    if (flags.input !== undefined && samples !== undefined) throw new EvalInputError('--samples', 'only with --level (a file is scored whole)');
    const backendName = flags.backend ?? 'auto';
    if (!['wasm', 'js', 'auto'].includes(backendName)) throw new EvalInputError('--backend', `expected wasm, js or auto, got '${backendName}'`);

    let bytes: Uint8Array;
    try {
      bytes = await readCheckpointBytes(flags.checkpoint);
    } catch (err) {
      throw new EvalInputError('--checkpoint', `cannot read ${fileProblem(err, flags.checkpoint) ?? `${flags.checkpoint}: ${(err as Error).message}`}`);
    }
    let trainer: Trainer;
    try {
      trainer = await Trainer.resume(bytes, { backend: await createBackend(backendName as BackendName) });
    } catch (err) {
      if (err instanceof GraphemeError) throw new EvalInputError('--checkpoint', `${flags.checkpoint} is not a readable grapheme-train checkpoint: ${err.message}`);
      throw err;
    }

    let records: DatasetRecord[];
    let source: string;
    if (flags.input !== undefined) {
      try {
        // a malformed line: DatasetError "FILE:LINE: field: …"; records the engine rejects: counted (./verify.ts)
        const loaded = await loadRecords(flags.input, flags.verify !== false);
        if (loaded.rejected.length > 0) {
          throw new EvalInputError('--input', `${flags.input}: ${describeRejected(loaded.rejected, loaded.records.length + loaded.rejected.length)}; nothing scored (validate lists them all; --no-verify scores them as they are)`);
        }
        records = loaded.records;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== undefined) throw new EvalInputError('--input', `cannot read ${fileProblem(err, flags.input) ?? `${flags.input}: ${(err as Error).message}`}`);
        throw err;
      }
      if (records.length === 0) throw new EvalInputError('--input', `${flags.input} holds no records`);
      source = flags.input;
    } else {
      const count = samples ?? 500;
      const seed = flags.seed ?? '0';
      records = heldOutRecords(seed, level!, count);
      source = `${count} generated level-${level} records of the test split (seed '${seed}')`;
    }

    const perLevel = Object.fromEntries([...evaluateByLevel(trainer.model.net, records)].map(([l, e]) => [String(l), e]));
    report = {
      checkpoint: flags.checkpoint,
      step: trainer.step,
      backend: trainer.backend.name,
      source,
      records: records.length,
      perLevel,
    };
  } catch (err) {
    if (err instanceof GraphemeError) {
      io.err(formatFailure('eval', err));
      return { exitCode: 2 };
    }
    throw err;
  }

  if (flags.json) io.out(JSON.stringify(report) + '\n');
  else {
    io.out(`checkpoint ${report.checkpoint} (after ${report.step} updates) on the ${report.backend} backend\n`);
    const rows = Object.entries(report.perLevel).map(([level, e]) => ({ level: Number(level) as Level, ...e }));
    io.out(formatTable(`${report.source}:`, rows));
  }
  return { exitCode: 0, report };
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('per-level accuracy, mean GED and equivalence rate of a checkpoint on a JSONL file or generated held-out records')
    .requiredOption('-c, --checkpoint <file>', 'checkpoint.safetensors written by `grapheme-train train`')
    .option('-i, --input <file>', 'records to score (JSONL, one dataset record per line)')
    .option('-l, --level <level>', 'generate held-out test records of this level (1-7) instead')
    .option('-n, --samples <n>', 'with --level: how many (default 500)')
    .option('-s, --seed <seed>', 'with --level: seed of the generated records (default 0)')
    .option('-b, --backend <name>', 'wasm, js or auto (default auto)')
    .option('--json', 'print one JSON object instead of the table')
    .option('--no-verify', 'score --input records without checking them with the engine first')
    .action(async (flags: EvalFlags) => {
      const outcome = await evaluate(flags, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
      process.exitCode = outcome.exitCode;
    });
}
