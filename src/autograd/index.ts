// Public surface of the autograd layer: the tape, its tensors, the op catalogue and the
// gradient checker. Ops are free functions taking the tape first: ops.tanh(tape, x).
export { Tape } from './tape';
export { Tensor, AutogradError, type TensorLike, type Int32Input, type HeapInt32 } from './tensor';
export { Parameter, ShapeError } from './parameter';
export * as ops from './ops/index';
export type { Reduction } from './ops/index';
export { gradCheck, compare, type GradCheckInput, type GradCheckOptions, type GradCheckResult, type GradientComparison } from './gradcheck';
