// Training: the run configuration, checkpoints (safetensors layout) and the Trainer.
// Node-only file helpers (loadConfig, saveCheckpoint, loadCheckpoint) are in ./config-node
// and ./checkpoint-node, kept out of this runtime-neutral entry.
export { validateConfig, TrainingConfigError, DEFAULT_CONFIG, OPTIMIZER_NAMES, TRAINABLE_LEVELS, type TrainingConfig, type TrainingConfigInput, type OptimizerConfig, type OptimizerName, type ModelConfig } from './config';
export { encodeCheckpoint, decodeCheckpoint, CheckpointError, type CheckpointContents, type CheckpointTensor } from './checkpoint';
export { Trainer, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type StepMetrics, type EvalMetrics, type TrainerEvents, type TrainerOptions, type RunOptions, type RunResult } from './trainer';
