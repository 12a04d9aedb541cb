/**
 * Stopping a run that diverged, in the spirit of Keras' TerminateOnNaN: the Trainer hands
 * every update's metrics to a DivergenceMonitor, and run() stops with reason 'diverged' and
 * a message when
 *   - the update's loss exceeds `maxLoss` (a finite loss: a non-finite one is a skipped update),
 *   - the global gradient norm before clipping exceeds `maxGradNorm`, or
 *   - `maxSkipped` updates in a row were skipped (the optimizer refuses non-finite gradients,
 *     so weights that turned NaN would otherwise be "trained" forever without a change).
 * The defaults sit far above healthy runs: at the default learning rate the first updates of
 * an untrained model reach losses in the hundreds and gradient norms near 1e5, while a run
 * at learning rate 1e3 passes a loss of 1e8 by its second update. `divergence: null` turns
 * the check off; any threshold may be null.
 *
 * The state at the stop is the diverged one: the CLI keeps the last checkpoint it wrote (a
 * fresh run writes one before its first update) instead of writing these weights.
 */
import { TrainingConfigError } from './config-error';
import { MAX_STEPS } from './bounds';

export interface DivergenceConfig {
  /** stop when an update's (finite) loss exceeds this; null: never (default 1e6) */
  maxLoss: number | null;
  /** stop when the gradient norm before clipping exceeds this; null: never (default 1e7) */
  maxGradNorm: number | null;
  /** stop after this many consecutive skipped updates (non-finite loss or gradients); 0: never (default 10) */
  maxSkipped: number;
}

export const DEFAULT_DIVERGENCE: Readonly<DivergenceConfig> = Object.freeze({ maxLoss: 1e6, maxGradNorm: 1e7, maxSkipped: 10 });

/** The part of StepMetrics the monitor reads. */
export interface UpdateSignal {
  step: number;
  loss: number;
  gradNorm: number;
  applied: boolean;
}

/** Validates `divergence` (absent: the defaults; null: off); TrainingConfigError names the field. */
export function checkDivergence(value: unknown): DivergenceConfig | null {
  if (value === null) return null;
  if (value === undefined) return { ...DEFAULT_DIVERGENCE };
  if (typeof value !== 'object' || Array.isArray(value)) throw new TrainingConfigError('divergence', 'expected an object { maxLoss, maxGradNorm, maxSkipped } or null');
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(key in DEFAULT_DIVERGENCE)) throw new TrainingConfigError(`divergence.${key}`, `unknown key (known: ${Object.keys(DEFAULT_DIVERGENCE).join(', ')})`);
  }
  const threshold = (key: 'maxLoss' | 'maxGradNorm'): number | null => {
    const v = input[key] === undefined ? DEFAULT_DIVERGENCE[key] : input[key];
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TrainingConfigError(`divergence.${key}`, `expected a finite number > 0 or null, got ${JSON.stringify(v)}`);
    return v;
  };
  const skipped = input.maxSkipped === undefined ? DEFAULT_DIVERGENCE.maxSkipped : input.maxSkipped;
  if (typeof skipped !== 'number' || !Number.isInteger(skipped) || skipped < 0 || skipped > MAX_STEPS) {
    throw new TrainingConfigError('divergence.maxSkipped', `expected an integer in [0, ${MAX_STEPS}], got ${JSON.stringify(skipped)}`);
  }
  return { maxLoss: threshold('maxLoss'), maxGradNorm: threshold('maxGradNorm'), maxSkipped: skipped };
}

/** Watches the updates of one run() call; observe() returns why the run diverged, or null. */
export class DivergenceMonitor {
  private skipped = 0;

  constructor(private readonly config: DivergenceConfig | null) {}

  observe(m: UpdateSignal): string | null {
    const c = this.config;
    if (c === null) return null;
    const finiteLoss = Number.isFinite(m.loss);
    this.skipped = m.applied && finiteLoss ? 0 : this.skipped + 1;
    if (c.maxLoss !== null && finiteLoss && m.loss > c.maxLoss) return `loss ${m.loss.toExponential(2)} at update ${m.step} exceeds divergence.maxLoss ${c.maxLoss}`;
    if (c.maxGradNorm !== null && Number.isFinite(m.gradNorm) && m.gradNorm > c.maxGradNorm) {
      return `gradient norm ${m.gradNorm.toExponential(2)} at update ${m.step} exceeds divergence.maxGradNorm ${c.maxGradNorm}`;
    }
    if (c.maxSkipped > 0 && this.skipped >= c.maxSkipped) return `${this.skipped} updates in a row skipped (non-finite loss or gradients) up to update ${m.step} (divergence.maxSkipped ${c.maxSkipped})`;
    return null;
  }
}

/** Whether every value of `params` is finite (NaN and ±Inf are not); reads through readData, so it exposes nothing (Parameter, WEIGHT WRITES). */
export function allFinite(params: Iterable<{ readData(): Float32Array }>): boolean {
  for (const p of params) {
    const data = p.readData();
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v - v !== 0) return false;
    }
  }
  return true;
}
