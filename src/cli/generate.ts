import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { DataGenerator } from '../data/generator';
import { JsonlWriter } from '../data/jsonl-node';
import { DEFAULT_SAMPLES, LEVELS, type Level, isLevel } from '../data/levels';
import { SPLITS, type Split, splitOf } from '../data/split';

export interface GenerateOptions {
  levels: Level[];
  /** Records per level; undefined = DESIGN.md default for the level. */
  samples?: number;
  seed: number | string;
  split: boolean;
  valFraction: number;
  testFraction: number;
  out: string;
  progress: boolean;
}

export interface GenerateSummary {
  level: Level;
  files: Record<string, number>;
  rejected: number;
  reasons: Record<string, number>;
}

function parseLevels(text: string): Level[] {
  if (text === 'all') return [...LEVELS];
  const levels = text.split(',').map((part) => Number(part.trim()));
  for (const l of levels) if (!isLevel(l)) throw new InvalidArgumentError(`levels are 1-7 (or "all"), got "${text}"`);
  return [...new Set(levels as Level[])];
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${text}"`);
  return n;
}

function parseFraction(text: string): number {
  const x = Number(text);
  if (!(x >= 0 && x <= 1)) throw new InvalidArgumentError(`expected a fraction in [0, 1], got "${text}"`);
  return x;
}

/**
 * Writes OUT/level_L/{train,val,test}.jsonl (with --split; the split of a record is a hash of
 * its canonical Polish text) or OUT/level_L/data.jsonl. Each file is written under a temporary
 * name and renamed when complete.
 */
export async function generate(options: GenerateOptions, log: (line: string) => void = () => {}): Promise<GenerateSummary[]> {
  const generator = new DataGenerator({ seed: options.seed });
  const summaries: GenerateSummary[] = [];
  for (const level of options.levels) {
    const count = options.samples ?? DEFAULT_SAMPLES[level];
    const dir = join(options.out, `level_${level}`);
    const writers = new Map<Split | 'data', JsonlWriter>();
    for (const name of options.split ? SPLITS : (['data'] as const)) writers.set(name, new JsonlWriter(join(dir, `${name}.jsonl`)));
    for (const w of writers.values()) await w.open();
    const bar = options.progress ? new SingleBar({ format: `level ${level} [{bar}] {value}/{total} records | {rate}/s | eta {eta}s`, etaBuffer: 2000 }) : null;
    bar?.start(count, 0, { rate: 0 });
    const started = Date.now();
    try {
      for (let i = 0; i < count; i++) {
        const record = generator.next(level);
        const target = options.split ? splitOf(record.polish, { val: options.valFraction, test: options.testFraction }) : 'data';
        await writers.get(target)!.write(record);
        if (bar !== null && ((i + 1) % 500 === 0 || i + 1 === count)) {
          bar.update(i + 1, { rate: Math.round(((i + 1) * 1000) / Math.max(1, Date.now() - started)) });
        }
      }
      for (const w of writers.values()) await w.close();
    } catch (err) {
      for (const w of writers.values()) await w.abort();
      throw err;
    } finally {
      bar?.stop();
    }
    const stats = generator.stats(level);
    const files: Record<string, number> = {};
    for (const [name, w] of writers) files[w.path] = w.written;
    summaries.push({ level, files, rejected: stats.rejected, reasons: stats.reasons });
    log(`level ${level}: ${Object.entries(files).map(([path, n]) => `${n} -> ${path}`).join(', ')}`);
    log(`  rejected ${stats.rejected} draws${stats.rejected > 0 ? `: ${Object.entries(stats.reasons).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`);
  }
  return summaries;
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('generate verified curriculum data as JSONL')
    .requiredOption('-l, --level <levels>', 'level 1-7, a comma list, or "all"', parseLevels)
    .option('-n, --samples <n>', 'records per level (default: the DESIGN.md size of each level)', parseCount)
    .option('-s, --seed <seed>', 'PRNG seed (number or string)', '0')
    .option('--split', 'write train/val/test files split by a hash of the canonical Polish text', false)
    .option('--val-fraction <x>', 'fraction of problems in val (with --split)', parseFraction, 0.1)
    .option('--test-fraction <x>', 'fraction of problems in test (with --split)', parseFraction, 0.1)
    .requiredOption('-o, --out <dir>', 'output directory (files go to DIR/level_L/)')
    .option('--no-progress', 'no progress bar')
    .action(async (opts: { level: Level[]; samples?: number; seed: string; split: boolean; valFraction: number; testFraction: number; out: string; progress: boolean }) => {
      if (opts.valFraction + opts.testFraction > 1) throw new InvalidArgumentError('val + test fractions exceed 1');
      const numericSeed = Number(opts.seed);
      await generate(
        {
          levels: opts.level,
          samples: opts.samples,
          seed: opts.seed.trim() !== '' && Number.isFinite(numericSeed) ? numericSeed : opts.seed,
          split: opts.split,
          valFraction: opts.valFraction,
          testFraction: opts.testFraction,
          out: opts.out,
          progress: opts.progress && process.stderr.isTTY === true,
        },
        (line) => process.stdout.write(`${line}\n`),
      );
    });
}
