import { describe, expect, it } from 'vitest';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, Trainer } from '../../src/train/index';
import { crc32Hex } from '../../src/util/crc32';

async function tinyCheckpoint(): Promise<Uint8Array> {
  const trainer = await Trainer.create({ levels: [1], batchSize: 4, model: { hidden: 4 }, backend: 'js', evalEvery: 0 });
  trainer.trainStep();
  return trainer.checkpoint();
}

/** The tensor whose data holds byte `at` of the file, from the header's offsets. */
function tensorAt(bytes: Uint8Array, at: number): string {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets?: [number, number] }>;
  for (const [name, e] of Object.entries(header)) {
    if (e.data_offsets && at - 8 - n >= e.data_offsets[0] && at - 8 - n < e.data_offsets[1]) return name;
  }
  throw new Error('not in a tensor');
}

async function refusal(bytes: Uint8Array): Promise<CheckpointError> {
  const err = await Trainer.resume(bytes).then(
    () => null,
    (e) => e,
  );
  expect(err).toBeInstanceOf(CheckpointError);
  return err as CheckpointError;
}

describe('checkpoint integrity', () => {
  it('crc32 is the IEEE CRC-32', () => {
    expect(crc32Hex(new TextEncoder().encode('123456789'))).toBe('cbf43926');
    expect(crc32Hex(new Uint8Array(0))).toBe('00000000');
  });

  it('a flipped byte anywhere in the data section is refused, naming the tensor', async () => {
    const good = await tinyCheckpoint();
    const contents = decodeCheckpoint(good);
    expect(contents.checksummed).toBe(true);
    expect(contents.metadata.checksums).toBeUndefined();
    const dataStart = 8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
    for (const at of [dataStart, dataStart + 1001, good.length - 1]) {
      const bad = good.slice();
      bad[at] ^= 0x10;
      const name = tensorAt(bad, at);
      expect(() => decodeCheckpoint(bad)).toThrow(CheckpointError);
      const e = await refusal(bad);
      expect(e.field).toBe(name);
      expect(e.message).toMatch(new RegExp(`^checkpoint ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: data does not match its checksum \\(crc32 [0-9a-f]{8}, stored [0-9a-f]{8}\\): the file is corrupt$`));
    }
  });

  it('non-finite weights are refused on load with the tensor named, even with a valid checksum', async () => {
    const contents = decodeCheckpoint(await tinyCheckpoint());
    const name = Object.keys(contents.tensors).find((k) => k.startsWith('model.'))!;
    for (const value of [NaN, Infinity, -Infinity]) {
      const data = contents.tensors[name].data.slice();
      data[2] = value;
      const e = await refusal(encodeCheckpoint({ ...contents, tensors: { ...contents.tensors, [name]: { ...contents.tensors[name], data } } }));
      expect(e.field).toBe(name);
      expect(e.message).toContain(`holds ${value} at index 2: the weights or optimizer state are not finite`);
    }
  });

  it('version 4 needs its checksums; other versions (an older layout) are refused by name', async () => {
    const good = await tinyCheckpoint();
    const contents = decodeCheckpoint(good);
    // strip the checksums by hand: a header without the key
    const n = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + n)));
    const withoutSums = (version: string) => {
      delete header.__metadata__.checksums;
      header.__metadata__.format_version = version;
      let json = new TextEncoder().encode(JSON.stringify(header));
      const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
      padded.set(json);
      json = padded;
      const out = new Uint8Array(8 + json.length + good.length - 8 - n);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      out.set(good.subarray(8 + n), 8 + json.length);
      return out;
    };
    expect((await refusal(withoutSums('4'))).field).toBe('__metadata__.checksums');
    expect((await refusal(withoutSums('3'))).field).toBe('__metadata__.format_version');
    expect((await refusal(withoutSums('2'))).field).toBe('__metadata__.format_version');
    expect(contents.metadata.format_version).toBe('4');
  });
});
