/**
 * A run's folder, for any model the Trainer trains (Node only): OUT/metrics.jsonl (one JSON
 * line per update, evaluation, phase change and the final test, appended as they happen),
 * OUT/checkpoint.safetensors (atomic, written in order while training goes on),
 * OUT/best.safetensors (the best evaluation's weights) and OUT/report.html (./report-node.ts).
 *
 *   const files = await RunFiles.open('runs/mlp');
 *   const trainer = await Trainer.create(config, { model, data, ...files.events });
 *   await trainer.run({ onEvaluated: () => files.checkpoint(trainer) });
 *   await files.finish(trainer);          // final test line, checkpoints, report.html
 *
 * METRICS.JSONL, one JSON object per line (report.html reads these shapes):
 *   {"kind":"step","step","loss","lr","gradNorm","samplesPerSec","level","levels","applied"}
 *   {"kind":"eval","step","accuracy","meanGed","score","level","perLevel":{"1":{"count","accuracy",…,"loss"},…},"seconds"}
 *   {"kind":"level","step","from","to","reason"}            reason: "threshold" | "budget"
 *   {"kind":"final","step","perLevel":{…as in eval…}}       the held-out TEST split
 *   {"kind":"snap","step","group","kept","detail"}          a snap-and-freeze decision (exactness)
 *   {"kind":"diverged","step","reason"}                     the run stopped: it diverged
 * A resumed run (open(dir, { resumeAt: step })) first cuts the log back to the checkpoint's
 * step (a killed run may have logged updates after its last checkpoint, and a torn last line),
 * then appends: the log reads as one uninterrupted run.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PhaseChange } from '../data/source';
import type { Parameter } from '../autograd/index';
import { saveCheckpoint } from './checkpoint-node';
import { allFinite } from './divergence';
import { writeReport, type WrittenReport } from './report-node';
import type { SnapEvent } from './exactness';
import type { EvalMetrics, StepMetrics, TestMetrics, TrainerEvents } from './trainer';

/** What RunFiles needs of a Trainer (any model, any source). */
export interface CheckpointingTrainer {
  readonly step: number;
  parameters(): Parameter[];
  checkpoint(weights?: 'last' | 'best'): Uint8Array;
  test(): TestMetrics;
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const BEST_FILE = 'best.safetensors';
export const METRICS_FILE = 'metrics.jsonl';

export interface RunFilesOptions {
  /** a resumed run: cut the log back to this step and append (default: a fresh log) */
  resumeAt?: number;
}

export class RunFiles {
  readonly dir: string;
  readonly checkpointPath: string;
  readonly bestPath: string;
  readonly metricsPath: string;
  private writes: Promise<void> = Promise.resolve();
  private error: Error | null = null;

  private constructor(dir: string, private readonly log: WriteStream) {
    this.dir = dir;
    this.checkpointPath = join(dir, CHECKPOINT_FILE);
    this.bestPath = join(dir, BEST_FILE);
    this.metricsPath = join(dir, METRICS_FILE);
    log.on('error', (err) => (this.error = err));
  }

  /** Creates the folder (and checks it is writable) before any training; clears temporary files a killed run left. */
  static async open(dir: string, options: RunFilesOptions = {}): Promise<RunFiles> {
    const out = resolve(dir);
    await mkdir(out, { recursive: true });
    for (const name of await readdir(out)) {
      if (name.endsWith('.tmp') && (name.startsWith(`.${CHECKPOINT_FILE}.`) || name.startsWith(`.${BEST_FILE}.`))) await rm(join(out, name), { force: true });
    }
    const metrics = join(out, METRICS_FILE);
    if (options.resumeAt !== undefined) await truncateMetrics(metrics, options.resumeAt);
    const log = createWriteStream(metrics, { flags: options.resumeAt === undefined ? 'w' : 'a' });
    await new Promise<void>((done, fail) => {
      log.once('open', () => done());
      log.once('error', fail);
    });
    return new RunFiles(out, log);
  }

  /** The events that log every update, evaluation and phase change (spread them into the Trainer's options). */
  get events(): Required<TrainerEvents> {
    return {
      onStep: (m) => this.logStep(m),
      onEval: (e) => this.logEval(e),
      onLevel: (c) => this.logPhase(c),
      onSnap: (e) => this.logSnap(e),
    };
  }

  logSnap(e: SnapEvent): void {
    this.write({ kind: 'snap', ...e });
  }

  logStep(m: StepMetrics): void {
    this.write({ kind: 'step', step: m.step, loss: m.loss, lr: m.lr, gradNorm: m.gradNorm, samplesPerSec: m.samplesPerSec, level: m.level, levels: m.levels, applied: m.applied });
  }

  logEval(e: EvalMetrics): void {
    this.write({ kind: 'eval', step: e.step, accuracy: e.accuracy, meanGed: e.meanGed, score: e.score, level: e.level, perLevel: e.perLevel, seconds: e.seconds });
  }

  logPhase(c: PhaseChange): void {
    this.write({ kind: 'level', ...c });
  }

  /** The run stopped because it diverged (./divergence.ts): `detail` says what exceeded its bound. */
  logDiverged(step: number, detail: string): void {
    this.write({ kind: 'diverged', step, reason: detail });
  }

  logFinal(test: TestMetrics): void {
    this.write({ kind: 'final', step: test.step, perLevel: test.perLevel });
  }

  /**
   * Queues an atomic write of the trainer's checkpoint (the state is taken now; the file follows
   * in order). Non-finite weights are never written: the last good checkpoint stays.
   */
  checkpoint(trainer: CheckpointingTrainer): void {
    if (!allFinite(trainer.parameters())) return;
    const bytes = trainer.checkpoint();
    this.writes = this.writes.then(() => saveCheckpoint(this.checkpointPath, bytes));
  }

  /** Queues an atomic write of best.safetensors: the trainer's checkpoint with the best evaluation's weights (`weights`: 'last' for the last ones). */
  best(trainer: CheckpointingTrainer, weights: 'best' | 'last' = 'best'): void {
    const bytes = trainer.checkpoint(weights);
    this.writes = this.writes.then(() => saveCheckpoint(this.bestPath, bytes));
  }

  /**
   * The end of a run: the final checkpoint and best.safetensors, the held-out test (unless
   * given, trainer.test() on the best weights) logged as the final line, the log closed and
   * report.html written. Returns the test and the report.
   */
  async finish(trainer: CheckpointingTrainer, test: TestMetrics = trainer.test()): Promise<{ test: TestMetrics; report: WrittenReport }> {
    this.checkpoint(trainer);
    this.best(trainer, test.step === trainer.step ? 'last' : 'best');
    this.logFinal(test);
    await this.close();
    return { test, report: await writeReport(this.dir) };
  }

  /** Waits for the queued checkpoint writes and closes the log (throws the first write error). */
  async close(): Promise<void> {
    await this.writes;
    await new Promise<void>((done) => this.log.end(done));
    if (this.error) throw this.error;
  }

  private write(record: object): void {
    this.log.write(JSON.stringify(record) + '\n');
  }
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
