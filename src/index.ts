// grapheme-train: the public surface. The core (everything exported here) imports no
// runtime-specific modules, so the same bundle serves Node, browsers and edge runtimes; the
// Node-only file helpers are the `grapheme-train/files` entry (src/entry/files.ts).
//   ops        tensor ops on a Tape (ops.linear, ops.constant, …): only under `ops`
//   schedules  learning-rate schedules (schedules.linear, schedules.cosine, …): only under `schedules`
export { GraphemeError } from './errors';
export {
  createBackend,
  wasmSimdSupported,
  HeapOutOfMemoryError,
  BackendUnavailableError,
  type Backend,
  type BackendName,
  type BackendOptions,
  type HeapStats,
} from './backend/index';
export * from './autograd/index';
export * from './layers/index';
export * from './engine/index';
export * from './graph/index';
export * from './data/index';
export * from './optim/index';
export * as schedules from './schedule/schedule-factories';
export { LrScheduler, scheduleFromConfig, ReduceLrOnPlateau, ScheduleRangeError, type Schedule, type ScheduleConfig, type LrSchedulerState, type PlateauOptions, type PlateauSchedulerState } from './schedule/index';
export * from './ged/index';
export {
  DagNN,
  DagNNModel,
  ModelStateError,
  ModelOptionError,
  PlanError,
  TargetError,
  NUMERIC_TYPES,
  evaluateRecords,
  evaluateByLevel,
  recordsLoss,
  type DagNNOptions,
  type DagNNModelOptions,
  type DagNNOutput,
  type NumericPrediction,
  type Evaluation,
  type RecordsLossOptions,
  type PlanInput,
} from './model/index';
export * from './train/index';
export { Prng, PrngError } from './util/prng';
