import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type CheckpointContents } from '../../src/train/checkpoint';
import { loadCheckpoint, readCheckpointBytes, saveCheckpoint } from '../../src/train/checkpoint-node';

function sample(): CheckpointContents {
  // values chosen to catch any lossy path: -0, a subnormal, ±Inf, NaN, the float32 neighbours of 1
  const odd = new Float32Array([-0, 1.4e-45, Infinity, -Infinity, NaN, 1 + 2 ** -23, 1 - 2 ** -24, 3.4028234663852886e38]);
  return {
    tensors: {
      'a.W': { shape: [2, 4], data: odd },
      'optim.0.a.W.expAvg': { shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => Math.fround(i / 7)) },
      empty: { shape: [0, 3], data: new Float32Array(0) },
      scalar: { shape: [], data: new Float32Array([42]) },
    },
    metadata: { format_version: '1', state: JSON.stringify({ step: 3, nested: { x: [1, 2] } }) },
  };
}

function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Independent reader: the safetensors layout parsed by hand (no decodeCheckpoint). */
function parseByHand(bytes: Uint8Array): { header: Record<string, any>; data: DataView } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  expect(hi).toBe(0);
  const text = Buffer.from(bytes.subarray(8, 8 + lo)).toString('utf8');
  return { header: JSON.parse(text), data: new DataView(bytes.buffer, bytes.byteOffset + 8 + lo) };
}

function expectCheckpointError(bytes: Uint8Array, field: string | RegExp): void {
  let caught: unknown;
  try {
    decodeCheckpoint(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  if (typeof field === 'string') expect((caught as CheckpointError).field).toBe(field);
  else expect((caught as CheckpointError).message).toMatch(field);
}

/** Re-encodes a file with an edited header (same data section). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => void, dataBytes?: Uint8Array): Uint8Array {
  const { header } = parseByHand(bytes);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const data = dataBytes ?? bytes.subarray(8 + n);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('checkpoint encoding (safetensors layout)', () => {
  it('round trips every tensor bit-exactly, with shapes, order and metadata', () => {
    const c = sample();
    const back = decodeCheckpoint(encodeCheckpoint(c));
    expect(Object.keys(back.tensors)).toEqual(Object.keys(c.tensors));
    for (const [name, t] of Object.entries(c.tensors)) {
      expect(back.tensors[name].shape).toEqual(t.shape);
      expect(bitsOf(back.tensors[name].data)).toEqual(bitsOf(t.data));
    }
    expect(back.metadata).toEqual(c.metadata);
  });

  it('is standard safetensors: u64 LE header length, 8-aligned JSON header, offsets into LE f32 data', () => {
    const c = sample();
    const bytes = encodeCheckpoint(c);
    const { header, data } = parseByHand(bytes);
    expect((bytes.length - data.byteLength) % 8).toBe(0);
    expect(header.__metadata__).toEqual({ ...c.metadata, checksums: expect.stringMatching(/^{"crc32":{"a.W":"[0-9a-f]{8}"/) });
    for (const v of Object.values(header.__metadata__)) expect(typeof v).toBe('string');
    let total = 0;
    for (const [name, t] of Object.entries(c.tensors)) {
      const e = header[name];
      expect(e.dtype).toBe('F32');
      expect(e.shape).toEqual(t.shape);
      const [begin, end] = e.data_offsets;
      expect(end - begin).toBe(4 * t.data.length);
      const bits = Array.from({ length: t.data.length }, (_, i) => data.getUint32(begin + 4 * i, true));
      expect(bits).toEqual(bitsOf(t.data));
      total += end - begin;
    }
    expect(data.byteLength).toBe(total);
  });

  it('a truncated file is a CheckpointError', () => {
    const bytes = encodeCheckpoint(sample());
    expectCheckpointError(bytes.subarray(0, 5), '(header)');
    expectCheckpointError(bytes.subarray(0, 40), /runs past the end/);
    expectCheckpointError(bytes.subarray(0, bytes.length - 4), /outside the|truncated/);
  });

  it('a corrupted header is a CheckpointError', () => {
    const bytes = encodeCheckpoint(sample()).slice();
    bytes[9] = 0x7b; // '{' inside the JSON: not JSON any more
    bytes[10] = 0x7b;
    expectCheckpointError(bytes, '(header)');
    const good = encodeCheckpoint(sample());
    expectCheckpointError(withHeader(good, (h) => (h['a.W'].dtype = 'F64')), 'a.W');
    expectCheckpointError(withHeader(good, (h) => (h['a.W'].data_offsets = [0, 1e9])), 'a.W');
    expectCheckpointError(withHeader(good, (h) => (h.__metadata__.format_version = 1)), '__metadata__.format_version');
    expectCheckpointError(withHeader(good, (h) => (h.scalar.data_offsets = [0, 4])), /overlap/);
  });

  it('a shape that does not match its bytes is a CheckpointError naming the tensor', () => {
    const good = encodeCheckpoint(sample());
    expectCheckpointError(withHeader(good, (h) => (h['a.W'].shape = [3, 4])), 'a.W');
    expectCheckpointError(withHeader(good, (h) => (h['a.W'].shape = [2, -4])), 'a.W');
    expect(() => encodeCheckpoint({ tensors: { x: { shape: [3], data: new Float32Array(2) } }, metadata: {} })).toThrow(CheckpointError);
  });

  it('trailing bytes after the last tensor are refused', () => {
    const good = encodeCheckpoint(sample());
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expectCheckpointError(longer, '(data)');
  });
});

describe('checkpoint files', () => {
  it('saveCheckpoint writes atomically (no temporary file left) and loadCheckpoint reads it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grapheme-ckpt-'));
    const path = join(dir, 'run.safetensors');
    await saveCheckpoint(path, sample());
    await saveCheckpoint(path, encodeCheckpoint(sample())); // overwrite in place
    expect(readdirSync(dir)).toEqual(['run.safetensors']);
    const back = await loadCheckpoint(path);
    expect(bitsOf(back.tensors['a.W'].data)).toEqual(bitsOf(sample().tensors['a.W'].data));
    expect((await readCheckpointBytes(path)).length).toBe(encodeCheckpoint(sample()).length);
    await expect(saveCheckpoint(join(dir, 'missing-dir', 'x.safetensors'), sample())).rejects.toThrow();
    expect(existsSync(join(dir, 'missing-dir'))).toBe(false);
  });
});
