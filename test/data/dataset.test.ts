import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchIterator, DataOptionError, DataGenerator, Dataset, DatasetError, checkRecord, parseJsonl, parseRecordLine, serializeRecord, toJsonl } from '../../src/data/index';
import { loadDataset, loadJsonl, readJsonl, writeJsonl } from '../../src/data/jsonl-node';

const records = new DataGenerator({ seed: 'jsonl' }).take(4, 40);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('JSONL', () => {
  it('serialises in the DESIGN key order and parses back', () => {
    const line = serializeRecord(records[0]);
    expect(Object.keys(JSON.parse(line))).toEqual(['id', 'level', 'polish', 'bindings', 'graph', 'result_numeric', 'result_symbolic', 'result_graph']);
    expect(parseRecordLine(line, 1)).toEqual(records[0]);
    expect(parseJsonl(toJsonl(records)).records).toEqual(records);
  });

  it('a malformed line is a typed error with its line number and field', () => {
    const lines = toJsonl(records.slice(0, 3)).split('\n');
    const bad = JSON.parse(lines[1]);
    bad.graph.nodes[2].type = 'number';
    lines[1] = JSON.stringify(bad);
    lines.splice(2, 0, '{"id": "x",');
    const text = lines.join('\n');
    let error: DatasetError | null = null;
    try {
      parseJsonl(text);
    } catch (err) {
      error = err as DatasetError;
    }
    expect(error).toBeInstanceOf(DatasetError);
    expect(error!.line).toBe(2);
    expect(error!.field).toBe('graph.nodes[2].type');
    expect(error!.message).toContain('line 2: graph.nodes[2].type');
    const { records: kept, skipped } = parseJsonl(text, { skipMalformed: true });
    expect(kept).toHaveLength(2);
    expect(skipped.map((e) => [e.line, e.field])).toEqual([[2, 'graph.nodes[2].type'], [3, '']]);
    const { dataset, skipped: count } = Dataset.fromJsonl(text, { skipMalformed: true });
    expect([dataset.size, count]).toEqual([2, 2]);
  });

  it('checkRecord catches wrong answers and tampered fields', () => {
    const tampered = structuredClone(records[1]);
    tampered.result_numeric = (tampered.result_numeric ?? 0) + 1;
    expect(checkRecord(tampered).map((p) => p.field)).toContain('result_numeric');
    const wrongGraph = structuredClone(records[2]);
    wrongGraph.graph = records[3].graph;
    expect(checkRecord(wrongGraph).map((p) => p.field)).toContain('graph');
    const notCanonical = structuredClone(records[3]);
    notCanonical.polish = notCanonical.polish.replace(/ /g, '  ');
    expect(checkRecord(notCanonical).map((p) => p.field)).toContain('polish');
    const wrongLevel = { ...structuredClone(records[0]), level: 1 };
    expect(checkRecord(wrongLevel).map((p) => p.field)).toContain('level');
  });

  it('streams files in Node, writing atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grapheme-jsonl-'));
    dirs.push(dir);
    const path = join(dir, 'sub', 'data.jsonl');
    expect(await writeJsonl(path, records)).toBe(records.length);
    expect(await readdir(join(dir, 'sub'))).toEqual(['data.jsonl']);
    const streamed = [];
    for await (const r of readJsonl(path)) streamed.push(r);
    expect(streamed).toEqual(records);
    await writeFile(path, (await readFile(path, 'utf8')) + 'not json\n\n');
    await expect(loadJsonl(path)).rejects.toMatchObject({ name: 'DatasetError', line: records.length + 1 });
    const { records: kept, skipped } = await loadJsonl(path, { skipMalformed: true });
    expect([kept.length, skipped.length]).toEqual([records.length, 1]);
    const { dataset } = await loadDataset(path, { skipMalformed: true });
    expect(dataset.records).toEqual(records);
  });
});

describe('BatchIterator', () => {
  const items = Array.from({ length: 10 }, (_, i) => i);

  it('covers every item once per epoch, with a seeded shuffle', () => {
    const batches = [...new BatchIterator(items, { batchSize: 4, seed: 1, epochs: 2 })];
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2, 4, 4, 2]);
    expect(batches.slice(0, 3).flat().sort((a, b) => a - b)).toEqual(items);
    expect(batches.slice(3).flat().sort((a, b) => a - b)).toEqual(items);
    expect(batches.slice(0, 3).flat()).not.toEqual(batches.slice(3).flat());
    expect([...new BatchIterator(items, { batchSize: 4, seed: 1, epochs: 2 })]).toEqual(batches);
    expect([...new BatchIterator(items, { batchSize: 4, seed: 2, epochs: 2 })]).not.toEqual(batches);
  });

  it('drops the last partial batch when asked, and can run unshuffled', () => {
    expect([...new BatchIterator(items, { batchSize: 4, dropLast: true, epochs: 3 })].map((b) => b.length)).toEqual([4, 4, 4, 4, 4, 4]);
    expect([...new BatchIterator(items, { batchSize: 3, shuffle: false })]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect(new BatchIterator(items, { batchSize: 4, dropLast: true }).batchesPerEpoch).toBe(2);
    expect([...new BatchIterator(items, { batchSize: 11, dropLast: true })]).toEqual([]);
    expect(() => new BatchIterator(items, { batchSize: 0 })).toThrow(DataOptionError);
  });

  it('resumes exactly from a saved state', () => {
    const full = [...new BatchIterator(items, { batchSize: 3, seed: 5, epochs: 3 })];
    const first = new BatchIterator(items, { batchSize: 3, seed: 5, epochs: 3 });
    const head = [first.next()!, first.next()!, first.next()!, first.next()!, first.next()!];
    const saved = JSON.parse(JSON.stringify(first.state()));
    const resumed = new BatchIterator(items, { batchSize: 3, seed: 999, epochs: 3 });
    resumed.setState(saved);
    expect([...head, ...resumed]).toEqual(full);
  });

  it('batches a Dataset', () => {
    const dataset = new Dataset(records);
    const batches = [...dataset.batches({ batchSize: 16, seed: 3 })];
    expect(batches.map((b) => b.length)).toEqual([16, 16, 8]);
    expect(dataset.ofLevel(4).size).toBe(40);
  });
});
