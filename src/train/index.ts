// Training: the model contract, the one training step, the run configuration, the
// curriculum, checkpoints (safetensors layout), the Trainer and its worker replicas
// (data-parallel training: ./parallel/).
// Node-only file helpers (loadConfig, saveCheckpoint, loadCheckpoint) are in ./config-node
// and ./checkpoint-node, kept out of this runtime-neutral entry.
export { validateConfig, TrainingConfigError, DEFAULT_CONFIG, OPTIMIZER_NAMES, CURRICULUM_MODES, SELECT_BY, type SelectBy, type CurriculumConfig, type TrainingConfig, type TrainingConfigInput, type OptimizerConfig, type OptimizerName, type ModelConfig } from './config';
export { encodeCheckpoint, decodeCheckpoint, CheckpointError, type CheckpointContents, type CheckpointTensor } from './checkpoint';
export { Curriculum, CurriculumStateError, type CurriculumState, type LevelChange, type LevelChangeReason } from './curriculum';
export { type TrainableModel, type ModelMetrics } from './contract';
export { trainStep, accumulateGradients, applyUpdate, type StepParts, type StepResult } from './step';
export { WorkerPool, WorkerError } from './parallel/pool';
export { serveReplica, type ReplicaInit, type ReplicaParts, type ReplicaMessage } from './parallel/replica';
export { setReplicaSpawner, type ReplicaSpawner, type ReplicaHandle } from './parallel/spawn';
export { builtInModel, builtInSource } from './builtin';
export { Trainer, TrainerError, selectionScore, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type StepMetrics, type EvalMetrics, type GroupEvaluation, type LevelEvaluation, type TestMetrics, type TrainerEvents, type TrainerOptions, type RunOptions, type RunResult } from './trainer';
