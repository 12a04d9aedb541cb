// A user's own model through the Trainer (examples/custom-model.ts: an MLP on a toy regression):
// it learns, with a schedule; its run folder has metrics.jsonl, checkpoints and report.html;
// a resumed checkpoint continues bit for bit; early stopping and best weights follow one rule.
import { mkdtempSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG, data, Regressor } from '../../examples/custom-model';
import { createBackend } from '../../src/backend/index';
import { Trainer, TrainerError } from '../../src/train/index';
import { RunFiles } from '../../src/entry/files';

const bits = (xs: number[]) => xs.map((x) => new Float64Array([x])).map((a) => new BigUint64Array(a.buffer)[0].toString(16));

async function trainer(config: object = {}) {
  const backend = await createBackend('wasm');
  return Trainer.create({ ...CONFIG, ...config }, { backend, model: new Regressor(backend), data: data() });
}

describe('a custom model through the Trainer', () => {
  it('learns the regression on a schedule, and the run folder has metrics.jsonl, both checkpoints and report.html', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custom-model-'));
    const backend = await createBackend('wasm');
    const files = await RunFiles.open(dir);
    const t = await Trainer.create({ ...CONFIG, patience: 0 }, { backend, model: new Regressor(backend), data: data(), ...files.events });
    const before = t.test().perLevel.all.accuracy;
    const result = await t.run({ onEvaluated: () => files.checkpoint(t) });
    expect(result).toEqual({ steps: CONFIG.steps, reason: 'done' });
    // the cosine schedule: the rate falls from the base to minLr
    expect(t.history[0].lr).toBe(CONFIG.learningRate);
    expect(t.history.at(-1)!.lr).toBeLessThan(2e-4);
    const { test, report } = await files.finish(t);
    expect(before).toBeLessThan(0.2);
    expect(test.perLevel.all.accuracy).toBeGreaterThan(0.9);
    expect((await readdir(dir)).sort()).toEqual(['best.safetensors', 'checkpoint.safetensors', 'metrics.jsonl', 'report.html']);
    const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.kind === 'step')).toHaveLength(CONFIG.steps);
    expect(lines.filter((l) => l.kind === 'eval')).toHaveLength(CONFIG.steps / CONFIG.evalEvery);
    expect(lines.at(-1)).toMatchObject({ kind: 'final', step: test.step });
    expect(report.path).toBe(join(dir, 'report.html'));
  }, 60_000);

  it('resumes bit-identically from a checkpoint (fresh backend, fresh model), best weights included', async () => {
    const whole = await trainer({ steps: 600, evalEvery: 200, patience: 0 });
    await whole.run();
    const first = await trainer({ steps: 600, evalEvery: 200, patience: 0 });
    await first.run({ until: 250 });
    const backend = await createBackend('wasm');
    const resumed = await Trainer.resume(first.checkpoint(), { backend, model: new Regressor(backend), data: data() });
    expect(resumed.bestEvaluation).toEqual(first.bestEvaluation);
    await resumed.run();
    expect(bits([...first.history, ...resumed.history].map((m) => m.loss))).toEqual(bits(whole.history.map((m) => m.loss)));
    expect(resumed.bestEvaluation).toEqual(whole.bestEvaluation);
    expect(resumed.test().perLevel.all).toEqual(whole.test().perLevel.all);
  }, 60_000);

  it('stops early after `patience` evaluations without a better score, and tests the best weights', async () => {
    // a rate so small that nothing improves after the first evaluations
    const t = await trainer({ learningRate: 1e-7, schedule: { kind: 'constant' }, patience: 2, evalEvery: 10 });
    const result = await t.run();
    expect(result.reason).toBe('early-stop');
    expect(t.evals.at(-1)!.staleEvals).toBe(2);
    expect(t.step).toBe(t.bestEvaluation.step + 20);
    expect(t.test().step).toBe(t.bestEvaluation.step);
  });

  it("refuses parameters with the same name, and selectBy 'min-accuracy' without an accuracy", async () => {
    const backend = await createBackend('js');
    const model = new Regressor(backend);
    const twice = { parameters: () => [...model.parameters(), model.parameters()[0]], loss: model.loss.bind(model), evaluate: model.evaluate.bind(model) };
    await expect(Trainer.create(CONFIG, { model: twice, data: data() })).rejects.toThrow(TrainerError);
    const noAccuracy = { parameters: () => model.parameters(), loss: model.loss.bind(model), evaluate: (r: readonly unknown[]) => ({ count: r.length }) };
    const t = await Trainer.create({ ...CONFIG, evalEvery: 1, steps: 1 }, { model: noAccuracy, data: data() });
    expect(() => t.evaluate()).toThrow(/reports no accuracy/);
    const byLoss = await Trainer.create({ ...CONFIG, evalEvery: 1, steps: 1, selectBy: 'loss' }, { model: noAccuracy, data: data() });
    expect(byLoss.evaluate().score).toBeLessThan(0);
  });
});
