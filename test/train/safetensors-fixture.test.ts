// Reads a file written by an independent safetensors writer (scripts/fixtures/train_safetensors.py:
// plain struct/json/numpy, tensors laid out in another order than the header lists them).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/train/checkpoint';

const dir = new URL('../fixtures/train/', import.meta.url);
const bytes = new Uint8Array(readFileSync(new URL('independent.safetensors', dir)));
const expected = JSON.parse(readFileSync(new URL('independent.expected.json', dir), 'utf8')) as {
  tensors: Record<string, { shape: number[]; bits: number[] }>;
  metadata: Record<string, string>;
};

describe('safetensors written by an independent writer', () => {
  it('decodes every tensor bit-exactly by its data_offsets, and the metadata', () => {
    const c = decodeCheckpoint(bytes);
    expect(Object.keys(c.tensors).sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, e] of Object.entries(expected.tensors)) {
      expect(c.tensors[name].shape, name).toEqual(e.shape);
      expect(Array.from(new Uint32Array(c.tensors[name].data.buffer)), name).toEqual(e.bits);
    }
    expect(c.metadata).toEqual(expected.metadata);
  });

  it('re-encodes to a file that decodes to the same contents', () => {
    const c = decodeCheckpoint(bytes);
    const again = decodeCheckpoint(encodeCheckpoint(c));
    for (const [name, t] of Object.entries(c.tensors)) {
      expect(Array.from(new Uint32Array(again.tensors[name].data.buffer))).toEqual(Array.from(new Uint32Array(t.data.buffer)));
    }
  });
});
