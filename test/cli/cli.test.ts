import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/cli/generate';
import { validate } from '../../src/cli/validate';
import { splitOf } from '../../src/data/index';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grapheme-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = { seed: 7, valFraction: 0.1, testFraction: 0.1, progress: false };

describe('generate', () => {
  it('writes level_L/{train,val,test}.jsonl split by hash, and validate passes', async () => {
    const out = join(dir, 'split');
    const [summary] = await generate({ ...base, levels: [2], samples: 400, split: true, out });
    expect((await readdir(join(out, 'level_2'))).sort()).toEqual(['test.jsonl', 'train.jsonl', 'val.jsonl']);
    let total = 0;
    for (const split of ['train', 'val', 'test'] as const) {
      const lines = (await readFile(join(out, 'level_2', `${split}.jsonl`), 'utf8')).trim().split('\n');
      total += lines.length;
      for (const line of lines) expect(splitOf(JSON.parse(line).polish)).toBe(split);
    }
    expect(total).toBe(400);
    expect(Object.values(summary.files).reduce((a, b) => a + b, 0)).toBe(400);
    const report = await validate(out);
    expect([report.files, report.records, report.bad.length]).toEqual([3, 400, 0]);
  });

  it('writes one file without --split, identical for the same seed', async () => {
    await generate({ ...base, levels: [1, 7], samples: 50, split: false, out: join(dir, 'a') });
    await generate({ ...base, levels: [1, 7], samples: 50, split: false, out: join(dir, 'b') });
    for (const level of [1, 7]) {
      const a = await readFile(join(dir, 'a', `level_${level}`, 'data.jsonl'), 'utf8');
      expect(a).toBe(await readFile(join(dir, 'b', `level_${level}`, 'data.jsonl'), 'utf8'));
      expect(a.trim().split('\n')).toHaveLength(50);
    }
  });
});

describe('validate', () => {
  it('reports bad records with line numbers', async () => {
    await generate({ ...base, levels: [3], samples: 20, split: false, out: join(dir, 'bad') });
    const path = join(dir, 'bad', 'level_3', 'data.jsonl');
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    const wrong = JSON.parse(lines[4]);
    wrong.result_numeric += 1;
    lines[4] = JSON.stringify(wrong);
    lines[9] = '{"truncated":';
    await writeFile(path, lines.join('\n') + '\n');
    const report = await validate(path);
    expect(report.records).toBe(20);
    expect(report.bad.map((b) => [b.line, b.field])).toEqual([[5, 'result_numeric'], [10, '']]);
  });
});

describe('bin/grapheme-train', () => {
  it('runs generate and validate, exiting 1 on bad records', async () => {
    const out = join(dir, 'bin');
    const bin = join(process.cwd(), 'bin', 'grapheme-train.js');
    const gen = spawnSync(process.execPath, [bin, 'generate', '--level', '5', '--samples', '30', '--seed', '3', '--out', out], { encoding: 'utf8' });
    expect(gen.status).toBe(0);
    expect(gen.stdout).toContain('level 5: 30 ->');
    expect((await validate(out)).bad).toEqual([]);
    const path = join(out, 'level_5', 'data.jsonl');
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    const wrong = JSON.parse(lines[2]);
    wrong.result_symbolic = '(* 3 x)';
    lines[2] = JSON.stringify(wrong);
    await writeFile(path, lines.join('\n') + '\n');
    const bad = spawnSync(process.execPath, [bin, 'validate', '--input', path], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(`${path}:3: result_symbolic: expected`);
    const usage = spawnSync(process.execPath, [bin, 'generate', '--level', '9', '--out', out], { encoding: 'utf8' });
    expect(usage.status).not.toBe(0);
    expect(usage.stderr).toContain('levels are 1-7');
  });
});
