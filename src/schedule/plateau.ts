import type { LrControl } from '../optim/optimizer';
import { OptimizerConfigError, StateDictError } from '../optim/errors';
import { checkChoice, checkKnownKeys, checkNumber } from '../optim/validate';

export interface PlateauOptions {
  /** 'min' (default): lower metric is better; 'max': higher is better */
  mode?: 'min' | 'max';
  /** multiplier applied on a plateau; default 0.1, must be < 1 */
  factor?: number;
  /** steps without improvement tolerated before reducing; default 10 */
  patience?: number;
  /** how much better counts as better; default 1e-4 */
  threshold?: number;
  /** 'rel' (default): better than best·(1 ∓ threshold); 'abs': better than best ∓ threshold */
  thresholdMode?: 'rel' | 'abs';
  /** steps after a reduction during which bad steps are not counted; default 0 */
  cooldown?: number;
  /** lower bound of the lr, one for all groups or one per group; default 0 */
  minLr?: number | readonly number[];
  /** reductions smaller than eps are skipped; default 1e-8 */
  eps?: number;
}

type ResolvedPlateauOptions = Required<Omit<PlateauOptions, 'minLr'>> & { minLr: number | readonly number[] };

/** Where a plateau scheduler stands: everything needed to resume it. */
export interface PlateauState {
  /** best metric so far; null before the first step (PyTorch: ±inf) */
  best: number | null;
  /** steps since the last improvement (outside cooldown) */
  badSteps: number;
  /** steps of cooldown left */
  cooldownLeft: number;
  /** metrics seen */
  step: number;
}

export const initialPlateauState: Readonly<PlateauState> = Object.freeze({ best: null, badSteps: 0, cooldownLeft: 0, step: 0 });

/**
 * One step of ReduceLROnPlateau as a pure function: the next state and learning rates after
 * seeing `metric`, with PyTorch's rules (torch.optim.lr_scheduler.ReduceLROnPlateau):
 *   better  = mode/thresholdMode: min·rel  metric < best·(1 − threshold)
 *                                 min·abs  metric < best − threshold
 *                                 max·rel  metric > best·(1 + threshold)
 *                                 max·abs  metric > best + threshold
 *   better → best = metric, badSteps = 0; else badSteps += 1
 *   in cooldown → cooldownLeft −= 1, badSteps = 0
 *   badSteps > patience → each group: new = max(lr·factor, minLr); applied if lr − new > eps;
 *                         cooldownLeft = cooldown, badSteps = 0
 */
export function plateauStep(
  options: PlateauOptions,
  state: Readonly<PlateauState>,
  metric: number,
  lrs: readonly number[],
): { state: PlateauState; lrs: number[]; reduced: boolean } {
  const o = resolvePlateauOptions(options, lrs.length);
  if (typeof metric !== 'number' || Number.isNaN(metric)) throw new OptimizerConfigError('metric', `expected a number, got ${String(metric)}`);
  const best = state.best ?? (o.mode === 'min' ? Infinity : -Infinity);
  const next: PlateauState = { ...state, step: state.step + 1 };
  if (isBetter(o, metric, best)) {
    next.best = metric;
    next.badSteps = 0;
  } else {
    next.best = state.best;
    next.badSteps = state.badSteps + 1;
  }
  if (next.cooldownLeft > 0) {
    next.cooldownLeft--;
    next.badSteps = 0;
  }
  let reduced = false;
  let out = [...lrs];
  if (next.badSteps > o.patience) {
    out = lrs.map((lr, i) => {
      const floor = typeof o.minLr === 'number' ? o.minLr : o.minLr[i];
      const lower = Math.max(lr * o.factor, floor);
      if (lr - lower > o.eps) {
        reduced = true;
        return lower;
      }
      return lr;
    });
    next.cooldownLeft = o.cooldown;
    next.badSteps = 0;
  }
  return { state: next, lrs: out, reduced };
}

function isBetter(o: ResolvedPlateauOptions, a: number, best: number): boolean {
  if (o.mode === 'min' && o.thresholdMode === 'rel') return a < best * (1 - o.threshold);
  if (o.mode === 'min') return a < best - o.threshold;
  if (o.thresholdMode === 'rel') return a > best * (o.threshold + 1);
  return a > best + o.threshold;
}

const KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'];

function resolvePlateauOptions(options: PlateauOptions, groups: number): ResolvedPlateauOptions {
  const f = 'reduceLrOnPlateau';
  checkKnownKeys(f, options ?? {}, KEYS);
  const minLr = options.minLr ?? 0;
  if (typeof minLr === 'number') checkNumber(`${f}.minLr`, minLr, { min: 0 });
  else {
    if (!Array.isArray(minLr) || minLr.length !== groups) throw new OptimizerConfigError(`${f}.minLr`, `expected one number or ${groups} (one per group)`);
    minLr.forEach((m, i) => checkNumber(`${f}.minLr[${i}]`, m, { min: 0 }));
  }
  return {
    mode: checkChoice(`${f}.mode`, options.mode ?? 'min', ['min', 'max'] as const),
    factor: checkNumber(`${f}.factor`, options.factor ?? 0.1, { min: 0, max: 1, maxExclusive: true }),
    patience: checkNumber(`${f}.patience`, options.patience ?? 10, { min: 0, integer: true }),
    threshold: checkNumber(`${f}.threshold`, options.threshold ?? 1e-4, { min: 0 }),
    thresholdMode: checkChoice(`${f}.thresholdMode`, options.thresholdMode ?? 'rel', ['rel', 'abs'] as const),
    cooldown: checkNumber(`${f}.cooldown`, options.cooldown ?? 0, { min: 0, integer: true }),
    minLr,
    eps: checkNumber(`${f}.eps`, options.eps ?? 1e-8, { min: 0 }),
  };
}

export interface PlateauSchedulerState extends PlateauState {
  options: PlateauOptions;
}

/**
 * Reduce-on-plateau bound to an optimizer: call step(metric) once per evaluation (e.g. with
 * the validation loss); it lowers every group's lr by `factor` when the metric has not
 * improved for more than `patience` steps. Unlike the other schedules it is driven by the
 * metric, not the step; plateauStep is the same rule as a pure function.
 */
export class ReduceLrOnPlateau {
  private options: PlateauOptions;
  private state: PlateauState = { ...initialPlateauState };

  constructor(readonly optimizer: LrControl, options: PlateauOptions = {}) {
    resolvePlateauOptions(options, optimizer.getLrs().length); // validate now, not at the first step
    this.options = { ...options };
  }

  /** Feeds one metric; returns true when some group's lr was reduced. */
  step(metric: number): boolean {
    const { state, lrs, reduced } = plateauStep(this.options, this.state, metric, this.optimizer.getLrs());
    this.state = state;
    if (reduced) lrs.forEach((lr, g) => this.optimizer.setLr(lr, g));
    return reduced;
  }

  get best(): number | null {
    return this.state.best;
  }

  get stepCount(): number {
    return this.state.step;
  }

  getLastLr(): number[] {
    return this.optimizer.getLrs();
  }

  stateDict(): PlateauSchedulerState {
    return { ...this.state, options: { ...this.options } };
  }

  /** Restores options and counters (the learning rates themselves travel in the optimizer's state dict). */
  loadStateDict(sd: PlateauSchedulerState): void {
    if (sd === null || typeof sd !== 'object') throw new StateDictError('', 'expected an object');
    try {
      resolvePlateauOptions(sd.options, this.optimizer.getLrs().length);
      if (sd.best !== null) checkNumber('best', sd.best);
      checkNumber('badSteps', sd.badSteps, { min: 0, integer: true });
      checkNumber('cooldownLeft', sd.cooldownLeft, { min: 0, integer: true });
      checkNumber('step', sd.step, { min: 0, integer: true });
    } catch (err) {
      if (err instanceof OptimizerConfigError) throw new StateDictError(err.field, err.message);
      throw err;
    }
    this.options = { ...sd.options };
    this.state = { best: sd.best, badSteps: sd.badSteps, cooldownLeft: sd.cooldownLeft, step: sd.step };
  }
}
