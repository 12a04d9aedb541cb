import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Level } from '../../src/data/levels';
import { readCheckpointBytes, saveCheckpoint } from '../../src/train/checkpoint-node';
import { Tape } from '../../src/autograd/index';
import { createBackend } from '../../src/backend/index';
import { buildPlan, numericLoss, numericTarget, planInput } from '../../src/model/index';
import { cosine } from '../../src/schedule/index';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, Trainer, TrainingConfigError, type TrainingConfigInput } from '../../src/train/index';

const BACKENDS = ['js', 'wasm'] as const;

function bits(values: number[]): string[] {
  // float64 bit patterns: === on numbers would let -0 === 0 through
  return values.map((v) => {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, v);
    return dv.getBigUint64(0).toString(16);
  });
}

function weightBits(t: Trainer): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, w] of Object.entries(t.model.stateDict())) out[name] = Array.from(new Uint32Array(w.buffer));
  return out;
}

const small = (backend: 'js' | 'wasm'): TrainingConfigInput => ({
  seed: 'resume check',
  backend,
  levels: [1, 2],
  steps: 20,
  batchSize: 16,
  accumulationSteps: 2,
  learningRate: 3e-2,
  optimizer: { name: 'adamw', weightDecay: 1e-3 },
  schedule: { kind: 'warmupCosine', warmupSteps: 4, totalSteps: 20 },
  maxGradNorm: 1,
  evalEvery: 0,
  model: { hidden: 8 },
});

describe('Trainer: bit-identical resume', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: 7 steps + checkpoint + fresh backend + 13 steps = 20 uninterrupted steps, bit for bit`, async () => {
      const config = small(backend);
      const whole = await Trainer.create(config);
      expect((await whole.run()).reason).toBe('done');
      const uninterrupted = whole.history.map((m) => m.loss);
      expect(uninterrupted).toHaveLength(20);
      expect(new Set(uninterrupted).size).toBe(20); // the losses do move: the comparison is not vacuous

      const first = await Trainer.create(config);
      await first.run({ until: 7 });
      const bytes = first.checkpoint();
      // the optimizer buffers travel as tensors, not JSON numbers
      const names = Object.keys(decodeCheckpoint(bytes).tensors);
      expect(names.filter((n) => n.startsWith('optim.')).length).toBe(2 * names.filter((n) => n.startsWith('model.')).length);
      const resumed = await Trainer.resume(bytes, { backend: await createBackend(backend) });
      expect(resumed.backend).not.toBe(first.backend);
      expect(resumed.step).toBe(7);
      expect((await resumed.run()).steps).toBe(20);
      const joined = [...first.history, ...resumed.history].map((m) => m.loss);
      expect(bits(joined)).toEqual(bits(uninterrupted));
      expect(weightBits(resumed)).toEqual(weightBits(whole));
      expect(resumed.history.map((m) => m.lr)).toEqual(whole.history.slice(7).map((m) => m.lr));
    }, 60_000);
  }
});

describe('Trainer', () => {
  it('learns level 1: the objective falls ≥ 10× and held-out accuracy reaches ≥ 60% in 300 steps (wasm)', async () => {
    // measured with this seed: mean loss of the first 10 steps 3.93, of the last 10 0.041;
    // validation accuracy 31.7% / 20.7% / 76.7% at steps 100 / 200 / 300 (exact GED 0, 300 level-1 records of the 'val' split)
    const t = await Trainer.create({ seed: 'learn', backend: 'wasm', levels: [1], steps: 300, batchSize: 32, learningRate: 3e-2, schedule: { kind: 'cosine', totalSteps: 300, minLr: 1e-4 }, evalEvery: 100, evalSize: 300, model: { hidden: 16 } });
    await t.run();
    const mean = (ms: { loss: number }[]) => ms.reduce((a, m) => a + m.loss, 0) / ms.length;
    expect(mean(t.history.slice(-10))).toBeLessThan(mean(t.history.slice(0, 10)) / 10);
    expect(t.evals.at(-1)!.accuracy).toBeGreaterThanOrEqual(0.6);
  }, 60_000);

  for (const name of ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] as const) {
    it(`${name}: resume through a checkpoint FILE continues bit-identically (js, 3 + 3 steps)`, async () => {
      const options = name === 'sgd' ? { name, momentum: 0.9, nesterov: true } : name === 'rmsprop' ? { name, centered: true, momentum: 0.5 } : name === 'adam' ? { name, amsgrad: true } : { name };
      const config = { ...small('js'), steps: 6, accumulationSteps: 1, optimizer: options };
      const whole = await Trainer.create(config);
      await whole.run();
      const first = await Trainer.create(config);
      await first.run({ until: 3 });
      const dir = mkdtempSync(join(tmpdir(), 'grapheme-resume-'));
      const path = join(dir, 'step3.safetensors');
      await saveCheckpoint(path, first.checkpoint());
      const resumed = await Trainer.resume(await readCheckpointBytes(path));
      await resumed.run();
      expect(bits([...first.history, ...resumed.history].map((m) => m.loss))).toEqual(bits(whole.history.map((m) => m.loss)));
      expect(weightBits(resumed)).toEqual(weightBits(whole));
    }, 30_000);
  }

  it('rejects bad configs before creating anything', async () => {
    await expect(Trainer.create({ levels: [8 as Level], backend: 'js' })).rejects.toMatchObject({ field: 'levels[0]' });
    await expect(Trainer.create({ optimizer: { name: 'adam', betas: [0.9, 1] } })).rejects.toBeInstanceOf(TrainingConfigError);
  });

  it('per-step metrics: lr follows the schedule, gradNorm is the pre-clip norm, history and onStep agree', async () => {
    const seen: number[] = [];
    const t = await Trainer.create({ ...small('js'), steps: 6, schedule: { kind: 'cosine', totalSteps: 6 }, curriculum: { levelSteps: null } }, { onStep: (m) => seen.push(m.step) });
    await t.run();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    const schedule = cosine({ totalSteps: 6 });
    t.history.forEach((m, i) => {
      expect(m.lr).toBe(schedule.lr(i, 3e-2));
      expect(m.gradNorm).toBeGreaterThan(0);
      expect(m.samplesPerSec).toBeGreaterThan(0);
      expect([1, 2]).toContain(m.level);
      expect(m.applied).toBe(true);
    });
  });

  it('run() yields to the event loop and honours an AbortSignal', async () => {
    const t = await Trainer.create({ ...small('js'), steps: 100_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0); // can only fire if run() hands the loop back
    const result = await t.run({ signal: controller.signal });
    expect(result.reason).toBe('aborted');
    expect(result.steps).toBeGreaterThan(0);
    expect(result.steps).toBeLessThan(100_000);
    expect(t.step).toBe(result.steps);
  });

  it('a run aborted at an arbitrary step resumes from its checkpoint bit-identically', async () => {
    const config = { ...small('wasm'), steps: 100_000, accumulationSteps: 1 };
    const interrupted = await Trainer.create(config);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    const { steps } = await interrupted.run({ signal: controller.signal });
    const resumed = await Trainer.resume(interrupted.checkpoint());
    await resumed.run({ until: steps + 3 });
    const whole = await Trainer.create(config);
    await whole.run({ until: steps + 3 });
    expect(bits([...interrupted.history, ...resumed.history].map((m) => m.loss))).toEqual(bits(whole.history.map((m) => m.loss)));
  }, 60_000);

  it('trains and evaluates every numeric level (1–4, 6, 7), alone and mixed', async () => {
    for (const levels of [[1], [2], [3], [4], [6], [7], [1, 2, 3, 4, 6, 7]] as const) {
      const t = await Trainer.create({ seed: 'levels', backend: 'wasm', levels: [...levels], curriculum: { mode: 'mixed' }, steps: 2, batchSize: 16, evalEvery: 2, evalSize: 20, model: { hidden: 8, binaryUnits: ['product', 'ratio', 'power'] } });
      await t.run();
      for (const m of t.history) {
        expect(Number.isFinite(m.loss), `levels ${levels}`).toBe(true);
        expect(levels as readonly number[]).toContain(m.level);
      }
      expect(t.evals[0].count).toBe(20 * levels.length);
      expect(Object.keys(t.evals[0].perLevel)).toEqual(levels.map(String));
    }
  }, 60_000);

  it('accumulation: the update uses the MEAN of the micro-batch gradients (SGD, lr 1, no clipping)', async () => {
    const config = { ...small('js'), accumulationSteps: 3, batchSize: 4, learningRate: 1, optimizer: { name: 'sgd' as const }, schedule: { kind: 'constant' }, maxGradNorm: null };
    const t = await Trainer.create(config);
    const before = t.model.stateDict();
    t.trainStep();
    const after = t.model.stateDict();
    // reference: the same initial model, each micro-batch's gradient on its own, averaged in float64
    const ref = await Trainer.create(config);
    const params = ref.model.parameters();
    const sum = params.map((p) => new Float64Array(p.size));
    const tape = new Tape(ref.backend);
    for (let m = 0; m < 3; m++) {
      const batch = ref.trainBatch(0, m);
      expect(batch.map((r) => r.id)).toEqual(t.trainBatch(0, m).map((r) => r.id));
      params.forEach((p) => p.zeroGrad());
      const { loss } = numericLoss(tape, ref.model.net.forward(tape, buildPlan(batch.map(planInput))), batch.map(numericTarget));
      tape.backward(loss);
      tape.reset();
      params.forEach((p, i) => p.grad.forEach((g, j) => (sum[i][j] += g / 3)));
    }
    let checked = 0;
    params.forEach((p, i) => {
      for (let j = 0; j < p.size; j++) {
        const step = before[p.name][j] - after[p.name][j]; // = lr · g
        // float32 weights: before − after carries ~1 ulp of the weight; the mean itself ~1e-6 relative
        expect(Math.abs(step - sum[i][j]), `${p.name}[${j}]`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(sum[i][j]) + 2 ** -23 * Math.abs(before[p.name][j]));
        if (Math.abs(sum[i][j]) > 1e-3) checked++;
      }
    });
    expect(checked).toBeGreaterThan(10); // the comparison is not all zeros
  });

  it('clipping: the update has norm min(gradNorm, maxGradNorm), gradNorm reported before clipping (SGD, lr 1)', async () => {
    for (const maxGradNorm of [0.5, 1e6]) {
      const t = await Trainer.create({ ...small('js'), accumulationSteps: 1, learningRate: 1, optimizer: { name: 'sgd' }, schedule: { kind: 'constant' }, maxGradNorm });
      const before = t.model.stateDict();
      const { gradNorm } = t.trainStep();
      const after = t.model.stateDict();
      let sq = 0;
      for (const name of Object.keys(before)) before[name].forEach((w, j) => (sq += (w - after[name][j]) ** 2));
      expect(gradNorm).toBeGreaterThan(0.5);
      expect(Math.sqrt(sq) / Math.min(gradNorm, maxGradNorm)).toBeCloseTo(1, 4);
    }
  });

  it('evaluates every evalEvery steps and stops early after `patience` evaluations without progress', async () => {
    const evals: number[] = [];
    // a learning rate so small the accuracy cannot change: the second evaluation is stale
    const t = await Trainer.create({ ...small('wasm'), learningRate: 1e-12, evalEvery: 2, evalSize: 30, patience: 1 }, { onEval: (m) => evals.push(m.step) });
    const result = await t.run();
    expect(result).toEqual({ steps: 4, reason: 'early-stop' });
    expect(evals).toEqual([2, 4]);
    expect(t.evals[0].count).toBe(2 * 30); // evalSize records per level, levels 1 and 2
    expect(t.evals[1].staleEvals).toBe(1);
    expect(t.evals[1].bestStep).toBe(2);
  });

  it('resume checks the format version and the model/optimizer shapes, naming the tensor', async () => {
    const t = await Trainer.create({ ...small('js'), steps: 2 });
    await t.run();
    const good = decodeCheckpoint(t.checkpoint());
    const edited = (edit: (c: typeof good) => void) => {
      const c = decodeCheckpoint(encodeCheckpoint(good));
      edit(c);
      return encodeCheckpoint(c);
    };
    const fieldOf = async (bytes: Uint8Array) => {
      try {
        await Trainer.resume(bytes, { backend: await createBackend('js') });
      } catch (err) {
        expect(err).toBeInstanceOf(CheckpointError);
        return (err as CheckpointError).field;
      }
      throw new Error('resume accepted a bad checkpoint');
    };
    expect(await fieldOf(edited((c) => (c.metadata.format_version = '1')))).toBe('__metadata__.format_version');
    expect(await fieldOf(edited((c) => (c.metadata.config = JSON.stringify({ ...JSON.parse(c.metadata.config), model: { hidden: 4 } }))))).toMatch(/^model\./);
    expect(await fieldOf(edited((c) => delete c.tensors['optim.+.W.expAvg']))).toBe('optim.+.W.expAvg');
    expect(await fieldOf(edited((c) => (c.tensors['model.+.b'] = { shape: [3], data: new Float32Array(3) })))).toBe('model.+.b');
    expect(await fieldOf(edited((c) => (c.tensors.extra = { shape: [1], data: new Float32Array(1) })))).toBe('extra');
    expect(await fieldOf(edited((c) => delete c.metadata.scheduler))).toBe('__metadata__.scheduler');
    expect(await fieldOf(t.checkpoint().subarray(0, 100))).toBe('(header)');
    // the checkpoint's config is the file's: a bad value is a CheckpointError naming it under __metadata__.config
    expect(await fieldOf(edited((c) => (c.metadata.config = JSON.stringify({ steps: 0 }))))).toBe('__metadata__.config.steps');
  });
});
