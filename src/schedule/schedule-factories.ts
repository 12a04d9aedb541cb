// The schedule factories as one namespace (the package exports it as `schedules`, so
// `schedules.linear` never meets `ops.linear`).
export { constant, stepDecay, multiStep, exponential, cosine, cosineWarmRestarts, linear, linearWarmup, polynomial, oneCycle } from './schedules';
export { sequential, chained, warmupCosine } from './combinators';
export type {
  ConstantOptions,
  StepDecayOptions,
  MultiStepOptions,
  ExponentialOptions,
  CosineOptions,
  CosineWarmRestartsOptions,
  LinearOptions,
  LinearWarmupOptions,
  PolynomialOptions,
  OneCycleOptions,
} from './schedules';
export type { WarmupCosineOptions } from './combinators';
