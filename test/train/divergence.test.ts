import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train, type TrainIO } from '../../src/cli/train';
import { readCheckpointBytes } from '../../src/train/checkpoint-node';
import { checkDivergence, DivergenceMonitor } from '../../src/train/divergence';
import { Trainer, TrainingConfigError, validateConfig } from '../../src/train/index';

const update = (step: number, loss: number, gradNorm = 1, applied = true) => ({ step, loss, gradNorm, applied });

describe('DivergenceMonitor', () => {
  it('stops on a loss or gradient norm past its bound, or on updates skipped in a row', () => {
    const m = new DivergenceMonitor({ maxLoss: 100, maxGradNorm: 1000, maxSkipped: 3 });
    expect(m.observe(update(1, 99, 999))).toBeNull();
    expect(m.observe(update(2, 101))).toBe('loss 1.01e+2 at update 2 exceeds divergence.maxLoss 100');
    expect(m.observe(update(3, 1, 1001))).toBe('gradient norm 1.00e+3 at update 3 exceeds divergence.maxGradNorm 1000');
    // a non-finite loss is a skipped update, not a loss past the bound; an applied update resets the count
    expect(m.observe(update(4, NaN, NaN, false))).toBeNull();
    expect(m.observe(update(5, Infinity, 1, false))).toBeNull();
    expect(m.observe(update(6, 1))).toBeNull();
    expect(m.observe(update(7, NaN, NaN, false))).toBeNull();
    expect(m.observe(update(8, 1, 1, false))).toBeNull();
    expect(m.observe(update(9, NaN, NaN, false))).toBe('3 updates in a row skipped (non-finite loss or gradients) up to update 9 (divergence.maxSkipped 3)');
    const off = new DivergenceMonitor(null);
    expect(off.observe(update(1, 1e30, 1e30, false))).toBeNull();
  });

  it('is configured in the TrainingConfig, every field checked', () => {
    expect(validateConfig({}).divergence).toEqual({ maxLoss: 1e6, maxGradNorm: 1e7, maxSkipped: 10 });
    expect(validateConfig({ divergence: null }).divergence).toBeNull();
    expect(validateConfig({ divergence: { maxLoss: null, maxSkipped: 0 } }).divergence).toEqual({ maxLoss: null, maxGradNorm: 1e7, maxSkipped: 0 });
    for (const [bad, field] of [[{ maxLoss: -1 }, 'divergence.maxLoss'], [{ maxSkipped: 1.5 }, 'divergence.maxSkipped'], [{ maxloss: 1 }, 'divergence.maxloss'], [[], 'divergence']] as const) {
      expect(() => checkDivergence(bad)).toThrow(TrainingConfigError);
      try {
        checkDivergence(bad);
      } catch (err) {
        expect((err as TrainingConfigError).field).toBe(field);
      }
    }
  });
});

describe('a diverging run', () => {
  it('Trainer.run stops when weights turned NaN make every update a skipped one', async () => {
    const trainer = await Trainer.create({ levels: [1], batchSize: 4, model: { hidden: 4 }, backend: 'js', evalEvery: 0, steps: 100, divergence: { maxSkipped: 4 } });
    for (const p of trainer.model.parameters()) p.data.fill(NaN); // the loss's own weights among them
    const result = await trainer.run();
    expect(result).toEqual({ steps: 4, reason: 'diverged', detail: '4 updates in a row skipped (non-finite loss or gradients) up to update 4 (divergence.maxSkipped 4)' });
    expect(trainer.history.map((m) => m.applied)).toEqual([false, false, false, false]);
  });

  it('the CLI stops a run at learning rate 1e3 with a message, exit 1, and a finite, loadable last good checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grapheme-diverge-'));
    try {
      const config = join(dir, 'lr.json');
      await writeFile(config, JSON.stringify({ levels: [1], steps: 200, evalEvery: 1, evalSize: 8, learningRate: 1000, batchSize: 8, model: { hidden: 8 }, backend: 'js', seed: 4 }));
      let out = '';
      let err = '';
      const io: TrainIO = { out: (t) => void (out += t), err: (t) => void (err += t), tty: false };
      const outcome = await train({ config, out: join(dir, 'out') }, io);
      expect(outcome.exitCode).toBe(1);
      expect(outcome.reason).toBe('diverged');
      expect(outcome.steps).toBeLessThan(10);
      const kept = await Trainer.resume(await readCheckpointBytes(join(dir, 'out', 'checkpoint.safetensors')));
      expect(kept.step).toBeLessThan(outcome.steps!);
      for (const p of kept.model.parameters()) for (const v of p.data) expect(Math.abs(v)).toBeLessThan(1e4);
      expect(err).toBe(`grapheme-train train: the run diverged: ${/loss \S+ at update \d+ exceeds divergence\.maxLoss 1000000/.exec(err)![0]}; stopped, ${join(dir, 'out', 'checkpoint.safetensors')} keeps update ${kept.step}, the last good weights (lower the learning rate, or set "divergence" in the config)\n`);
      expect((await readdir(join(dir, 'out'))).sort()).toEqual(['best.safetensors', 'checkpoint.safetensors', 'metrics.jsonl']);
      expect(out).not.toContain('held-out test');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
