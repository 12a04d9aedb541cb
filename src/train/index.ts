// Training: the run configuration, checkpoints (safetensors layout) and the Trainer.
// Node-only file helpers (loadConfig, saveCheckpoint, loadCheckpoint) are in ./config-node
// and ./checkpoint-node, kept out of this runtime-neutral entry.
export { validateConfig, TrainingConfigError, DEFAULT_CONFIG, OPTIMIZER_NAMES, TRAINABLE_LEVELS, CURRICULUM_MODES, type CurriculumConfig, type TrainingConfig, type TrainingConfigInput, type OptimizerConfig, type OptimizerName, type ModelConfig } from './config';
export { encodeCheckpoint, decodeCheckpoint, CheckpointError, type CheckpointContents, type CheckpointTensor } from './checkpoint';
export { Curriculum, CurriculumStateError, untrainableReason, type CurriculumState, type LevelChange, type LevelChangeReason, type SkippedLevel } from './curriculum';
export { Trainer, canAnswer, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type StepMetrics, type EvalMetrics, type LevelEvaluation, type TestMetrics, type TrainerEvents, type TrainerOptions, type RunOptions, type RunResult } from './trainer';
