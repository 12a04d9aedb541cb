// Schedules made of schedules.
import { OptimizerConfigError } from '../optim/errors';
import { checkKnownKeys, checkNumber } from '../optim/validate';
import { checkStep, type Schedule, type ScheduleConfig } from './schedule';
import { bisectRight, checkMilestones, cosine, linear } from './schedules';

function checkSchedules(field: string, schedules: unknown): Schedule[] {
  if (!Array.isArray(schedules) || schedules.length === 0) throw new OptimizerConfigError(field, 'expected a non-empty array of schedules');
  schedules.forEach((s, i) => {
    if (s === null || typeof s !== 'object' || typeof (s as Schedule).lr !== 'function') throw new OptimizerConfigError(`${field}[${i}]`, 'expected a Schedule');
  });
  return schedules as Schedule[];
}

/**
 * Runs `schedules[i]` from milestone i−1 on, each restarted at its own step 0 at its
 * milestone: lr(t) = schedules[i].lr(t − milestones[i−1], base) with i the number of
 * milestones ≤ t (PyTorch SequentialLR, which steps the next scheduler with step(0) at a
 * milestone, i.e. its closed form from 0). Needs one milestone fewer than schedules.
 */
export function sequential(schedules: readonly Schedule[], milestones: readonly number[]): Schedule {
  const parts = checkSchedules('sequential.schedules', schedules);
  const ms = checkMilestones('sequential.milestones', milestones);
  if (ms.length !== parts.length - 1) {
    throw new OptimizerConfigError('sequential.milestones', `expected ${parts.length - 1} milestones for ${parts.length} schedules, got ${ms.length}`);
  }
  const locate = (t: number): [Schedule, number] => {
    const i = bisectRight(ms, t);
    return [parts[i], i === 0 ? t : t - ms[i - 1]];
  };
  return {
    config: Object.freeze({ kind: 'sequential', schedules: parts.map((s) => s.config), milestones: [...ms] }) as ScheduleConfig,
    lr(t: number, base: number): number {
      checkStep('sequential', t);
      const [s, local] = locate(t);
      return s.lr(local, base);
    },
    momentum(t: number): number | undefined {
      checkStep('sequential', t);
      const [s, local] = locate(t);
      return s.momentum?.(local);
    },
  };
}

/**
 * Applies every schedule at once, each to the lr the previous one produced:
 *   lr(t) = s_k.lr(t, … s_2.lr(t, s_1.lr(t, base)))
 * For the multiplicative schedules (all but those with minLr ≠ 0 and oneCycle) that is the
 * product of their factors, which is what PyTorch's ChainedScheduler produces. A schedule
 * that cycles momentum decides it (the last such one in the chain).
 */
export function chained(schedules: readonly Schedule[]): Schedule {
  const parts = checkSchedules('chained.schedules', schedules);
  return {
    config: Object.freeze({ kind: 'chained', schedules: parts.map((s) => s.config) }) as ScheduleConfig,
    lr(t: number, base: number): number {
      checkStep('chained', t);
      let lr = base;
      for (const s of parts) lr = s.lr(t, lr);
      return lr;
    },
    momentum(t: number): number | undefined {
      checkStep('chained', t);
      let m: number | undefined;
      for (const s of parts) m = s.momentum?.(t) ?? m;
      return m;
    },
  };
}

export interface WarmupCosineOptions {
  /** steps of the linear ramp from startFactor · base up to base */
  warmupSteps: number;
  /** the whole schedule's length: the cosine decays over totalSteps − warmupSteps */
  totalSteps: number;
  /** default 0 */
  startFactor?: number;
  /** where the cosine ends; default 0 */
  minLr?: number;
}

/**
 * Linear warmup then cosine decay: sequential([linear(startFactor → 1 over warmupSteps),
 * cosine(totalSteps − warmupSteps, minLr)], [warmupSteps]), i.e. PyTorch's
 * SequentialLR([LinearLR, CosineAnnealingLR]) and optax.warmup_cosine_decay_schedule's shape.
 */
export function warmupCosine(options: WarmupCosineOptions): Schedule {
  checkKnownKeys('warmupCosine', options ?? {}, ['warmupSteps', 'totalSteps', 'startFactor', 'minLr']);
  const warmup = checkNumber('warmupCosine.warmupSteps', options?.warmupSteps, { min: 1, integer: true });
  const total = checkNumber('warmupCosine.totalSteps', options.totalSteps, { min: warmup + 1, integer: true });
  const inner = sequential(
    [linear({ startFactor: options.startFactor ?? 0, endFactor: 1, totalSteps: warmup }), cosine({ totalSteps: total - warmup, minLr: options.minLr ?? 0 })],
    [warmup],
  );
  return { config: Object.freeze({ kind: 'warmupCosine', ...options }), lr: inner.lr };
}
