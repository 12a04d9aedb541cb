/**
 * The end of a `train` run that diverged (src/train/divergence.ts): the diverged weights are
 * not written; OUT/checkpoint.safetensors keeps the last good state (the last evaluation's,
 * or the untrained weights a fresh run writes before its first update), the best validation
 * weights go to OUT/best.safetensors as usual, the log gets a `diverged` record, and the
 * command fails (exit 1) with one line that says what exploded and which update is kept.
 */
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointBytes, saveCheckpoint } from '../train/checkpoint-node';
import { decodeCheckpoint } from '../train/checkpoint';
import type { RunResult } from '../train/trainer';
import { EXIT_FAILED } from './errors';

export interface DivergedRun {
  result: RunResult;
  out: string;
  checkpointPath: string;
  /** the checkpoint writes still in flight */
  writes: Promise<void>;
  metrics: WriteStream;
  best: { step: number; bytes: Uint8Array } | null;
  err: (text: string) => void;
}

export async function finishDiverged(run: DivergedRun): Promise<{ exitCode: number; steps: number; reason: 'diverged'; checkpoint: string; keptStep: number | null }> {
  await run.writes;
  run.metrics.write(JSON.stringify({ kind: 'diverged', step: run.result.steps, reason: run.result.detail }) + '\n');
  await new Promise<void>((done) => run.metrics.end(done));
  if (run.best !== null) await saveCheckpoint(join(run.out, 'best.safetensors'), run.best.bytes);
  let keptStep: number | null = null;
  try {
    keptStep = Number(decodeCheckpoint(await readCheckpointBytes(run.checkpointPath)).metadata.step);
  } catch {
    // no checkpoint was written before the run diverged
  }
  const kept = keptStep === null ? 'no checkpoint was written' : `${run.checkpointPath} keeps update ${keptStep}, the last good weights`;
  run.err(`grapheme-train train: the run diverged: ${run.result.detail}; stopped, ${kept} (lower the learning rate, or set "divergence" in the config)\n`);
  return { exitCode: EXIT_FAILED, steps: run.result.steps, reason: 'diverged', checkpoint: run.checkpointPath, keptStep };
}
