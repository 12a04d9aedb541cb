/**
 * `grapheme-train train`: one Trainer run from the command line.
 *
 * Flags override the config file's fields, then validateConfig checks everything BEFORE any
 * work: a bad value exits with code 2 and the field's name, and nothing is written. The run's
 * folder (OUT, default a fresh runs/YYYY-MM-DD-HHMMSS) gets metrics.jsonl, checkpoint.safetensors
 * (atomically, after every evaluation and at the end), best.safetensors and report.html
 * (src/train/run-files-node.ts has the layout). Ctrl-C aborts the run between updates; the
 * checkpoint of the last finished update is still written, and `--resume` continues from it
 * bit-identically (the data stream is keyed by the update). With --data the records come from
 * `generate --split` files instead of the generator.
 *
 * The per-level tables are the Trainer's: each trained level on its own held-out records
 * (`val` split at evaluations, `test` split at the end).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import type { Level } from '../data/levels';
import { GraphemeError } from '../errors';
import { loadLevelFiles } from '../data/jsonl-node';
import type { PhaseChange } from '../data/source';
import { decodeCheckpoint } from '../train/checkpoint';
import { readCheckpointBytes } from '../train/checkpoint-node';
import { MAX_RECORDS_PER_PASS, MAX_STEPS } from '../train/bounds';
import { EXIT_FAILED, formatFailure, inFile, prepareOutDir, readInput } from './errors';
import { DEFAULT_CONFIG, TrainingConfigError, validateConfig, type TrainingConfig } from '../train/config';
import { Curriculum, type LevelChange } from '../train/curriculum';
import type { SnapEvent } from '../train/exactness';
import { lossChart, writeReport, type WrittenReport } from '../train/report-node';
import { RunFiles } from '../train/run-files-node';
import { Trainer, TrainerError, type EvalMetrics, type LevelEvaluation, type RunResult, type StepMetrics, type TrainerEvents } from '../train/trainer';
import { WorkerError } from '../train/parallel/pool';
import { finishDiverged } from './diverged';

/** The flags as commander hands them over: strings, checked by validateConfig, not here. */
export interface TrainFlags {
  config?: string;
  levels?: string;
  steps?: string;
  backend?: string;
  /** output folder (default: a fresh runs/YYYY-MM-DD-HHMMSS) */
  out?: string;
  /** a folder of `generate --split` files to train on instead of generated records */
  data?: string;
  resume?: string;
  /** the per-level table at every evaluation (default: one line) */
  tables?: boolean;
  seed?: string;
  /** print a plain progress line every this many updates when there is no bar (default: ~20 lines per run) */
  logEvery?: string;
  /** held-out test records per level in the final table (default: the config's testSize) */
  levelEvalSize?: string;
  /** run the final held-out test on the last weights instead of the best validation evaluation's */
  testLast?: boolean;
  /** threads that compute each update: a number or 'auto' (overrides config.workers; also on --resume) */
  workers?: string;
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

export { CHECKPOINT_FILE, METRICS_FILE } from '../train/run-files-node';

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

/** --workers: 'auto' or a number (validateConfig checks it). */
function workersFlag(text: string): number | string {
  return text === 'auto' ? 'auto' : numberOrText(text);
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
  if (flags.workers !== undefined) input.workers = workersFlag(flags.workers);
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

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

/** A fresh output folder under runs/: runs/YYYY-MM-DD-HHMMSS (with -2, -3, … if taken). */
async function freshOut(): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:T]/g, '-').replace(/\..*$/, '');
  for (let i = 1; ; i++) {
    const dir = join('runs', i === 1 ? stamp : `${stamp}-${i}`);
    try {
      await mkdir(dir, { recursive: false });
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') await mkdir('runs', { recursive: true });
      else if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** "1 100.0  2 45.5  …": each group's accuracy in one line. */
function accuracyLine(perLevel: Record<string, { accuracy?: number; loss: number }>): string {
  return Object.entries(perLevel)
    .map(([k, r]) => `L${k} ${r.accuracy === undefined ? `loss ${r.loss.toPrecision(3)}` : `${(r.accuracy * 100).toFixed(1)}%`}`)
    .join('  ');
}

function formatScore(score: number, selectBy: TrainingConfig['selectBy']): string {
  if (!Number.isFinite(score)) return '-';
  return selectBy === 'loss' ? `loss ${(-score).toPrecision(4)}` : `${(score * 100).toFixed(1)}%`;
}

/** Exponential moving average with bias correction (the first values are not pulled to 0). */
class Smoothed {
  private value = 0;
  private weight = 0;
  constructor(private readonly beta = 0.95) {}
  add(x: number): number {
    this.value = this.beta * this.value + (1 - this.beta) * x;
    this.weight = this.beta * this.weight + (1 - this.beta);
    return this.get();
  }
  get(): number {
    return this.weight === 0 ? NaN : this.value / this.weight;
  }
}

/**
 * Runs the command. Bad flags or config (TrainingConfigError), unreadable checkpoints or data
 * (any GraphemeError raised before training starts) return exit code 2 with nothing written.
 */
export async function train(flags: TrainFlags, io: TrainIO): Promise<TrainOutcome> {
  // the handlers need the trainer and the output files, which exist only after validation
  let handleStep: (m: StepMetrics) => void = () => {};
  let handleEval: (e: EvalMetrics) => void = () => {};
  let handleLevel: (c: PhaseChange) => void = () => {};
  let handleSnap: (e: SnapEvent) => void = () => {};
  const events: TrainerEvents = { onStep: (m) => handleStep(m), onEval: (e) => handleEval(e), onLevel: (c) => handleLevel(c), onSnap: (e) => handleSnap(e) };
  let trainer: Trainer;
  let until: number;
  let logEvery: number | undefined;
  let levelEvalSize: number | undefined;
  const started = performance.now();
  try {
    logEvery = positiveInteger('--log-every', flags.logEvery);
    levelEvalSize = positiveInteger('--level-eval-size', flags.levelEvalSize, MAX_RECORDS_PER_PASS);
    if (flags.resume !== undefined) {
      const fixed = (['config', 'levels', 'backend', 'seed', 'data'] as const).filter((k) => flags[k] !== undefined);
      if (fixed.length > 0) throw new TrainingConfigError(`--${fixed[0]}`, 'cannot be changed on --resume: the checkpoint carries the run\'s config (only --steps and --out apply)');
      const bytes = new Uint8Array(await readInput(flags.resume, '--resume'));
      // the checkpoint's config with the new step budget, checked before the trainer is built
      const steps = flags.steps === undefined ? undefined : numberOrText(flags.steps);
      if (steps !== undefined) validateConfig({ steps });
      const workers = flags.workers === undefined ? undefined : workersFlag(flags.workers);
      const saved = checkpointConfig(bytes) as Record<string, unknown> | null;
      const dataDir = typeof saved?.data === 'string' ? saved.data : null;
      if (workers !== undefined && saved !== null) validateConfig({ ...saved, workers });
      const data = dataDir === null || saved === null ? undefined : new Curriculum(validateConfig({ ...saved, ...(steps === undefined ? {} : { steps }) }), await loadLevelFiles(dataDir));
      trainer = await Trainer.resume(bytes, { ...events, data, levelFiles: dataDir ?? undefined, steps: steps as number | undefined, workers: workers as number | 'auto' | undefined }).catch((err: unknown) =>
        Promise.reject(err instanceof TrainerError ? err : inFile('--resume', flags.resume!, err)),
      );
      until = (steps as number | undefined) ?? trainer.config.steps;
    } else {
      const input = await configInput(flags);
      if (flags.data !== undefined) input.data = resolve(flags.data);
      const pool = typeof input.data === 'string' ? await loadLevelFiles(input.data) : null;
      // with --data and no levels given, the levels are those the folder has
      if (pool !== null && input.levels === undefined) input.levels = pool.levels('train');
      const config: TrainingConfig = validateConfig(input);
      trainer = await Trainer.create(config, { ...events, data: pool === null ? undefined : new Curriculum(config, pool), levelFiles: pool === null ? undefined : (input.data as string) });
      until = config.steps;
    }
    if (flags.out !== undefined) await prepareOutDir(flags.out); // created and proven writable before the first update
  } catch (err) {
    if (err instanceof GraphemeError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(formatFailure('train', err));
      return { exitCode: 2 };
    }
    throw err;
  }

  const config = trainer.config;
  const outDir = flags.out ?? (await freshOut());
  // the folder is created and opened for writing before any training; a resumed run's log is cut back to its checkpoint
  const files = await RunFiles.open(outDir, { resumeAt: flags.resume === undefined ? undefined : trainer.step });
  const { checkpointPath, metricsPath } = files;
  const first = trainer.step;
  const total = Math.max(until, first);
  const every = logEvery ?? Math.max(1, Math.round((total - first) / 20));
  const curriculum = trainer.curriculum!;

  const budgets = curriculum.levels.map((l) => curriculum.budgetOf(l));
  const auto = config.curriculum.levelSteps === 'auto';
  const plan =
    curriculum.mode === 'mixed'
      ? `mixed levels ${curriculum.levels.join(', ')} (weights ${JSON.stringify(curriculum.weights())})`
      : `progressive levels ${curriculum.levels.join(' → ')} (advance at ${config.curriculum.threshold * 100}% validation accuracy or after ${auto ? `${budgets.join('/')} updates (the ${config.steps} steps shared)` : `${budgets.map((b) => (Number.isFinite(b) ? b : '∞')).join('/')} updates (curriculum.levelSteps)`}; replay ${config.curriculum.replay}), now at level ${curriculum.level}`;
  io.out(
    `training on the ${trainer.backend.name} backend${config.data !== null ? ` from ${config.data}` : ''}: ${plan}, ` +
      `${first > 0 ? `resuming at update ${first}, ` : ''}${total} updates of ${config.batchSize * config.accumulationSteps} records (${trainer.workers} worker${trainer.workers === 1 ? '' : 's'}), ` +
      `hidden ${config.model.hidden}, ${config.optimizer.name} lr ${config.learningRate} (${config.schedule === 'auto' ? 'linear decay to 1% per level' : config.schedule.kind}), clip ${config.maxGradNorm ?? 'none'}\n`,
  );
  if (!auto && curriculum.mode === 'progressive') {
    // the updates before each level starts, if no level advances early at the threshold
    let before = 0;
    const unreached = curriculum.levels.filter((l, i) => {
      const late = i > 0 && before >= total;
      before += budgets[i];
      return late;
    });
    if (unreached.length > 0) io.out(`warning: the per-level budgets (curriculum.levelSteps) use up the ${total} steps before level${unreached.length > 1 ? 's' : ''} ${unreached.join(', ')} start${unreached.length > 1 ? '' : 's'}, unless earlier levels reach the threshold sooner\n`);
    if (Number.isFinite(budgets[budgets.length - 1])) io.out(`note: the last level's budget ends the run (at most ${Math.min(total, before)} updates)\n`);
  }

  const bar = io.tty
    ? new SingleBar({ format: 'step {value}/{total} [{bar}] level {level} | loss {loss} | lr {lr} | {rate} samples/s | eta {eta}', fps: 5, hideCursor: true })
    : null;
  let last: StepMetrics | null = null;
  // samples/s: smoothed over updates; ETA: from the smoothed wall time per update, evaluations included
  const rate = new Smoothed();
  const wallPerUpdate = new Smoothed(0.98);
  let lastWall = performance.now();
  const eta = (step: number): number => (wallPerUpdate.get() * (total - step)) / 1000;
  const payload = (m: StepMetrics | null) => ({ level: m?.level ?? curriculum.level, loss: m ? m.loss.toFixed(4) : '-', lr: m ? m.lr.toExponential(2) : '-', rate: m ? Math.round(rate.get()) : '-', eta: m ? formatSeconds(eta(m.step)) : '?' });
  bar?.start(total, first, payload(null));

  handleStep = (m) => {
    last = m;
    rate.add(m.samplesPerSec);
    const now = performance.now();
    wallPerUpdate.add(now - lastWall);
    lastWall = now;
    files.logStep(m);
    if (bar) bar.update(m.step, payload(m));
    else if (m.step % every === 0 || m.step === total) {
      io.out(`step ${m.step}/${total}  level ${m.level}  loss ${m.loss.toFixed(4)}  lr ${m.lr.toExponential(2)}  ${Math.round(rate.get())} samples/s  eta ${formatSeconds(eta(m.step))}\n`);
    }
  };
  let lastEvalStep = -1;
  // each level's validation accuracy: the best during the run (and its update) and the last
  const bestVal = new Map<string, { accuracy: number; step: number }>();
  const lastVal = new Map<string, number>();
  handleEval = (e) => {
    lastEvalStep = e.step;
    for (const [level, r] of Object.entries(e.perLevel)) {
      if (!(bestVal.get(level)?.accuracy! >= r.accuracy)) bestVal.set(level, { accuracy: r.accuracy, step: e.step });
      lastVal.set(level, r.accuracy);
    }
    bar?.stop();
    files.logEval(e);
    const summary = `eval @ ${e.step}: ${accuracyLine(e.perLevel)}  | ${config.selectBy} ${formatScore(e.score, config.selectBy)} (best ${formatScore(e.bestScore, config.selectBy)} @ ${e.bestStep}) ${e.seconds.toFixed(1)}s`;
    io.out(flags.tables ? formatTable(summary, levelRows(e.perLevel)) : summary + '\n');
    if (bar) bar.start(total, e.step, payload(last));
  };
  handleLevel = (c) => {
    files.logPhase(c);
    bar?.stop();
    const stage = (c as LevelChange).stage;
    if (c.from === c.to) io.out(`level ${c.to}: stage ${(stage ?? 0) + 1} of ${curriculum.stagesOf(c.to as Level).length}${describeStage(c.to as Level, stage ?? 0)} at step ${c.step}\n`);
    else io.out(`level ${c.from} → ${c.to}${stage === undefined ? '' : ` (stage 1 of ${curriculum.stagesOf(c.to as Level).length}${describeStage(c.to as Level, 0)})`} at step ${c.step} (${c.reason === 'threshold' ? `validation accuracy reached ${config.curriculum.threshold * 100}%` : `budget of ${curriculum.budgetOf(c.from as Level)} updates spent`})\n`);
    if (bar) bar.start(total, c.step, payload(last));
  };
  const describeStage = (level: Level, stage: number): string => {
    const depth = curriculum.stagesOf(level)[stage];
    return depth === null || depth === undefined ? '' : `: depth ≤ ${depth}`;
  };
  handleSnap = (e) => {
    files.logSnap(e);
    if (!e.kept || flags.tables) io.out(`snap @ ${e.step}: ${e.group} ${e.kept ? 'kept' : ''} ${e.detail}\n`);
  };

  try {
    return await trainAndTest();
  } catch (err) {
    if (!(err instanceof WorkerError)) throw err;
    // a worker failed or died: the trainer is at its last finished update, which is saved
    bar?.stop();
    files.checkpoint(trainer);
    await files.close();
    io.err(`grapheme-train train: ${err.message}\nstopped at update ${trainer.step}; ${checkpointPath} holds it: continue with grapheme-train train --resume ${checkpointPath} --out ${outDir}\n`);
    return { exitCode: EXIT_FAILED, steps: trainer.step, checkpoint: checkpointPath, metrics: metricsPath };
  } finally {
    trainer.close();
  }

  async function trainAndTest(): Promise<TrainOutcome> {
  // a fresh run first measures the untrained model: every level's held-out loss and accuracy at step 0
  if (first === 0 && config.evalEvery > 0) await trainer.evaluateAsync();
  if (first === 0) files.checkpoint(trainer); // a run that diverges before its first evaluation still leaves good weights
  const result = await trainer.run({ signal: io.signal, until: total, onEvaluated: () => files.checkpoint(trainer) });
  bar?.stop();
  if (result.reason === 'diverged') return finishDiverged(result, trainer, files, io.err);
  // the last weights are a candidate too: evaluate them unless that just happened
  if (result.reason !== 'aborted' && config.evalEvery > 0 && lastEvalStep !== trainer.step) await trainer.evaluateAsync();
  // the final held-out test runs on the best validation evaluation's weights (unless --test-last), saved as best.safetensors
  const useBest = !flags.testLast && trainer.bestEvaluation.step !== trainer.step && Number.isFinite(trainer.bestEvaluation.score);
  if (useBest && result.reason !== 'aborted') io.out(`held-out test on the weights of update ${trainer.bestEvaluation.step}, the best validation evaluation (${config.selectBy}), saved as ${files.bestPath} (--test-last tests the last weights)\n`);
  const test = await trainer.testAsync(levelEvalSize ?? config.testSize, useBest ? 'best' : 'last');
  const heldOut = levelRows(test.perLevel);
  let report: WrittenReport;
  if (result.reason === 'aborted') {
    files.checkpoint(trainer);
    await files.close();
    report = await writeReport(files.dir);
  } else report = (await files.finish(trainer, test)).report;

  const seconds = (performance.now() - started) / 1000;
  const why = result.reason === 'aborted' ? 'stopped (interrupted)' : result.reason === 'early-stop' ? 'stopped early (no better validation score)' : 'done';
  io.out(`${why} at update ${result.steps} after ${formatSeconds(seconds)}\n`);
  io.out(`checkpoint: ${checkpointPath}\nmetrics:    ${metricsPath}\n`);
  io.out(`report:     ${report.path}\n${lossChart(report.metrics.steps)}`);
  if (trainer.levelHistory.length > 0) io.out(`levels: ${trainer.levelHistory.map((c) => `${c.from} → ${c.to} at step ${c.step} (${c.reason})`).join(', ')}\n`);
  if (trainer.exactness !== null) io.out(formatAssignment(trainer));
  const heads = formatHeads(trainer);
  if (heads !== '') io.out(heads);
  io.out(formatTable(`held-out test records per level (weights of update ${test.step}):`, heldOut));
  if (bestVal.size > 0) io.out(formatForgetting(bestVal, lastVal));
  if (result.reason === 'aborted') io.out(`continue with: grapheme-train train --resume ${checkpointPath} --out ${outDir}\n`);
  return { exitCode: 0, steps: result.steps, reason: result.reason, checkpoint: checkpointPath, metrics: metricsPath, heldOut };
  }
}

/** Per level: the best validation accuracy during the run (and when), the last, and the drop between them (forgetting shows here). */
function formatForgetting(best: Map<string, { accuracy: number; step: number }>, last: Map<string, number>): string {
  const lines = ['validation accuracy per level during the run:', '  level      best   at update      end     drop'];
  for (const [level, b] of [...best].sort((x, y) => Number(x[0]) - Number(y[0]))) {
    const end = last.get(level) ?? NaN;
    lines.push(`  ${level.padStart(5)}  ${(b.accuracy * 100).toFixed(1).padStart(7)}%  ${String(b.step).padStart(10)}  ${(end * 100).toFixed(1).padStart(6)}%  ${((b.accuracy - end) * 100).toFixed(1).padStart(6)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The learned kind → unit assignment of the weights the test runs on: each kind's non-zero
 * value weights (frozen ones exact, marked with =), e.g. `* = product`, `- = v1 − v2`.
 */
function formatAssignment(trainer: Trainer): string {
  const mask = trainer.exactness!.mask;
  const byName = new Map(trainer.parameters().map((p) => [p.name, p]));
  const rows = trainer.withBestWeights(() => trainer.model.net.unitAssignment()).map(({ kind, terms }) => {
    const frozen = ['add', 'units'].every((suffix) => {
      const p = byName.get(`${kind}.${suffix}`);
      return p === undefined || mask.allFrozen(p);
    });
    const text = terms.length === 0 ? '0' : terms.map((t, i) => `${t.weight < 0 ? (i === 0 ? '−' : ' − ') : i === 0 ? '' : ' + '}${Math.abs(t.weight) === 1 ? '' : `${Math.abs(t.weight).toPrecision(3)}·`}${t.name}`).join('');
    return `  ${kind.padEnd(10)} ${frozen ? '=' : '≈'} ${text}`;
  });
  return `learned kind → unit assignment (= snapped and frozen, ≈ still free):\n${rows.join('\n')}\n`;
}

/**
 * The task heads' learned weights (best weights): the quadrature weights w_i at the probe points
 * t_i, and the root head's start μ and step sizes α_n (src/model/heads.ts). All start at 0.
 */
function formatHeads(trainer: Trainer): string {
  const net = trainer.model.net;
  return trainer.withBestWeights(() => {
    const lines: string[] = [];
    if (net.integration !== null) {
      const w = Array.from(net.integration.weights.data);
      lines.push(`learned quadrature (integrate): I = (b − a)·Σ w_i·f(a + (b − a)·t_i), K = ${w.length}, Σ w_i = ${w.reduce((a, b) => a + b, 0).toFixed(6)}`);
      lines.push(`  t_i ${Array.from(net.integration.points, (t) => t.toFixed(4).padStart(8)).join('')}`);
      lines.push(`  w_i ${w.map((x) => x.toFixed(4).padStart(8)).join('')}`);
    }
    if (net.root !== null) {
      lines.push(`learned iteration (solve): x_0 = ${net.root.start.data[0].toFixed(3)}, x_{n+1} = x_n − α_n·step(x_n), N = ${net.root.N}`);
      lines.push(`  α_n ${Array.from(net.root.steps.data, (a) => a.toFixed(3).padStart(7)).join('')}`);
    }
    return lines.length === 0 ? '' : lines.join('\n') + '\n';
  });
}

/** The config JSON in a checkpoint's metadata (unchecked; Trainer.resume checks it). */
function checkpointConfig(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decodeCheckpoint(bytes).metadata.config ?? 'null');
  } catch {
    return null;
  }
}


export function register(program: Command): void {
  program
    .command('train')
    .description('train the DagNN on curriculum levels; writes OUT/checkpoint.safetensors, best.safetensors, metrics.jsonl and report.html')
    .option('-c, --config <file>', 'JSON TrainingConfig (the flags below override its fields; every field and default: src/train/config.ts)')
    .option('-l, --levels <levels>', `curriculum levels: a range "1-7" or a list "1,2,3" (default: ${DEFAULT_CONFIG.levels[0]}-${DEFAULT_CONFIG.levels[DEFAULT_CONFIG.levels.length - 1]}, or the levels of --data)`)
    .option('-n, --steps <n>', `optimizer updates, the run's length; the levels share them unless the config gives curriculum.levelSteps (with --resume: the total to reach) (default: ${DEFAULT_CONFIG.steps})`)
    .option('-b, --backend <name>', `wasm, js or auto (default: ${DEFAULT_CONFIG.backend})`)
    .option('-s, --seed <seed>', `seed of the weights and the data, a number or a string (default: ${DEFAULT_CONFIG.seed})`)
    .option('-d, --data <dir>', 'train on the files `generate --split` wrote to DIR (level_L/{train,val,test}.jsonl) instead of generated records')
    .option('-o, --out <dir>', 'output folder (default: a fresh runs/YYYY-MM-DD-HHMMSS)')
    .option('-r, --resume <checkpoint>', 'continue a run from its checkpoint.safetensors')
    .option('--tables', 'print the per-level table at every evaluation (default: one line; the table at the end)')
    .option('--log-every <n>', 'without a terminal: print a progress line every N updates (default: ~20 lines a run)')
    .option('--level-eval-size <n>', `held-out test records per level in the final table (default: the config's testSize, ${DEFAULT_CONFIG.testSize})`)
    .option('--test-last', 'run the final held-out test on the last weights (default: the best validation evaluation\'s)')
    .option('-w, --workers <n>', `threads that compute each update, each a block of its micro-batches: a number up to accumulationSteps, or auto (default: ${DEFAULT_CONFIG.workers}: the cores, at most accumulationSteps)`)
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
