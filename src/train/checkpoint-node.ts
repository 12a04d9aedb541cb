// Node-only checkpoint files: written to a temporary name in the same folder, then renamed
// over the target, so a crash mid-write never leaves a half-written checkpoint (DESIGN principle 8).
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointContents } from './checkpoint';

/** Writes checkpoint bytes (or contents, encoded) atomically to `path`. */
export async function saveCheckpoint(path: string, checkpoint: Uint8Array | CheckpointContents): Promise<void> {
  const bytes = checkpoint instanceof Uint8Array ? checkpoint : encodeCheckpoint(checkpoint);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** Reads the bytes of a checkpoint file (decode or resume from them). */
export async function readCheckpointBytes(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Reads and decodes a checkpoint file (header sanity checked; see decodeCheckpoint). */
export async function loadCheckpoint(path: string): Promise<CheckpointContents> {
  return decodeCheckpoint(await readCheckpointBytes(path));
}
