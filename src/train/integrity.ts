/**
 * What Trainer.resume asks of a checkpoint's tensors beyond the safetensors layout
 * (./checkpoint.ts): the format versions it reads, checksums from version 3 on, and finite
 * values. A run whose weights turned NaN or Inf cannot be continued (every update would be
 * skipped and the same values written again) nor evaluated: it is refused with the tensor
 * named, and the run's last good checkpoint is what to resume from.
 */
import { CheckpointError, type CheckpointContents } from './checkpoint';

/** 4 (./trainer.ts): tensor checksums in `__metadata__.checksums` (required), the source's state and best weights. */
export const READABLE_VERSIONS = ['4'] as const;

/** The index and value of the first non-finite entry, or null. */
export function firstNonFinite(data: Float32Array): { index: number; value: number } | null {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) return { index: i, value: v }; // NaN and ±Inf: v - v is NaN
  }
  return null;
}

/** Throws a CheckpointError unless the version is readable, a version-3 file was checksummed, and every tensor is finite. */
export function checkTrainerCheckpoint(contents: CheckpointContents): void {
  const v = contents.metadata.format_version;
  if (!(READABLE_VERSIONS as readonly unknown[]).includes(v)) {
    throw new CheckpointError('__metadata__.format_version', `this version reads version${READABLE_VERSIONS.length > 1 ? 's' : ''} ${READABLE_VERSIONS.join(' and ')}, the file is version ${JSON.stringify(v)}`);
  }
  if (Number(v) >= 3 && !contents.checksummed) throw new CheckpointError('__metadata__.checksums', `is missing: a version-${v} checkpoint carries a checksum of every tensor`);
  for (const [name, t] of Object.entries(contents.tensors)) {
    const bad = firstNonFinite(t.data);
    if (bad !== null) throw new CheckpointError(name, `holds ${bad.value} at index ${bad.index}: the weights or optimizer state are not finite (the run diverged); resume from an earlier checkpoint`);
  }
}
