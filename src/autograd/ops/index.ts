// The op catalogue. Each op computes its output with backend kernels and, when an input
// wants a gradient, records its backward closure on the tape right next to the forward.
export { constant, variable, detach } from './source';
export { matmul, linear } from './linalg';
export { add, sub, mul, scale, addRowBroadcast, scaleRows } from './elementwise';
export { tanh, relu, leakyRelu, sigmoid, gelu, softmaxRows } from './activations';
export { sum, mean } from './reduce';
export { softmaxCrossEntropy, mseLoss, type Reduction } from './losses';
export { gatherRows, segmentSum } from './indexing';
export { concatCols, sliceCols, splitCols, concatRows, sliceRows } from './layout';
