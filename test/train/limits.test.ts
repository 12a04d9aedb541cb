import { describe, expect, it } from 'vitest';
import type { Level } from '../../src/data/levels';
import { createBackend } from '../../src/backend/index';
import { DagNN } from '../../src/model/index';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, Trainer, TrainingConfigError, validateConfig } from '../../src/train/index';
import { checkResources, MAX_RECORDS_PER_PASS, MAX_STEPS, parameterCount, runBytes, runtimeBudget } from '../../src/train/limits';

function refusal(f: () => unknown): TrainingConfigError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(TrainingConfigError);
    return err as TrainingConfigError;
  }
  throw new Error('expected a TrainingConfigError');
}

describe('static bounds (validateConfig)', () => {
  it.each([
    [{ steps: 1e20 }, 'steps', `must be in [1, ${MAX_STEPS}]`],
    [{ batchSize: 1e9 }, 'batchSize', `must be in [1, ${MAX_RECORDS_PER_PASS}]`],
    [{ accumulationSteps: 1e9 }, 'accumulationSteps', `must be in [1, ${MAX_RECORDS_PER_PASS}]`],
    [{ batchSize: 4096, accumulationSteps: 64 }, 'accumulationSteps', '4096 × 64 = 262144 records per update'],
    [{ evalSize: 1e9 }, 'evalSize', `must be in [1, ${MAX_RECORDS_PER_PASS}]`],
    [{ testSize: 1e9 }, 'testSize', `must be in [1, ${MAX_RECORDS_PER_PASS}]`],
    [{ curriculum: { levelSteps: 1e12 } }, 'curriculum.levelSteps', `must be in [1, ${MAX_STEPS}]`],
    [{ model: { hidden: 5000 } }, 'model.hidden', 'must be in [1, 4096]'],
  ])('%j is refused on %s', (config, field, reason) => {
    const e = refusal(() => validateConfig(config));
    expect(e.field).toBe(field);
    expect(e.reason).toContain(reason);
  });
});

describe('resource bounds (checkResources, in Trainer.create)', () => {
  it('counts the parameters of the real model at any width without building it', async () => {
    for (const [hidden, units] of [[8, undefined], [24, ['product', 'ratio', 'power']], [33, ['product']]] as const) {
      const model = new DagNN(await createBackend('js'), { hidden, binaryUnits: units });
      expect(parameterCount(hidden, units)).toBe(model.parameters().reduce((n, p) => n + p.data.length, 0));
    }
  });

  it('its estimates are lower bounds of what a run really takes', async () => {
    for (const levels of [[1], [2], [4], [5], [6], [7]] as Level[][]) {
      const trainer = await Trainer.create({ levels, batchSize: 16, model: { hidden: 12 }, backend: 'js', evalEvery: 0, seed: 1 });
      trainer.trainStep();
      trainer.trainStep();
      const stats = trainer.backend.heap.stats();
      const need = runBytes({ ...trainer.config, evalSize: 1, testSize: 1 });
      expect(stats.persistentBytes, `level ${levels}`).toBeGreaterThanOrEqual(need.persistentBytes);
      expect(stats.peakStepBytes, `level ${levels}`).toBeGreaterThanOrEqual(need.arenaBytes);
    }
  });

  it('model.hidden 4096 is refused in milliseconds, naming the heap limit and the widest that fits', async () => {
    const started = performance.now();
    const e = await Trainer.create({ model: { hidden: 4096 }, backend: 'js' }).then(
      () => null,
      (err) => err,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(e).toBeInstanceOf(TrainingConfigError);
    expect(e.field).toBe('model.hidden');
    expect(e.message).toMatch(/^model\.hidden: 4096 needs 11\.5 GiB for 772,378,838 parameters with their gradients and adam state, more than the 2\.0 GiB heap limit \(the widest that fits: about \d+\)$/);
  });

  it('a batch whose step arena cannot fit the heap names batchSize; records that cannot fit the JS heap name their field', () => {
    const config = validateConfig({ levels: [5], batchSize: 65536, accumulationSteps: 1, model: { hidden: 512 } });
    const arena = refusal(() => checkResources(config, { heapBytes: 2 ** 31 }));
    expect(arena.field).toBe('batchSize');
    expect(arena.reason).toMatch(/step arena .* more than the 2\.0 GiB heap limit \(at most about \d+ records per micro-batch/);
    const held = refusal(() => checkResources(validateConfig({ evalSize: 60000, testSize: 60000 }), { heapBytes: 2 ** 31, jsHeapBytes: 2 ** 32 }));
    expect(held.field).toBe('evalSize');
    expect(held.reason).toMatch(/JS memory, more than half the 4\.0 GiB JS heap limit/);
    const machine = refusal(() => checkResources(validateConfig({ model: { hidden: 1024 } }), { heapBytes: 2 ** 32, machineBytes: 2 ** 30 }));
    expect(machine.field).toBe('model.hidden');
    // the defaults fit this machine
    expect(() => checkResources(validateConfig({}), runtimeBudget())).not.toThrow();
  });

  it('a checkpoint whose metadata asks for too much is refused on resume, naming the metadata field', async () => {
    const trainer = await Trainer.create({ levels: [1], batchSize: 4, model: { hidden: 4 }, backend: 'js', evalEvery: 0 });
    const contents = decodeCheckpoint(trainer.checkpoint());
    for (const [change, field] of [[{ batchSize: 1e9 }, '__metadata__.config.batchSize'], [{ model: { hidden: 4096 } }, '__metadata__.config.model.hidden']] as const) {
      const config = { ...JSON.parse(contents.metadata.config), ...change };
      const bytes = encodeCheckpoint({ tensors: contents.tensors, metadata: { ...contents.metadata, config: JSON.stringify(config) } });
      const started = performance.now();
      const e = await Trainer.resume(bytes).then(
        () => null,
        (err) => err,
      );
      expect(performance.now() - started).toBeLessThan(1000);
      expect(e).toBeInstanceOf(CheckpointError);
      expect(e.field).toBe(field);
    }
  });
});
