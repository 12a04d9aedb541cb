import { GraphemeError } from '../errors';

/**
 * A learning-rate schedule: a pure function of the step, in float64.
 *
 * `lr(step, baseLr)` is the learning rate after `step` scheduler steps (step 0 is the value
 * set when a scheduler is created, before any update) for a parameter group whose base
 * learning rate is `baseLr`. Each schedule computes PyTorch's closed form
 * (`_get_closed_form_lr` of torch.optim.lr_scheduler, same expression, same operation
 * order): the value PyTorch documents for a schedule that alone sets the learning rate, and
 * what its recursive `get_lr` reproduces up to float64 rounding (measured against PyTorch's
 * stepping in test/schedule; ≤ 1e-12 relative).
 *
 * Option names are shared by every schedule: `totalSteps` (a duration in steps: PyTorch's
 * total_iters, T_max, total_steps), `minLr` (eta_min, min_lr), `gamma` (a decay factor per
 * decay event), `factor`/`startFactor`/`endFactor` (multipliers of the base lr), `stepSize`,
 * `milestones`, `power`, `t0`/`tMult` (the restart periods of SGDR), `warmupSteps`.
 */
export interface Schedule {
  readonly config: ScheduleConfig;
  lr(step: number, baseLr: number): number;
  /**
   * The momentum (SGD/RMSprop momentum, Adam beta1) at `step`, for schedules that cycle it
   * (one-cycle); undefined for the others.
   */
  momentum?(step: number): number | undefined;
}

/** A JSON description of a schedule, enough to rebuild it (see scheduleFromConfig). */
export type ScheduleConfig = { kind: string } & Record<string, unknown>;

/** A step outside the range a schedule is defined on (PyTorch raises there too). */
export class ScheduleRangeError extends GraphemeError {
  constructor(readonly kind: string, readonly step: number, detail: string) {
    super(`${kind} schedule: step ${step} ${detail}`);
  }
}

export function checkStep(kind: string, step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new ScheduleRangeError(kind, step, 'is not a non-negative integer');
}
