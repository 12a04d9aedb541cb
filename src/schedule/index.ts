// Learning-rate schedules: pure functions of the step (float64, PyTorch's closed forms),
// combinators, a scheduler binding one to an optimizer, and reduce-on-plateau.
export { ScheduleRangeError, type Schedule, type ScheduleConfig } from './schedule';
export {
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
  type ConstantOptions,
  type StepDecayOptions,
  type MultiStepOptions,
  type ExponentialOptions,
  type CosineOptions,
  type CosineWarmRestartsOptions,
  type LinearOptions,
  type LinearWarmupOptions,
  type PolynomialOptions,
  type OneCycleOptions,
} from './schedules';
export { sequential, chained, warmupCosine, type WarmupCosineOptions } from './combinators';
export { scheduleFromConfig } from './config';
export { LrScheduler, type LrSchedulerState } from './scheduler';
export {
  ReduceLrOnPlateau,
  plateauStep,
  initialPlateauState,
  type PlateauOptions,
  type PlateauState,
  type PlateauSchedulerState,
} from './plateau';
