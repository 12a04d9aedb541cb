// Optimizers (DESIGN principle 6: explicit flat state, one fused kernel pass per update),
// gradient clipping and accumulation.
export { Optimizer, type LrControl, type BaseOptions, type ParamGroup, type ParamGroupSpec, type ParamsArg, type OptimizerState } from './optimizer';
export { SGD, type SGDOptions } from './sgd';
export { Adam, AdamW, type AdamOptions } from './adam';
export { RMSprop, type RMSpropOptions } from './rmsprop';
export { Adagrad, type AdagradOptions } from './adagrad';
export { clipGradNorm, clipGradValue, gradNorm } from './clip';
export { OptimizerConfigError, StateDictError } from './errors';
export { FreezeMask, GradientActivity, nauSparsity, rampedWeight, clampValues, snapToLattice, undoSnap, snapBySearch, latticeCandidates, setGroupLrs, type Lattice, type SnapRecord } from './constraints';
