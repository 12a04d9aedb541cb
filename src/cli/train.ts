/**
 * `grapheme-train train`: one Trainer run from the command line.
 *
 * Flags override the config file's fields, then validateConfig checks everything BEFORE any
 * work: a bad value exits with code 2 and the field's name, and nothing is written. The run
 * writes OUT/metrics.jsonl (one JSON line per update, appended as it goes) and
 * OUT/checkpoint.safetensors (atomically, after every evaluation and at the end). Ctrl-C
 * aborts the run between updates; the checkpoint of the last finished update is still written,
 * and `--resume` continues from it bit-identically (the data stream is keyed by the update).
 *
 * METRICS.JSONL, one JSON object per line (report.html reads these shapes):
 *   {"kind":"step","step","loss","lr","gradNorm","samplesPerSec","level","levels","applied"}
 *   {"kind":"eval","step","accuracy","meanGed","level","perLevel":{"1":{"count","accuracy","meanGed","equivalence","loss"},…}}
 *   {"kind":"level","step","from","to","reason"}            reason: "threshold" | "budget"
 *   {"kind":"final","step","perLevel":{…as in eval…}}       the held-out TEST split
 * A resumed run first cuts the log back to the checkpoint's step (a killed run may have
 * logged updates after its last checkpoint, and a torn last line), then appends: the log
 * reads as one uninterrupted run.
 *
 * The per-level tables are the Trainer's: each trained level on its own held-out records
 * (`val` split at evaluations, `test` split at the end).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import type { Level } from '../data/levels';
import { GraphemeError } from '../errors';
import { saveCheckpoint } from '../train/checkpoint-node';
import { MAX_RECORDS_PER_PASS, MAX_STEPS } from '../train/bounds';
import { formatFailure, inFile, prepareOutDir, readInput } from './errors';
import { TrainingConfigError, validateConfig, type TrainingConfig } from '../train/config';
import type { LevelChange } from '../train/curriculum';
import { lossChart, writeReport } from './report';
import { Trainer, type EvalMetrics, type LevelEvaluation, type RunResult, type StepMetrics, type TrainerEvents } from '../train/trainer';
import { allFinite } from '../train/divergence';
import { finishDiverged } from './diverged';

/** The flags as commander hands them over: strings, checked by validateConfig, not here. */
export interface TrainFlags {
  config?: string;
  levels?: string;
  steps?: string;
  backend?: string;
  out: string;
  resume?: string;
  seed?: string;
  /** print a plain progress line every this many updates when there is no bar (default: ~20 lines per run) */
  logEvery?: string;
  /** held-out test records per level in the final table (default: the config's testSize) */
  levelEvalSize?: string;
  /** run the final held-out test on the last weights instead of the best validation evaluation's */
  testLast?: boolean;
}

export interface TrainIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** draw a live progress bar (else plain lines) */
  tty: boolean;
  /** aborts the run (the CLI wires SIGINT to it) */
  signal?: AbortSignal;
}

export interface LevelRow extends LevelEvaluation {
  level: Level;
}

export interface TrainOutcome {
  exitCode: number;
  steps?: number;
  reason?: RunResult['reason'];
  checkpoint?: string;
  metrics?: string;
  heldOut?: LevelRow[];
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const METRICS_FILE = 'metrics.jsonl';

/** "1-4", "1,2,3", "2": the levels, or the raw text when it is not a list of numbers (validateConfig then names it). */
export function parseLevels(text: string): unknown {
  const parts = text.split(',').map((p) => p.trim());
  const levels: number[] = [];
  for (const part of parts) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      const [lo, hi] = [Number(range[1]), Number(range[2])];
      if (hi < lo) return text;
      for (let l = lo; l <= hi; l++) levels.push(l);
    } else if (/^\d+$/.test(part)) levels.push(Number(part));
    else return text;
  }
  return levels;
}

/** A number where the text is one, else the text itself (so the error message quotes what was typed). */
function numberOrText(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

function positiveInteger(field: string, text: string | undefined, max = MAX_STEPS): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new TrainingConfigError(field, `expected an integer in [1, ${max}], got '${text}'`);
  return n;
}

/** The config file (if any) with the flags laid over it; not yet validated. */
async function configInput(flags: TrainFlags): Promise<Record<string, unknown>> {
  let input: Record<string, unknown> = {};
  if (flags.config !== undefined) {
    const text = (await readInput(flags.config, '--config')).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new TrainingConfigError('(file)', `${flags.config} is not valid JSON: ${(err as Error).message}`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new TrainingConfigError('(config)', `${flags.config} must hold a JSON object`);
    input = { ...(json as Record<string, unknown>) };
  }
  if (flags.levels !== undefined) input.levels = parseLevels(flags.levels);
  if (flags.steps !== undefined) input.steps = numberOrText(flags.steps);
  if (flags.backend !== undefined) input.backend = flags.backend;
  if (flags.seed !== undefined) input.seed = numberOrText(flags.seed);
  return input;
}

/** The rows of a per-level record ({"1": {...}, ...}), ascending. */
export function levelRows(perLevel: Record<string, LevelEvaluation>): LevelRow[] {
  return Object.entries(perLevel)
    .map(([level, e]) => ({ level: Number(level) as Level, ...e }))
    .sort((a, b) => a.level - b.level);
}

/** The per-level table: records, accuracy (GED 0), mean GED, equivalence rate and, when known, the held-out loss. */
export function formatTable(title: string, rows: readonly (Omit<LevelRow, 'loss'> & { loss?: number })[]): string {
  const withLoss = rows.some((r) => r.loss !== undefined);
  const lines = [title, `  level  records  accuracy  mean GED  equivalent${withLoss ? '      loss' : ''}`];
  for (const r of rows) {
    const loss = withLoss ? `  ${r.loss === undefined ? '-'.padStart(8) : r.loss.toPrecision(4).padStart(8)}` : '';
    lines.push(`  ${String(r.level).padStart(5)}  ${String(r.count).padStart(7)}  ${(r.accuracy * 100).toFixed(1).padStart(7)}%  ${r.meanGed.toFixed(3).padStart(8)}  ${(r.equivalence * 100).toFixed(1).padStart(9)}%${loss}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Cuts a run's metrics log back to `step`: drops records of later updates (logged after the
 * checkpoint a killed run left), a final record, and unreadable lines (a line torn by the
 * kill). Atomic.
 */
async function truncateMetrics(path: string, step: number): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const kept = text.split('\n').filter((line) => {
    try {
      const record = JSON.parse(line);
      return typeof record?.step === 'number' && record.step <= step && record.kind !== 'final';
    } catch {
      return false;
    }
  });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, kept.map((l) => l + '\n').join(''));
  await rename(temporary, path);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

/**
 * Runs the command. Bad flags or config (TrainingConfigError) and unreadable checkpoints
 * (any GraphemeError raised before training starts) return exit code 2 with nothing written.
 */
export async function train(flags: TrainFlags, io: TrainIO): Promise<TrainOutcome> {
  // the handlers need the trainer and the output files, which exist only after validation
  let handleStep: (m: StepMetrics) => void = () => {};
  let handleEval: (e: EvalMetrics) => void = () => {};
  let handleLevel: (c: LevelChange) => void = () => {};
  const events: TrainerEvents = { onStep: (m) => handleStep(m), onEval: (e) => handleEval(e), onLevel: (c) => handleLevel(c) };
  let trainer: Trainer;
  let until: number;
  let logEvery: number | undefined;
  let levelEvalSize: number | undefined;
  const started = performance.now();
  try {
    logEvery = positiveInteger('--log-every', flags.logEvery);
    levelEvalSize = positiveInteger('--level-eval-size', flags.levelEvalSize, MAX_RECORDS_PER_PASS);
    if (flags.resume !== undefined) {
      const fixed = (['config', 'levels', 'backend', 'seed'] as const).filter((k) => flags[k] !== undefined);
      if (fixed.length > 0) throw new TrainingConfigError(`--${fixed[0]}`, 'cannot be changed on --resume: the checkpoint carries the run\'s config (only --steps and --out apply)');
      const bytes = new Uint8Array(await readInput(flags.resume, '--resume'));
      // the checkpoint's config with the new step budget, checked before the trainer is built
      const steps = flags.steps === undefined ? undefined : numberOrText(flags.steps);
      if (steps !== undefined) validateConfig({ steps });
      trainer = await Trainer.resume(bytes, events).catch((err: unknown) => Promise.reject(inFile('--resume', flags.resume!, err)));
      until = (steps as number | undefined) ?? trainer.config.steps;
    } else {
      const config: TrainingConfig = validateConfig(await configInput(flags));
      trainer = await Trainer.create(config, events);
      until = config.steps;
    }
    await prepareOutDir(flags.out); // created and proven writable before the first update
  } catch (err) {
    if (err instanceof GraphemeError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(formatFailure('train', err));
      return { exitCode: 2 };
    }
    throw err;
  }

  const config = trainer.config;
  const out = resolve(flags.out);
  await mkdir(out, { recursive: true });
  const checkpointPath = join(out, CHECKPOINT_FILE);
  const metricsPath = join(out, METRICS_FILE);
  // a run killed mid-write leaves its temporary checkpoint file (the checkpoint itself is whole)
  for (const name of await readdir(out)) if (name.startsWith(`.${CHECKPOINT_FILE}.`) && name.endsWith('.tmp')) await rm(join(out, name), { force: true });
  const first = trainer.step;
  const total = Math.max(until, first);
  const every = logEvery ?? Math.max(1, Math.round((total - first) / 20));
  const curriculum = trainer.curriculum;

  for (const { level, reason } of curriculum.skipped) io.out(`notice: skipping level ${level}: ${reason}\n`);
  const plan =
    curriculum.mode === 'mixed'
      ? `mixed levels ${curriculum.levels.join(', ')} (weights ${JSON.stringify(curriculum.weights())})`
      : `progressive levels ${curriculum.levels.join(' → ')} (advance at ${config.curriculum.threshold * 100}% held-out accuracy or after ${curriculum.levels.map((l) => curriculum.budgetOf(l)).join('/')} updates${config.curriculum.restartSchedule ? ', schedule restarted per level' : ''}; replay ${config.curriculum.replay}), now at level ${curriculum.level}`;
  io.out(
    `training on the ${trainer.backend.name} backend: ${plan}, ` +
      `${first > 0 ? `resuming at update ${first}, ` : ''}${total} updates of ${config.batchSize * config.accumulationSteps} records, ` +
      `hidden ${config.model.hidden}, ${config.optimizer.name} lr ${config.learningRate}\n`,
  );

  // a fresh run starts a new log; a resumed one appends to its run's log, cut back to the checkpoint
  if (flags.resume !== undefined) await truncateMetrics(metricsPath, first);
  const metrics: WriteStream = createWriteStream(metricsPath, { flags: flags.resume === undefined ? 'w' : 'a' });
  let metricsError: Error | null = null;
  metrics.on('error', (err) => (metricsError = err));
  // checkpoint writes run in order, one at a time, while training goes on
  let writes: Promise<void> = Promise.resolve();
  const writeCheckpoint = (): void => {
    if (!allFinite(trainer.model.parameters())) return; // never overwrite the last good checkpoint with NaN or Inf
    const bytes = trainer.checkpoint();
    writes = writes.then(() => saveCheckpoint(checkpointPath, bytes));
  };

  const bar = io.tty
    ? new SingleBar({ format: 'step {value}/{total} [{bar}] loss {loss} | lr {lr} | {rate} samples/s | eta {eta_formatted}', etaBuffer: 50, fps: 5, hideCursor: true })
    : null;
  let last: StepMetrics | null = null;
  const runStarted = performance.now();
  const eta = (m: StepMetrics): number => ((performance.now() - runStarted) / 1000 / (m.step - first)) * (total - m.step);
  const payload = (m: StepMetrics | null) => ({ loss: m ? m.loss.toFixed(4) : '-', lr: m ? m.lr.toExponential(2) : '-', rate: m ? Math.round(m.samplesPerSec) : '-' });
  bar?.start(total, first, payload(null));

  handleStep = (m) => {
    last = m;
    metrics.write(JSON.stringify({ kind: 'step', step: m.step, loss: m.loss, lr: m.lr, gradNorm: m.gradNorm, samplesPerSec: m.samplesPerSec, level: m.level, levels: m.levels, applied: m.applied }) + '\n');
    if (bar) bar.update(m.step, payload(m));
    else if (m.step % every === 0 || m.step === total) {
      io.out(`step ${m.step}/${total}  level ${m.level}  loss ${m.loss.toFixed(4)}  lr ${m.lr.toExponential(2)}  ${Math.round(m.samplesPerSec)} samples/s  eta ${formatSeconds(eta(m))}\n`);
    }
  };
  // the weights of the best validation evaluation (mean accuracy over the levels), kept in
  // memory: the final test runs on them, since a later level can pull the earlier ones down
  // (measured: level 6's first updates took levels 1-4 from 100/46/44/20% to 1/2/2/1%)
  // (the untrained step-0 baseline is not a candidate; ties go to the later weights)
  let best: { step: number; accuracy: number; bytes: Uint8Array } | null = null;
  let lastEvalStep = -1;
  handleEval = (e) => {
    lastEvalStep = e.step;
    if (e.step > 0 && !flags.testLast && (best === null || e.accuracy >= best.accuracy)) best = { step: e.step, accuracy: e.accuracy, bytes: trainer.checkpoint() };
    bar?.stop();
    metrics.write(JSON.stringify({ kind: 'eval', step: e.step, accuracy: e.accuracy, meanGed: e.meanGed, level: e.level, perLevel: e.perLevel, seconds: e.seconds }) + '\n');
    io.out(formatTable(`evaluation at step ${e.step} (level ${e.level}): validation accuracy ${(e.accuracy * 100).toFixed(1)}% (mean over levels), mean GED ${e.meanGed.toFixed(3)} (best ${(e.bestAccuracy * 100).toFixed(1)}% at step ${e.bestStep})`, levelRows(e.perLevel)));
    if (bar) bar.start(total, e.step, payload(last));
  };
  handleLevel = (c) => {
    metrics.write(JSON.stringify({ kind: 'level', ...c }) + '\n');
    bar?.stop();
    io.out(`level ${c.from} → ${c.to} at step ${c.step} (${c.reason === 'threshold' ? `held-out accuracy reached ${config.curriculum.threshold * 100}%` : `budget of ${curriculum.budgetOf(c.from)} updates spent`})\n`);
    if (bar) bar.start(total, c.step, payload(last));
  };

  // a fresh run first measures the untrained model: every level's held-out loss and accuracy at step 0
  if (first === 0 && config.evalEvery > 0) trainer.evaluate();
  if (first === 0) writeCheckpoint(); // a run that diverges before its first evaluation still leaves good weights
  const result = await trainer.run({ signal: io.signal, until: total, onEvaluated: writeCheckpoint });
  bar?.stop();
  if (result.reason === 'diverged') return finishDiverged({ result, out, checkpointPath, writes, metrics, best, err: io.err });
  // the last weights are a candidate too: evaluate them unless that just happened
  if (result.reason !== 'aborted' && config.evalEvery > 0 && lastEvalStep !== trainer.step) trainer.evaluate();
  writeCheckpoint();
  await writes;
  const bestEval = best as { step: number; bytes: Uint8Array } | null; // assigned in handleEval
  const tested = bestEval !== null && bestEval.step !== trainer.step && result.reason !== 'aborted' ? await Trainer.resume(bestEval.bytes) : trainer;
  // OUT/best.safetensors: the weights the final test ran on (written atomically, like the checkpoint)
  const bestPath = join(flags.out, 'best.safetensors');
  if (bestEval !== null && result.reason !== 'aborted') await saveCheckpoint(bestPath, bestEval.bytes);
  if (tested !== trainer) io.out(`held-out test on the weights of update ${tested.step}, the best validation evaluation, saved as ${bestPath} (--test-last tests the last weights)\n`);
  const test = tested.test(levelEvalSize ?? config.testSize);
  const heldOut = levelRows(test.perLevel);
  if (result.reason !== 'aborted') metrics.write(JSON.stringify({ kind: 'final', step: test.step, perLevel: test.perLevel }) + '\n');
  await new Promise<void>((done) => metrics.end(done));
  if (metricsError) throw metricsError;

  const seconds = (performance.now() - started) / 1000;
  const why = result.reason === 'aborted' ? 'stopped (interrupted)' : result.reason === 'early-stop' ? 'stopped early (no better validation accuracy)' : 'done';
  io.out(`${why} at update ${result.steps} after ${formatSeconds(seconds)}\n`);
  io.out(`checkpoint: ${checkpointPath}\nmetrics:    ${metricsPath}\n`);
  const report = await writeReport(out); // OUT/report.html and the terminal loss chart (./report.ts)
  io.out(`report:     ${report.path}\n${lossChart(report.metrics.steps)}`);
  if (trainer.levelHistory.length > 0) io.out(`levels: ${trainer.levelHistory.map((c) => `${c.from} → ${c.to} at step ${c.step} (${c.reason})`).join(', ')}\n`);
  io.out(formatTable('held-out test records per level:', heldOut));
  if (result.reason === 'aborted') io.out(`continue with: grapheme-train train --resume ${checkpointPath} --out ${flags.out}\n`);
  return { exitCode: 0, steps: result.steps, reason: result.reason, checkpoint: checkpointPath, metrics: metricsPath, heldOut };
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train the DagNN on curriculum levels; writes OUT/checkpoint.safetensors and OUT/metrics.jsonl')
    .option('-c, --config <file>', 'JSON TrainingConfig (the flags below override its fields)')
    .option('-l, --levels <levels>', 'curriculum levels: a range "1-7" or a list "1,2,3" (levels the model cannot train yet are skipped with a notice)')
    .option('-n, --steps <n>', 'optimizer updates (with --resume: the total to reach)')
    .option('-b, --backend <name>', 'wasm, js or auto')
    .option('-s, --seed <seed>', 'seed of the weights and the data (number or string)')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('-r, --resume <checkpoint>', 'continue a run from its checkpoint.safetensors')
    .option('--log-every <n>', 'without a terminal: print a progress line every N updates')
    .option('--level-eval-size <n>', 'held-out records per level in the per-level tables')
    .option('--test-last', 'run the final held-out test on the last weights (default: the best validation evaluation\'s)')
    .action(async (flags: TrainFlags) => {
      const abort = new AbortController();
      const onSigint = (): void => {
        if (abort.signal.aborted) process.exit(130); // a second Ctrl-C: leave now
        process.stderr.write('\ninterrupted: finishing the current update and writing the checkpoint (Ctrl-C again to quit at once)\n');
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const outcome = await train(flags, {
          out: (text) => process.stdout.write(text),
          err: (text) => process.stderr.write(text),
          tty: process.stdout.isTTY === true,
          signal: abort.signal,
        });
        process.exitCode = outcome.exitCode !== 0 ? outcome.exitCode : outcome.reason === 'aborted' ? 130 : 0;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
