/**
 * The end of a `train` run that diverged (src/train/divergence.ts): the diverged weights are
 * not written (RunFiles never writes non-finite weights); OUT/checkpoint.safetensors keeps the
 * last good state (the last evaluation's, or the untrained weights a fresh run writes before its
 * first update), the best validation weights go to OUT/best.safetensors as usual, the log gets a
 * `diverged` record, and the command fails (exit 1) with one line that says what exploded and
 * which update is kept.
 */
import { readCheckpointBytes } from '../train/checkpoint-node';
import { decodeCheckpoint } from '../train/checkpoint';
import type { RunFiles, CheckpointingTrainer } from '../train/run-files-node';
import type { RunResult } from '../train/trainer';
import { EXIT_FAILED } from './errors';

export async function finishDiverged(result: RunResult, trainer: CheckpointingTrainer & { bestEvaluation: { score: number } }, files: RunFiles, err: (text: string) => void): Promise<{ exitCode: number; steps: number; reason: 'diverged'; checkpoint: string; keptStep: number | null }> {
  files.logDiverged(result.steps, result.detail ?? '');
  if (Number.isFinite(trainer.bestEvaluation.score)) files.best(trainer, 'best');
  await files.close();
  let keptStep: number | null = null;
  try {
    keptStep = Number(decodeCheckpoint(await readCheckpointBytes(files.checkpointPath)).metadata.step);
  } catch {
    // no checkpoint was written before the run diverged
  }
  const kept = keptStep === null ? 'no checkpoint was written' : `${files.checkpointPath} keeps update ${keptStep}, the last good weights`;
  err(`grapheme-train train: the run diverged: ${result.detail}; stopped, ${kept} (lower the learning rate, or set "divergence" in the config)\n`);
  return { exitCode: EXIT_FAILED, steps: result.steps, reason: 'diverged', checkpoint: files.checkpointPath, keptStep };
}
