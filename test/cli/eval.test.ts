import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, type EvalIO } from '../../src/cli/eval';
import { DataGenerator } from '../../src/data/generator';
import { serializeRecord } from '../../src/data/jsonl';
import type { DatasetRecord } from '../../src/data/record';
import { saveCheckpoint } from '../../src/train/checkpoint-node';
import { Trainer } from '../../src/train/trainer';

let dir: string;
let checkpoint: string;
let trainer: Trainer;

function capture(): EvalIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), stdout: () => out, stderr: () => err };
}

/**
 * Records whose right answers are known by construction: the first `right` of each level
 * get the model's own decoded answer as their result graph, the others that answer's value
 * + 1000 (one relabelled node: GED 1, not equivalent).
 */
function scoredRecords(level: 1 | 2, count: number, right: number): DatasetRecord[] {
  return new DataGenerator({ seed: `eval test L${level}` }).take(level, count).map((r, i) => {
    const predicted = trainer.model.predict(r.polish, r.bindings).toJSON();
    const node = predicted.nodes[0];
    const value = i < right ? node.value : Number(node.value) + 1000;
    return { ...r, result_graph: { nodes: [{ ...node, value }], edges: [] } } as DatasetRecord;
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grapheme-eval-'));
  trainer = await Trainer.create({ seed: 'eval', backend: 'js', levels: [1, 2], steps: 3, batchSize: 8, evalEvery: 0, model: { hidden: 8 } });
  await trainer.run();
  checkpoint = join(dir, 'checkpoint.safetensors');
  await saveCheckpoint(checkpoint, trainer.checkpoint());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tsx = () => join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');

describe('grapheme-train eval', () => {
  it('scores a JSONL file per level: accuracy, mean GED and equivalence match answers known by construction', async () => {
    const input = join(dir, 'known.jsonl');
    const records = [...scoredRecords(1, 10, 4), ...scoredRecords(2, 8, 6)];
    await writeFile(input, records.map(serializeRecord).join('\n') + '\n');
    // labels the engine disagrees with: refused unless --no-verify
    const checked = capture();
    expect((await evaluate({ checkpoint, input, backend: 'js' }, checked)).exitCode).toBe(2);
    expect(checked.stderr()).toMatch(new RegExp(`^grapheme-train eval: --input: ${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+ of 18 records rejected by the engine \\(first: line 1: result_graph: expected .*\\); nothing scored \\(validate lists them all; --no-verify scores them as they are\\)\n$`));
    expect(checked.stdout()).toBe('');
    const io = capture();
    const { exitCode, report } = await evaluate({ checkpoint, input, backend: 'js', verify: false }, io);
    expect(exitCode).toBe(0);
    expect(io.stderr()).toBe('');
    expect(report!.step).toBe(3);
    expect(report!.perLevel).toEqual({
      1: { count: 10, accuracy: 0.4, meanGed: 0.6, equivalence: 0.4 },
      2: { count: 8, accuracy: 0.75, meanGed: 0.25, equivalence: 0.75 },
    });
    expect(io.stdout()).toMatch(/level\s+records\s+accuracy\s+mean GED\s+equivalent\n\s+1\s+10\s+40\.0%\s+0\.600\s+40\.0%\n\s+2\s+8\s+75\.0%\s+0\.250\s+75\.0%/);
  });

  it('generates held-out test records with --level/--samples; --json prints one object', async () => {
    const io = capture();
    const { report } = await evaluate({ checkpoint, level: '2', samples: '25', backend: 'js', json: true }, io);
    const printed = JSON.parse(io.stdout());
    expect(printed).toEqual(JSON.parse(JSON.stringify(report)));
    expect(printed.records).toBe(25);
    expect(Object.keys(printed.perLevel)).toEqual(['2']);
    expect(printed.perLevel[2].count).toBe(25);
  });

  it.each([
    [{ input: 'MISSING' }, /--input: cannot read .*MISSING/],
    [{ level: '8' }, /--level: expected an integer in \[1, 7\], got '8'/],
    [{}, /--input: give either/],
    [{ level: '1', input: 'x.jsonl' }, /--input: give either/],
    [{ level: '1', backend: 'gpu' }, /--backend: expected wasm, js or auto/],
  ])('bad flags %j: exit code 2 and a message naming the flag', async (flags, message) => {
    const io = capture();
    expect((await evaluate({ checkpoint, ...flags }, io)).exitCode).toBe(2);
    expect(io.stderr()).toMatch(message);
    expect(io.stdout()).toBe('');
  });

  it('a malformed JSONL line: exit code 2 naming the file, the line and the field', async () => {
    const good = serializeRecord(scoredRecords(1, 1, 1)[0]);
    const broken = join(dir, 'broken.jsonl');
    await writeFile(broken, `${good}\n\n{"id": "x", "level": 1,\n${good}\n`);
    const io = capture();
    expect((await evaluate({ checkpoint, input: broken, backend: 'js' }, io)).exitCode).toBe(2);
    expect(io.stderr()).toContain(`${broken}:3: invalid JSON`);
    const badField = join(dir, 'bad-field.jsonl');
    await writeFile(badField, `${good}\n${good.replace('"level":1', '"level":"one"')}\n`);
    const io2 = capture();
    expect((await evaluate({ checkpoint, input: badField, backend: 'js' }, io2)).exitCode).toBe(2);
    expect(io2.stderr()).toContain(`${badField}:2: level:`);
  });

  it('an unreadable checkpoint: exit code 2 naming the file (missing, not safetensors, truncated)', async () => {
    const garbage = join(dir, 'garbage.safetensors');
    await writeFile(garbage, 'not a checkpoint at all');
    const truncated = join(dir, 'truncated.safetensors');
    await writeFile(truncated, trainer.checkpoint().subarray(0, 200));
    for (const [path, message] of [
      [join(dir, 'none.safetensors'), /--checkpoint: cannot read .*none\.safetensors/],
      [garbage, /--checkpoint: .*garbage\.safetensors is not a readable grapheme-train checkpoint: /],
      [truncated, /--checkpoint: .*truncated\.safetensors is not a readable grapheme-train checkpoint: /],
    ] as const) {
      const io = capture();
      expect((await evaluate({ checkpoint: path, level: '1', samples: '5' }, io)).exitCode, path).toBe(2);
      expect(io.stderr()).toMatch(message);
    }
  });

  it('through the real command: --json on success (exit 0), a malformed file exits with code 2', async () => {
    const ok = spawnSync(process.execPath, [tsx(), 'src/cli/main.ts', 'eval', '--checkpoint', checkpoint, '--level', '1', '--samples', '20', '--backend', 'js', '--json'], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).perLevel[1].count).toBe(20);
    const bad = join(dir, 'bad-cli.jsonl');
    await writeFile(bad, '{"id":\n');
    const failed = spawnSync(process.execPath, [tsx(), 'src/cli/main.ts', 'eval', '--checkpoint', checkpoint, '--input', bad], { encoding: 'utf8' });
    expect(failed.status).toBe(2);
    expect(failed.stderr).toContain(`${bad}:1: invalid JSON`);
  }, 30_000);
});
