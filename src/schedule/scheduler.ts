import type { LrControl } from '../optim/optimizer';
import { OptimizerConfigError, StateDictError } from '../optim/errors';
import { checkNumber } from '../optim/validate';
import { scheduleFromConfig } from './config';
import type { Schedule, ScheduleConfig } from './schedule';

export interface LrSchedulerState {
  schedule: ScheduleConfig;
  /** scheduler steps taken */
  step: number;
  /** the learning rate each group's schedule is relative to */
  baseLrs: number[];
}

/**
 * A schedule bound to an optimizer, stepped once per update like a PyTorch scheduler:
 *
 *   const sched = new LrScheduler(opt, warmupCosine({ warmupSteps: 100, totalSteps: 10_000 }));
 *   for (...) { ...; opt.step(); sched.step(); }
 *
 * Creating it records each group's current lr as its base lr and sets lr(0) (PyTorch's
 * initial step); each step() then sets lr(t) for the next update. The state is the step
 * count and the base lrs: the lr is recomputed from the pure schedule, so a resumed run gets
 * bit-identical learning rates. Schedules that cycle momentum (oneCycle) also set each
 * group's momentum (SGD/RMSprop) or beta1 (Adam).
 */
export class LrScheduler {
  private schedule: Schedule;
  private steps = 0;
  private baseLrs: number[];

  constructor(readonly optimizer: LrControl, schedule: Schedule) {
    if (!schedule || typeof schedule.lr !== 'function') throw new OptimizerConfigError('schedule', 'expected a Schedule');
    this.schedule = schedule;
    this.baseLrs = optimizer.getLrs();
    if (schedule.momentum?.(0) !== undefined && optimizer.getMomentum() === undefined) {
      throw new OptimizerConfigError('schedule', `${schedule.config.kind} cycles momentum, which ${optimizer.kind} does not have (set cycleMomentum: false)`);
    }
    this.apply();
  }

  /** Advances one step and sets the new learning rates. */
  step(): void {
    this.steps++;
    this.apply();
  }

  /** Scheduler steps taken. */
  get stepCount(): number {
    return this.steps;
  }

  /** The learning rates the scheduler set last, one per group. */
  getLastLr(): number[] {
    return this.baseLrs.map((base) => this.schedule.lr(this.steps, base));
  }

  get config(): ScheduleConfig {
    return this.schedule.config;
  }

  stateDict(): LrSchedulerState {
    return { schedule: this.schedule.config, step: this.steps, baseLrs: [...this.baseLrs] };
  }

  /** Restores the step, the base lrs and the schedule itself (rebuilt from its config), and sets lr(step). */
  loadStateDict(sd: LrSchedulerState): void {
    if (sd === null || typeof sd !== 'object') throw new StateDictError('', 'expected an object');
    const groups = this.optimizer.getLrs().length;
    if (!Array.isArray(sd.baseLrs) || sd.baseLrs.length !== groups) {
      throw new StateDictError('baseLrs', `expected ${groups} base learning rates (one per group), got ${Array.isArray(sd.baseLrs) ? sd.baseLrs.length : 'none'}`);
    }
    let schedule: Schedule;
    try {
      checkNumber('step', sd.step, { min: 0, integer: true });
      sd.baseLrs.forEach((lr, i) => checkNumber(`baseLrs[${i}]`, lr, { min: 0 }));
      schedule = scheduleFromConfig(sd.schedule);
    } catch (err) {
      if (err instanceof OptimizerConfigError) throw new StateDictError(err.field, err.message);
      throw err;
    }
    this.schedule = schedule;
    this.steps = sd.step;
    this.baseLrs = [...sd.baseLrs];
    this.apply();
  }

  private apply(): void {
    const lrs = this.getLastLr();
    lrs.forEach((lr, g) => this.optimizer.setLr(lr, g));
    const momentum = this.schedule.momentum?.(this.steps);
    if (momentum !== undefined) this.optimizer.setMomentum(momentum);
  }
}
