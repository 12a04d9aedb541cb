import { OptimizerConfigError } from '../optim/errors';
import { chained, sequential, warmupCosine } from './combinators';
import type { Schedule, ScheduleConfig } from './schedule';
import { constant, cosine, cosineWarmRestarts, exponential, linear, linearWarmup, multiStep, oneCycle, polynomial, stepDecay } from './schedules';

/* eslint-disable @typescript-eslint/no-explicit-any */
const BUILDERS: Record<string, (options: any) => Schedule> = {
  constant,
  stepDecay,
  multiStep,
  exponential,
  cosine,
  cosineWarmRestarts,
  linear,
  linearWarmup,
  polynomial,
  oneCycle,
  warmupCosine,
};

/** Rebuilds a schedule from its `config` (as found in a scheduler's state dict). */
export function scheduleFromConfig(config: ScheduleConfig, field = 'schedule'): Schedule {
  if (config === null || typeof config !== 'object' || typeof config.kind !== 'string') {
    throw new OptimizerConfigError(field, 'expected a schedule config { kind, ...options }');
  }
  const { kind, ...options } = config;
  if (kind === 'sequential' || kind === 'chained') {
    const parts = options.schedules;
    if (!Array.isArray(parts)) throw new OptimizerConfigError(`${field}.schedules`, 'expected an array of schedule configs');
    const built = parts.map((c, i) => scheduleFromConfig(c as ScheduleConfig, `${field}.schedules[${i}]`));
    return kind === 'chained' ? chained(built) : sequential(built, options.milestones as number[]);
  }
  const build = BUILDERS[kind];
  if (!build) throw new OptimizerConfigError(`${field}.kind`, `unknown schedule '${kind}' (known: ${[...Object.keys(BUILDERS), 'sequential', 'chained'].join(', ')})`);
  return build(options);
}
