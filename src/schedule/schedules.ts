// The learning-rate schedules, each PyTorch's closed form (torch.optim.lr_scheduler, 1.13)
// with its expression written in the same operation order. `t` is the step, `base` the
// group's base learning rate.
import { OptimizerConfigError } from '../optim/errors';
import { checkBoolean, checkChoice, checkKnownKeys, checkNumber } from '../optim/validate';
import { checkStep, ScheduleRangeError, type Schedule, type ScheduleConfig } from './schedule';

/** Builds a Schedule from its config after checking the option names. */
function define(
  kind: string,
  options: object,
  known: readonly string[],
  lr: (t: number, base: number) => number,
  extra: Partial<Schedule> = {},
): Schedule {
  checkKnownKeys(kind, options, known);
  const config = Object.freeze({ kind, ...options }) as ScheduleConfig;
  return {
    config,
    lr(t: number, base: number): number {
      checkStep(kind, t);
      return lr(t, base);
    },
    ...extra,
  };
}

export interface ConstantOptions {
  /** multiplier of the base lr before totalSteps (PyTorch ConstantLR factor); default 1 */
  factor?: number;
  /** steps the factor applies for (PyTorch total_iters); default Infinity (always) */
  totalSteps?: number;
}

/**
 * base · factor for t < totalSteps, base afterwards (PyTorch ConstantLR; with the defaults a
 * constant learning rate).
 *   lr = base · (factor + [t ≥ totalSteps] · (1 − factor))
 */
export function constant(options: ConstantOptions = {}): Schedule {
  const factor = checkNumber('constant.factor', options.factor ?? 1, { min: 0, max: 1 });
  const total = options.totalSteps ?? Infinity;
  if (total !== Infinity) checkNumber('constant.totalSteps', total, { min: 0, integer: true });
  return define('constant', options, ['factor', 'totalSteps'], (t, base) => base * (factor + (t >= total ? 1 : 0) * (1 - factor)));
}

export interface StepDecayOptions {
  /** steps between decays */
  stepSize: number;
  /** multiplier per decay; default 0.1 */
  gamma?: number;
}

/** lr = base · gamma^⌊t / stepSize⌋ (PyTorch StepLR) */
export function stepDecay(options: StepDecayOptions): Schedule {
  const stepSize = checkNumber('stepDecay.stepSize', options?.stepSize, { min: 1, integer: true });
  const gamma = checkNumber('stepDecay.gamma', options.gamma ?? 0.1, { min: 0 });
  return define('stepDecay', options, ['stepSize', 'gamma'], (t, base) => base * gamma ** Math.floor(t / stepSize));
}

export interface MultiStepOptions {
  /** steps at which the lr is multiplied by gamma (non-decreasing; a repeated one decays twice) */
  milestones: readonly number[];
  /** default 0.1 */
  gamma?: number;
}

/** lr = base · gamma^(number of milestones ≤ t) (PyTorch MultiStepLR) */
export function multiStep(options: MultiStepOptions): Schedule {
  const milestones = checkMilestones('multiStep.milestones', options?.milestones);
  const gamma = checkNumber('multiStep.gamma', options.gamma ?? 0.1, { min: 0 });
  return define('multiStep', { ...options, milestones: [...milestones] }, ['milestones', 'gamma'], (t, base) => base * gamma ** bisectRight(milestones, t));
}

export interface ExponentialOptions {
  /** multiplier per step */
  gamma: number;
}

/** lr = base · gamma^t (PyTorch ExponentialLR) */
export function exponential(options: ExponentialOptions): Schedule {
  const gamma = checkNumber('exponential.gamma', options?.gamma, { min: 0 });
  return define('exponential', options, ['gamma'], (t, base) => base * gamma ** t);
}

export interface CosineOptions {
  /** steps of the half period from base down to minLr (PyTorch T_max) */
  totalSteps: number;
  /** default 0 (PyTorch eta_min) */
  minLr?: number;
}

/**
 * lr = minLr + (base − minLr) · (1 + cos(π t / totalSteps)) / 2 (PyTorch CosineAnnealingLR's
 * closed form). Past totalSteps it rises again, periodically, as PyTorch's does.
 */
export function cosine(options: CosineOptions): Schedule {
  const total = checkNumber('cosine.totalSteps', options?.totalSteps, { min: 1, integer: true });
  const minLr = checkNumber('cosine.minLr', options.minLr ?? 0, { min: 0 });
  return define('cosine', options, ['totalSteps', 'minLr'], (t, base) => minLr + ((base - minLr) * (1 + Math.cos((Math.PI * t) / total))) / 2);
}

export interface CosineWarmRestartsOptions {
  /** steps in the first cycle (PyTorch T_0) */
  t0: number;
  /** each cycle is tMult times longer than the previous one (integer, default 1) */
  tMult?: number;
  /** default 0 */
  minLr?: number;
}

/**
 * SGDR (Loshchilov & Hutter 2017), PyTorch CosineAnnealingWarmRestarts stepped once per step:
 * within a cycle of length Ti that started tCur steps ago,
 *   lr = minLr + (base − minLr) · (1 + cos(π tCur / Ti)) / 2
 * and the lr jumps back to base when a cycle ends (T0, T0·tMult, T0·tMult², ...).
 */
export function cosineWarmRestarts(options: CosineWarmRestartsOptions): Schedule {
  const t0 = checkNumber('cosineWarmRestarts.t0', options?.t0, { min: 1, integer: true });
  const tMult = checkNumber('cosineWarmRestarts.tMult', options.tMult ?? 1, { min: 1, integer: true });
  const minLr = checkNumber('cosineWarmRestarts.minLr', options.minLr ?? 0, { min: 0 });
  return define('cosineWarmRestarts', options, ['t0', 'tMult', 'minLr'], (t, base) => {
    // the cycle containing t: integers only, so the same (tCur, Ti) PyTorch's counters reach
    let tCur = t;
    let ti = t0;
    if (tMult === 1) tCur = t % t0;
    else {
      while (tCur >= ti) {
        tCur -= ti;
        ti *= tMult;
      }
    }
    return minLr + ((base - minLr) * (1 + Math.cos((Math.PI * tCur) / ti))) / 2;
  });
}

export interface LinearOptions {
  /** multiplier at step 0; default 1/3 as in PyTorch */
  startFactor?: number;
  /** multiplier from totalSteps on; default 1 */
  endFactor?: number;
  /** steps of the ramp; default 5 */
  totalSteps?: number;
}

/**
 * lr = base · (startFactor + (endFactor − startFactor) · min(totalSteps, t) / totalSteps)
 * (PyTorch LinearLR). A warmup is startFactor < 1 = endFactor; see also linearWarmup.
 */
export function linear(options: LinearOptions = {}): Schedule {
  const start = checkNumber('linear.startFactor', options.startFactor ?? 1 / 3, { min: 0, max: 1 });
  const end = checkNumber('linear.endFactor', options.endFactor ?? 1, { min: 0, max: 1 });
  const total = checkNumber('linear.totalSteps', options.totalSteps ?? 5, { min: 1, integer: true });
  return define('linear', options, ['startFactor', 'endFactor', 'totalSteps'], (t, base) => base * (start + ((end - start) * Math.min(total, t)) / total));
}

export interface LinearWarmupOptions {
  /** steps of the ramp from startFactor · base to base */
  warmupSteps: number;
  /** default 0 */
  startFactor?: number;
}

/** linear({ startFactor, endFactor: 1, totalSteps: warmupSteps }) */
export function linearWarmup(options: LinearWarmupOptions): Schedule {
  const warmupSteps = checkNumber('linearWarmup.warmupSteps', options?.warmupSteps, { min: 1, integer: true });
  const inner = linear({ startFactor: options.startFactor ?? 0, endFactor: 1, totalSteps: warmupSteps });
  return define('linearWarmup', options, ['warmupSteps', 'startFactor'], (t, base) => inner.lr(t, base));
}

export interface PolynomialOptions {
  /** steps to decay to 0 over; default 5 */
  totalSteps?: number;
  /** default 1 (linear) */
  power?: number;
}

/** lr = base · (1 − min(totalSteps, t) / totalSteps)^power (PyTorch PolynomialLR) */
export function polynomial(options: PolynomialOptions = {}): Schedule {
  const total = checkNumber('polynomial.totalSteps', options.totalSteps ?? 5, { min: 1, integer: true });
  const power = checkNumber('polynomial.power', options.power ?? 1, { min: 0 });
  return define('polynomial', options, ['totalSteps', 'power'], (t, base) => base * (1 - Math.min(total, t) / total) ** power);
}

export interface OneCycleOptions {
  /** the cycle length; stepping past it is an error, as in PyTorch */
  totalSteps: number;
  /** the peak lr; default: the group's base lr (PyTorch max_lr, per group) */
  maxLr?: number;
  /** fraction of the cycle spent rising; default 0.3 */
  pctStart?: number;
  /** 'cos' (default) or 'linear' */
  annealStrategy?: 'cos' | 'linear';
  /** the lr starts at maxLr / divFactor; default 25 */
  divFactor?: number;
  /** and ends at maxLr / divFactor / finalDivFactor; default 1e4 */
  finalDivFactor?: number;
  /** rise, fall back to the start, then anneal to the end (the paper's three phases) */
  threePhase?: boolean;
  /** cycle the momentum inversely to the lr (default true, as in PyTorch) */
  cycleMomentum?: boolean;
  /** momentum at the lr peak; default 0.85 */
  baseMomentum?: number;
  /** momentum at the start and end; default 0.95 */
  maxMomentum?: number;
}

/**
 * The 1cycle policy (Smith & Topin 2017), PyTorch OneCycleLR: phases end at the (float) steps
 * pctStart·T − 1 and T − 1 (three-phase: pctStart·T − 1, 2·pctStart·T − 2, T − 1); in a phase
 * from step s0 to s1 the lr anneals from `start` to `end` with pct = (t − s0) / (s1 − s0):
 *   cos:    end + (start − end) / 2 · (cos(π pct) + 1)
 *   linear: (end − start) · pct + start
 * and the momentum anneals the opposite way between maxMomentum and baseMomentum.
 */
export function oneCycle(options: OneCycleOptions): Schedule {
  const k = 'oneCycle';
  const total = checkNumber(`${k}.totalSteps`, options?.totalSteps, { min: 1, integer: true });
  const maxLr = options.maxLr === undefined ? undefined : checkNumber(`${k}.maxLr`, options.maxLr, { min: 0 });
  const pctStart = checkNumber(`${k}.pctStart`, options.pctStart ?? 0.3, { min: 0, max: 1 });
  const strategy = checkChoice(`${k}.annealStrategy`, options.annealStrategy ?? 'cos', ['cos', 'linear'] as const);
  const divFactor = checkNumber(`${k}.divFactor`, options.divFactor ?? 25, { min: 0, minExclusive: true });
  const finalDivFactor = checkNumber(`${k}.finalDivFactor`, options.finalDivFactor ?? 1e4, { min: 0, minExclusive: true });
  const threePhase = checkBoolean(`${k}.threePhase`, options.threePhase ?? false);
  const cycleMomentum = checkBoolean(`${k}.cycleMomentum`, options.cycleMomentum ?? true);
  const baseMomentum = checkNumber(`${k}.baseMomentum`, options.baseMomentum ?? 0.85, { min: 0 });
  const maxMomentum = checkNumber(`${k}.maxMomentum`, options.maxMomentum ?? 0.95, { min: 0 });
  const anneal =
    strategy === 'cos'
      ? (start: number, end: number, pct: number) => end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1)
      : (start: number, end: number, pct: number) => (end - start) * pct + start;
  // [end step, lr from, lr to, momentum from, momentum to]; 'i' initial, 'x' max, 'n' min
  type Level = 'i' | 'x' | 'n';
  const phases: [number, Level, Level, 'hi' | 'lo', 'hi' | 'lo'][] = threePhase
    ? [
        [pctStart * total - 1, 'i', 'x', 'hi', 'lo'],
        [2 * pctStart * total - 2, 'x', 'i', 'lo', 'hi'],
        [total - 1, 'i', 'n', 'hi', 'hi'],
      ]
    : [
        [pctStart * total - 1, 'i', 'x', 'hi', 'lo'],
        [total - 1, 'x', 'n', 'lo', 'hi'],
      ];
  /** the phase containing t and how far into it: PyTorch's loop */
  const locate = (t: number): [number, number] => {
    if (t > total) throw new ScheduleRangeError(k, t, `is past totalSteps ${total}`);
    let startStep = 0;
    for (let i = 0; i < phases.length; i++) {
      const endStep = phases[i][0];
      if (t <= endStep || i === phases.length - 1) return [i, (t - startStep) / (endStep - startStep)];
      startStep = endStep;
    }
    throw new Error('unreachable');
  };
  const momentumOf = (level: 'hi' | 'lo') => (level === 'hi' ? maxMomentum : baseMomentum);
  return define(
    k,
    options,
    ['totalSteps', 'maxLr', 'pctStart', 'annealStrategy', 'divFactor', 'finalDivFactor', 'threePhase', 'cycleMomentum', 'baseMomentum', 'maxMomentum'],
    (t, base) => {
      const peak = maxLr ?? base;
      const initial = peak / divFactor;
      const levels = { i: initial, x: peak, n: initial / finalDivFactor };
      const [i, pct] = locate(t);
      return anneal(levels[phases[i][1]], levels[phases[i][2]], pct);
    },
    {
      momentum(t: number): number | undefined {
        checkStep(k, t);
        if (!cycleMomentum) return undefined;
        const [i, pct] = locate(t);
        return anneal(momentumOf(phases[i][3]), momentumOf(phases[i][4]), pct);
      },
    },
  );
}

export function checkMilestones(field: string, milestones: unknown): number[] {
  if (!Array.isArray(milestones)) throw new OptimizerConfigError(field, 'expected an array of steps');
  milestones.forEach((m, i) => {
    checkNumber(`${field}[${i}]`, m, { min: 0, integer: true });
    if (i > 0 && m < milestones[i - 1]) throw new OptimizerConfigError(`${field}[${i}]`, `milestones must not decrease (${milestones[i - 1]} then ${m})`);
  });
  return milestones as number[];
}

/** how many of the sorted `xs` are ≤ x (Python's bisect_right) */
export function bisectRight(xs: readonly number[], x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < xs[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
