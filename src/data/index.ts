export * from './levels';
export { DataGenerator, GeneratorError, type GeneratorOptions, type LevelStats } from './generator';
export {
  type DatasetRecord,
  type RecordProblem,
  buildRecord,
  checkRecord,
  checkRecordShape,
  verifyGenerated,
  checkDerivativeNumerically,
  resultGraphOf,
  roundTo3,
  roundRationalTo3,
  fixedPanelQuadrature,
} from './record';
export { DataOptionError } from './errors';
export { splitOf, SPLITS, DEFAULT_SPLIT_FRACTIONS, type Split, type SplitFractions } from './split';
export { DatasetError, serializeRecord, parseRecordLine, parseJsonl, toJsonl, type ParseJsonlOptions, type ParsedJsonl } from './jsonl';
export { Dataset } from './dataset';
export { BatchIterator, type BatchIteratorOptions, type BatchIteratorState } from './batch';
export { ArraySource, batchDraft, draftOf, GeneratedLevels, RecordLevels, RecordSourceError, type BatchDraft, type LevelOverrides, type RecordSource, type BatchRequest, type ArraySourceOptions, type LevelPool, type PhaseChange, type SourcePhase } from './source';
