// Package entry `grapheme-train/files` (Node, Deno, Bun): the file helpers the runtime-neutral
// core leaves out — a run's folder (metrics.jsonl, checkpoints, report.html), checkpoint files,
// JSONL datasets and `generate`'s level folders.
export { RunFiles, CHECKPOINT_FILE, BEST_FILE, METRICS_FILE, type RunFilesOptions, type CheckpointingTrainer } from '../train/run-files-node';
export { saveCheckpoint, loadCheckpoint, readCheckpointBytes } from '../train/checkpoint-node';
export { writeReport, type WrittenReport } from '../train/report-node';
export { readJsonl, loadJsonl, loadDataset, writeJsonl, JsonlWriter, loadLevelFiles, type ReadJsonlOptions } from '../data/jsonl-node';
