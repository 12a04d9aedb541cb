// The DagNN model: the level-batched plan, the encoder with its value stream and numeric
// head, the training loss and the exact-GED metric.
export { buildPlan, rootToken, exprAndVariable, PlanError, KIND_NAMES, KIND_ARITY, KIND_NUMBER, KIND_SYMBOL, SYMBOL_TOKENS, type BatchPlan, type PlanGroup, type PlanInput } from './plan';
export { DagNN, ModelStateError, ModelOptionError, NUMERIC_TYPES, numericGraph, type DagNNOptions, type DagNNOutput, type NumericPrediction } from './dagnn';
export { numericLoss, numericTarget, planInput, recordsLoss, decoderLoss, type DecoderLoss, type DecoderLossOptions, evaluateRecords, evaluateByLevel, TargetError, type NumericTarget, type NumericLossOptions, type NumericLoss, type RecordsLossOptions, type Evaluation } from './loss';
export { reshape, writeRows, blockMatrix } from './ops';
export { TreeDecoder, answersSymbolically, decoderTree, treeGraph, labelClass, DecoderTargetError, LABEL_CLASSES, OTHER_NUMBER, SLOPE, INT_MIN, INT_MAX, DECODER_TOKENS, type DecoderNode } from './decoder';
export { DagNNModel, type DagNNModelOptions } from './trainable';
export { IntegrationHead, RootHead, routeOf, chebyshevPoints, fitQuadrature, quadrature, integralityFeature, type HeadOutput, type Route } from './heads';
export { ValueProbe, ProbeError, type ProbeTarget } from './probe';
