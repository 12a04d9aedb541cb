import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLevels, train, type TrainIO } from '../../src/cli/train';
import { readCheckpointBytes } from '../../src/train/checkpoint-node';
import { decodeCheckpoint } from '../../src/train/checkpoint';
import { Trainer } from '../../src/train/trainer';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grapheme-train-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Captures what the command prints. */
function capture(signal?: AbortSignal): TrainIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), tty: false, signal, stdout: () => out, stderr: () => err };
}

async function metricsLines(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
}

// hidden 8, batch 8: a few milliseconds per update on the js backend
const TINY = { levels: [1], batchSize: 8, evalEvery: 3, evalSize: 20, model: { hidden: 8 }, backend: 'js' };

describe('grapheme-train train', () => {
  it('trains, logs one metrics line per update, writes a checkpoint that decodes, and --resume continues the step count', async () => {
    const out = join(dir, 'run');
    const config = join(dir, 'tiny.json');
    await writeFile(config, JSON.stringify({ ...TINY, steps: 100 }));
    // the --steps flag overrides the file's steps
    const io = capture();
    const first = await train({ config, steps: '5', out, seed: '3', levelEvalSize: '10' }, io);
    expect(first).toMatchObject({ exitCode: 0, steps: 5, reason: 'done' });
    expect(io.stderr()).toBe('');
    expect(io.stdout()).toContain(join(out, 'checkpoint.safetensors'));
    expect(io.stdout()).toMatch(/eval @ 3: L1 \d+\.\d%/);
    expect(io.stdout()).toMatch(/held-out test records per level \(weights of update \d+\):\n.*\n\s+1\s+10\s/);

    const all = await metricsLines(join(out, 'metrics.jsonl'));
    // a step-0 baseline, the evaluations, the last weights evaluated, then the held-out test on
    // the best evaluated weights (the Trainer's rule: the earliest best score, step 0 included)
    const evals = all.filter((l) => l.kind === 'eval') as unknown as { step: number; accuracy: number }[];
    const bestStep = evals.reduce((b, e) => (e.accuracy > b.accuracy ? e : b)).step;
    expect(all.map((l) => `${l.kind}${l.step}`)).toEqual(['eval0', 'step1', 'step2', 'step3', 'eval3', 'step4', 'step5', 'eval5', `final${bestStep}`]);
    const lines = all.filter((l) => l.kind === 'step');
    for (const l of lines) {
      for (const field of ['loss', 'lr', 'gradNorm', 'samplesPerSec']) expect(Number.isFinite(l[field]), field).toBe(true);
      expect(l.level).toBe(1);
      expect(l.levels).toEqual([1]);
      expect(l.applied).toBe(true);
    }
    const evalLine = all.find((l) => l.kind === 'eval') as { perLevel: Record<string, Record<string, number>>; accuracy: number; meanGed: number };
    expect(Object.keys(evalLine.perLevel)).toEqual(['1']);
    expect(Object.keys(evalLine.perLevel[1]).sort()).toEqual(['accuracy', 'count', 'equivalence', 'loss', 'meanGed']);
    expect(evalLine.perLevel[1].count).toBe(20);
    expect(evalLine.accuracy).toBe(evalLine.perLevel[1].accuracy);
    const final = all.at(-1) as { perLevel: Record<string, Record<string, number>> };
    expect(final.perLevel[1].count).toBe(10);

    const contents = decodeCheckpoint(await readCheckpointBytes(join(out, 'checkpoint.safetensors')));
    expect(contents.metadata.step).toBe('5');
    const saved = JSON.parse(contents.metadata.config);
    expect([saved.steps, saved.seed, saved.model.hidden, saved.backend]).toEqual([5, 3, 8, 'js']);
    expect(Object.keys(contents.tensors).some((k) => k.startsWith('model.'))).toBe(true);
    // no temporary file left next to it
    expect((await readdir(out)).sort()).toEqual(['best.safetensors', 'checkpoint.safetensors', 'metrics.jsonl', 'report.html']);

    // the per-update losses the first run logged are those a fresh trainer of the same config computes
    const reference = await Trainer.create(saved);
    for (const l of lines) expect(reference.trainStep().loss).toBe(l.loss);

    const resumed = await train({ resume: join(out, 'checkpoint.safetensors'), steps: '8', out, levelEvalSize: '10' }, capture());
    expect(resumed).toMatchObject({ exitCode: 0, steps: 8 });
    // the first run's final record is dropped: the log reads as one run of 8 updates
    const log = await metricsLines(join(out, 'metrics.jsonl'));
    const after = log.filter((l) => l.kind !== 'eval');
    // the best evaluation is carried by the checkpoint: the whole run's earliest best score
    const best = (log.filter((l) => l.kind === 'eval') as unknown as { step: number; accuracy: number }[]).reduce((b, e) => (e.accuracy > b.accuracy ? e : b)).step;
    expect(after.map((l) => `${l.kind}${l.step}`)).toEqual(['step1', 'step2', 'step3', 'step4', 'step5', 'step6', 'step7', 'step8', `final${best}`]);
    // and it continued bit-identically: updates 6-8 are those of the uninterrupted trainer
    for (const l of after.filter((l) => l.kind === 'step').slice(5)) expect(reference.trainStep().loss).toBe(l.loss);
    expect(decodeCheckpoint(await readCheckpointBytes(join(out, 'checkpoint.safetensors'))).metadata.step).toBe('8');
  });

  it('a curriculum run: logs the level change, prints per-level tables with loss and equivalence', async () => {
    const out = join(dir, 'curriculum');
    const config = join(dir, 'curriculum.json');
    await writeFile(config, JSON.stringify({ ...TINY, levels: [2, 1], steps: 6, evalEvery: 4, evalSize: 10, curriculum: { levelSteps: { 1: 3 } } }));
    const io = capture();
    expect(await train({ config, out, levelEvalSize: '8', tables: true }, io)).toMatchObject({ exitCode: 0, steps: 6 });
    const text = io.stdout();
    expect(text).toMatch(/progressive levels 1 → 2/);
    expect(text).toMatch(/level 1 → 2 at step 3 \(budget of 3 updates spent\)/);
    expect(text).toMatch(/level\s+records\s+accuracy\s+mean GED\s+equivalent\s+loss\n\s+1\s+10\s.*\n\s+2\s+10\s/);
    const all = await metricsLines(join(out, 'metrics.jsonl'));
    expect(all.filter((l) => l.kind === 'level')).toEqual([{ kind: 'level', step: 3, from: 1, to: 2, reason: 'budget' }]);
    // the level record follows the step that spent the budget
    expect(all.findIndex((l) => l.kind === 'level')).toBe(all.findIndex((l) => l.kind === 'step' && l.step === 3) + 1);
    expect(all.filter((l) => l.kind === 'step').map((l) => l.level)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(Object.keys((all.at(-1) as { perLevel: object }).perLevel)).toEqual(['1', '2']);
  });

  it('an aborted run stops between updates and still writes its checkpoint', async () => {
    const out = join(dir, 'aborted');
    const config = join(dir, 'long.json');
    await writeFile(config, JSON.stringify({ ...TINY, steps: 100000, evalEvery: 0 }));
    const abort = new AbortController();
    const io = capture(abort.signal);
    const outcome = train({ config, out, levelEvalSize: '10' }, io);
    setTimeout(() => abort.abort(), 300);
    const result = await outcome;
    expect(result.reason).toBe('aborted');
    expect(result.steps).toBeGreaterThan(0);
    expect(result.steps).toBeLessThan(100000);
    const ckpt = decodeCheckpoint(await readCheckpointBytes(join(out, 'checkpoint.safetensors')));
    expect(Number(ckpt.metadata.step)).toBe(result.steps);
    // an aborted run logs its updates, no final test record
    expect((await metricsLines(join(out, 'metrics.jsonl'))).map((l) => l.kind)).toEqual(Array(result.steps).fill('step'));
    expect(io.stdout()).toContain('--resume');
  });

  it.each([
    [{ steps: '-3' }, 'steps'],
    [{ steps: 'many' }, 'steps'],
    [{ levels: '1,9' }, 'levels[1]'],
    [{ levels: 'one' }, 'levels'],
    [{ backend: 'gpu' }, 'backend'],
  ])('a bad flag %j exits with code 2, names %s, and writes nothing', async (bad, field) => {
    const out = join(dir, 'bad-flag');
    const io = capture();
    expect((await train({ backend: 'js', ...bad, out }, io)).exitCode).toBe(2);
    expect(io.stderr()).toMatch(new RegExp(`^grapheme-train train: ${field.replace(/[[\]]/g, '\\$&')}: `));
    expect(existsSync(out)).toBe(false);
  });

  it('a config file with a typo in a key exits with code 2 through the real CLI, naming the key, and writes nothing', () => {
    const out = join(dir, 'typo');
    const config = join(dir, 'typo.json');
    return writeFile(config, JSON.stringify({ ...TINY, learning_rate: 0.1 })).then(() => {
      const tsx = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');
      const run = spawnSync(process.execPath, [tsx, 'src/cli/main.ts', 'train', '--config', config, '--out', out], { encoding: 'utf8' });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/learning_rate: unknown key/);
      expect(existsSync(out)).toBe(false);
    });
  });

  it('--resume refuses flags the checkpoint fixes', async () => {
    const io = capture();
    expect((await train({ resume: join(dir, 'run', 'checkpoint.safetensors'), levels: '2', out: join(dir, 'never') }, io)).exitCode).toBe(2);
    expect(io.stderr()).toMatch(/--levels: cannot be changed on --resume/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

describe('parseLevels', () => {
  it('reads ranges and lists, and hands back anything else for validateConfig to name', () => {
    expect(parseLevels('1-4')).toEqual([1, 2, 3, 4]);
    expect(parseLevels('1-4,6,7')).toEqual([1, 2, 3, 4, 6, 7]);
    expect(parseLevels(' 2 ')).toEqual([2]);
    expect(parseLevels('4-1')).toBe('4-1');
    expect(parseLevels('x')).toBe('x');
  });
});
