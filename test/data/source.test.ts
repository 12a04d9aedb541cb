// Record sources: in-memory arrays (epochs of seeded permutations), records by level and split
// (generate's files), and the CLI training on a folder that `generate --split` wrote.
import { mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/cli/generate';
import { train, type TrainIO } from '../../src/cli/train';
import { ArraySource, DataGenerator, RecordLevels, RecordSourceError, splitOf } from '../../src/data/index';
import { loadLevelFiles } from '../../src/data/jsonl-node';

const request = (update: number, size: number, micro = 0, micros = 1) => ({ update, micro, micros, size });

describe('ArraySource', () => {
  it('every epoch sees every record once, in a seeded order; a batch is a pure function of the request', () => {
    const train = Array.from({ length: 10 }, (_, i) => i);
    const a = new ArraySource({ train, seed: 's' });
    const epoch0 = [0, 1, 2, 3, 4].flatMap((u) => a.batch(request(u, 2)));
    const epoch1 = [5, 6, 7, 8, 9].flatMap((u) => a.batch(request(u, 2)));
    expect([...epoch0].sort((x, y) => x - y)).toEqual(train);
    expect([...epoch1].sort((x, y) => x - y)).toEqual(train);
    expect(epoch0).not.toEqual(epoch1);
    expect(epoch0).not.toEqual(train); // shuffled
    // asked out of order, or by a fresh source: the same records
    expect(new ArraySource({ train, seed: 's' }).batch(request(7, 2))).toEqual(a.batch(request(7, 2)));
    // micro-batches tile the update: update 1 of 2 micro-batches of 2 = records 4…7 of the stream
    expect([a.batch(request(1, 2, 0, 2)), a.batch(request(1, 2, 1, 2))].flat()).toEqual([...epoch0.slice(4, 8)]);
    expect(new ArraySource({ train, shuffle: false }).batch(request(3, 4))).toEqual([2, 3, 4, 5]);
    expect(a.heldOut('val', 5)).toEqual({});
    expect(new ArraySource({ train, val: { a: [1, 2, 3], b: [4] } }).heldOut('val', 2)).toEqual({ a: [1, 2], b: [4] });
    expect(() => new ArraySource({ train: [] })).toThrow(RecordSourceError);
  });
});

describe('RecordLevels and generate files', () => {
  it('draws training records by level weight from the train split only; held-out records in file order', () => {
    const records = new DataGenerator({ seed: 'levels' }).take(1, 300).concat(new DataGenerator({ seed: 'levels' }).take(2, 300));
    const bySplit = { train: records.filter((r) => splitOf(r.polish) === 'train'), val: records.filter((r) => splitOf(r.polish) === 'val'), test: records.filter((r) => splitOf(r.polish) === 'test') };
    const pool = new RecordLevels(bySplit);
    expect(pool.levels('train')).toEqual([1, 2]);
    const drawn = pool.draw('seed', 'train', 400, { 1: 0.25, 2: 0.75 });
    expect(drawn.every((r) => bySplit.train.includes(r))).toBe(true);
    const share = drawn.filter((r) => r.level === 2).length / drawn.length;
    expect(share).toBeGreaterThan(0.65);
    expect(share).toBeLessThan(0.85);
    expect(pool.draw('seed', 'train', 400, { 1: 0.25, 2: 0.75 })).toEqual(drawn);
    expect(pool.draw('other', 'val', 5, { 2: 1 })).toEqual(bySplit.val.filter((r) => r.level === 2).slice(0, 5));
    expect(() => pool.draw('s', 'train', 1, { 3: 1 })).toThrow(/no train records of level 3/);
  });

  it('the train command trains on a folder generate --split wrote (levels from the folder), and names a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gen-data-'));
    await generate({ levels: [1], samples: 400, seed: 'files', split: true, valFraction: 0.1, testFraction: 0.1, out: dir, progress: false });
    const pool = await loadLevelFiles(dir);
    expect(pool.levels('train')).toEqual([1]);
    let out = '';
    let err = '';
    const io: TrainIO = { out: (t) => void (out += t), err: (t) => void (err += t), tty: false };
    const outcome = await train({ data: dir, steps: '40', backend: 'js', out: join(dir, 'run'), seed: '1' }, io);
    expect(err).toBe('');
    expect(outcome).toMatchObject({ exitCode: 0, steps: 40 });
    expect(out).toContain(`from ${dir}`);
    expect(outcome.heldOut!.map((r) => [r.level, r.count])).toEqual([[1, Math.min(500, pool.records('test', 1).length)]]);
    // a level folder without its val file: exit 2, the path named
    await mkdir(join(dir, 'bad', 'level_2'), { recursive: true });
    await writeFile(join(dir, 'bad', 'level_2', 'train.jsonl'), '');
    err = '';
    expect((await train({ data: join(dir, 'bad'), steps: '5', out: join(dir, 'run2') }, io)).exitCode).toBe(2);
    expect(err).toMatch(/level_2\/val\.jsonl: missing/);
  }, 60_000);
});
