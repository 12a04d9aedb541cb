/**
 * Checkpoints in the safetensors layout (https://github.com/huggingface/safetensors):
 *
 *   [u64 little-endian N][N bytes of UTF-8 JSON header, space-padded to a multiple of 8][data]
 *   header = { "<tensor>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, …,
 *              "__metadata__": { "<key>": "<string>", … } }
 *
 * Offsets are relative to the start of the data section; tensors are laid out back to back
 * in header order, little-endian. Every float that must survive bit-exactly (weights AND
 * optimizer buffers) is a tensor; the rest of the training state travels as JSON strings
 * in __metadata__ (safetensors allows only string values there). Any safetensors reader
 * (Python `safetensors.numpy.load`) can open our files, and we refuse anything that is not
 * a well-formed F32-only file: offsets out of range, overlapping or leaving holes, shapes
 * that do not match byte lengths, non-string metadata.
 *
 * CHECKSUMS. encodeCheckpoint writes `__metadata__.checksums` = JSON
 * `{"crc32": {"<tensor>": "<8 hex digits>", …}}`, the CRC-32 of each tensor's bytes in the
 * file; decodeCheckpoint verifies every one when the key is there (a flipped byte is refused
 * with the tensor named), returns the metadata without it, and says `checksummed: true`.
 * Files of other writers have no checksums and decode as before; readers that need them
 * (Trainer.resume, from format version 3) require `checksummed`.
 *
 * Pure functions over bytes: runtime-neutral (Node file I/O is in ./checkpoint-node.ts).
 */
import { GraphemeError } from '../errors';
import { crc32Hex } from '../util/crc32';

/** A checkpoint that cannot be read or does not fit; `field` names the tensor or metadata key. */
export class CheckpointError extends GraphemeError {
  constructor(readonly field: string, readonly reason: string) {
    super(`checkpoint ${field}: ${reason}`);
  }
}

export interface CheckpointTensor {
  shape: number[];
  data: Float32Array;
}

export interface CheckpointContents {
  /** tensors by name, written in this (insertion) order */
  tensors: Record<string, CheckpointTensor>;
  /** string → string, as safetensors requires (without `checksums`: encode writes it, decode verifies and drops it) */
  metadata: Record<string, string>;
  /** decode only: the file carried a checksum for every tensor, and every one matched */
  checksummed?: boolean;
}

/** The metadata key of the tensor checksums. */
export const CHECKSUMS = 'checksums';

const METADATA = '__metadata__';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A tensor's bytes as the file holds them (little-endian). */
function littleEndianBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}

/** The stored checksums, checked against the tensor bytes (`at`: each tensor's offset in `bytes`). */
function verifyChecksums(text: string, entries: readonly { name: string; begin: number; end: number }[], bytes: Uint8Array, dataStart: number): void {
  let sums: unknown;
  try {
    sums = (JSON.parse(text) as { crc32?: unknown })?.crc32;
  } catch (err) {
    throw new CheckpointError(`${METADATA}.${CHECKSUMS}`, `not valid JSON: ${(err as Error).message}`);
  }
  if (sums === null || typeof sums !== 'object' || Array.isArray(sums)) throw new CheckpointError(`${METADATA}.${CHECKSUMS}`, 'expected {"crc32": {"<tensor>": "<hex>", …}}');
  const table = sums as Record<string, unknown>;
  for (const name of Object.keys(table)) {
    if (!entries.some((e) => e.name === name)) throw new CheckpointError(`${METADATA}.${CHECKSUMS}`, `has a checksum for ${JSON.stringify(name)}, which is not a tensor of the file`);
  }
  for (const e of entries) {
    const stored = table[e.name];
    if (typeof stored !== 'string') throw new CheckpointError(e.name, 'has no checksum in __metadata__.checksums');
    const actual = crc32Hex(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    if (stored !== actual) throw new CheckpointError(e.name, `data does not match its checksum (crc32 ${actual}, stored ${stored}): the file is corrupt`);
  }
}

/** The safetensors bytes of `contents`. */
export function encodeCheckpoint(contents: CheckpointContents): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(contents.tensors)) {
    if (name === METADATA) throw new CheckpointError(name, 'is reserved for the metadata');
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CheckpointError(name, `bad shape [${t.shape.join(', ')}]`);
    if (product(t.shape) !== t.data.length) throw new CheckpointError(name, `shape [${t.shape.join(', ')}] needs ${product(t.shape)} values, got ${t.data.length}`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  const sums: Record<string, string> = {};
  for (const [name, t] of Object.entries(contents.tensors)) sums[name] = crc32Hex(littleEndianBytes(t.data));
  for (const [k, v] of Object.entries(contents.metadata)) {
    if (typeof v !== 'string') throw new CheckpointError(`${METADATA}.${k}`, 'metadata values must be strings');
  }
  header[METADATA] = { ...contents.metadata, [CHECKSUMS]: JSON.stringify({ crc32: sums }) };
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of Object.values(contents.tensors)) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    at += t.data.byteLength;
  }
  return out;
}

/** Parses and checks safetensors bytes (F32 tensors only). Tensors are copies, in header order. */
export function decodeCheckpoint(bytes: Uint8Array): CheckpointContents {
  if (bytes.length < 8) throw new CheckpointError('(header)', `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) throw new CheckpointError('(header)', `header length ${n} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  const headerEnd = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, headerEnd)));
  } catch (err) {
    throw new CheckpointError('(header)', `not valid UTF-8 JSON: ${(err as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new CheckpointError('(header)', 'expected a JSON object');
  const dataLength = bytes.length - headerEnd;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new CheckpointError(METADATA, 'expected an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new CheckpointError(`${METADATA}.${k}`, 'metadata values must be strings');
        metadata[k] = v;
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') throw new CheckpointError(name, 'expected {dtype, shape, data_offsets}');
    if (e.dtype !== 'F32') throw new CheckpointError(name, `dtype ${JSON.stringify(e.dtype)} is not supported (F32 only)`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CheckpointError(name, `bad shape ${JSON.stringify(shape)}`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) throw new CheckpointError(name, `bad data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) throw new CheckpointError(name, `data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data section (truncated?)`);
    if (end - begin !== 4 * product(shape)) throw new CheckpointError(name, `shape [${shape.join(', ')}] needs ${4 * product(shape)} bytes, data_offsets give ${end - begin}`);
    entries.push({ name, shape, begin, end });
  }
  // safetensors: the tensors tile the data section exactly (no overlap, no hole)
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of sorted) {
    if (e.begin < covered) throw new CheckpointError(e.name, `data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (ending at ${covered})`);
    if (e.begin > covered) throw new CheckpointError(e.name, `a hole of ${e.begin - covered} bytes before this tensor`);
    covered = e.end;
  }
  if (covered !== dataLength) throw new CheckpointError('(data)', `${dataLength - covered} bytes after the last tensor`);
  const checksummed = metadata[CHECKSUMS] !== undefined;
  if (checksummed) {
    verifyChecksums(metadata[CHECKSUMS], entries, bytes, headerEnd);
    delete metadata[CHECKSUMS];
  }
  const tensors: Record<string, CheckpointTensor> = {};
  for (const e of entries) {
    const count = (e.end - e.begin) / 4;
    const data = new Float32Array(count);
    const at = headerEnd + e.begin;
    if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(bytes.subarray(at, at + 4 * count));
    else for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
    tensors[e.name] = { shape: e.shape, data };
  }
  return checksummed ? { tensors, metadata, checksummed } : { tensors, metadata };
}
