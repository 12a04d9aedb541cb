import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, TrainingConfigError, validateConfig } from '../../src/train/config';
import { loadConfig } from '../../src/train/config-node';

function fieldOf(json: unknown): string {
  try {
    validateConfig(json);
  } catch (err) {
    expect(err).toBeInstanceOf(TrainingConfigError);
    return (err as TrainingConfigError).field;
  }
  throw new Error('validateConfig accepted a bad config');
}

describe('validateConfig', () => {
  it('fills in every documented default from an empty object', () => {
    const c = validateConfig({});
    expect(c).toEqual(DEFAULT_CONFIG);
    expect(c).not.toBe(DEFAULT_CONFIG);
    expect(c.optimizer.name).toBe('adam');
    expect(c.model.hidden).toBe(32);
    expect(c.levels).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(c.curriculum).toEqual({ mode: 'progressive', threshold: 0.95, levelSteps: 'auto', restartSchedule: true, replay: 0.3, weights: null, stages: null, stageSteps: null, guard: null });
    expect([c.exactness, c.groupLr, c.model.exact]).toEqual([null, null, false]);
  });

  it('accepts per-level curriculum maps', () => {
    const c = validateConfig({ levels: [1, 5, 7], curriculum: { levelSteps: { 1: 10, 5: 20 }, mode: 'mixed', weights: { 7: 3 } } });
    expect(c.levels).toEqual([1, 5, 7]);
    expect(c.curriculum).toEqual({ mode: 'mixed', threshold: 0.95, levelSteps: { 1: 10, 5: 20 }, restartSchedule: true, replay: 0.3, weights: { 7: 3 }, stages: null, stageSteps: null, guard: null });
    expect(validateConfig({ curriculum: { levelSteps: null } }).curriculum.levelSteps).toBeNull();
  });

  it('keeps given values', () => {
    const c = validateConfig({ seed: 'x', backend: 'js', levels: [2, 7], steps: 5, batchSize: 3, learningRate: 0.1, optimizer: { name: 'sgd', momentum: 0.9, nesterov: true }, schedule: { kind: 'cosine', totalSteps: 5 }, maxGradNorm: null, model: { hidden: 8 } });
    expect(c.levels).toEqual([2, 7]);
    expect(c.optimizer).toEqual({ name: 'sgd', momentum: 0.9, nesterov: true });
    expect(c.maxGradNorm).toBeNull();
    expect(c.model).toEqual({ hidden: 8, valueScale: 100, binaryUnits: ['product', 'ratio'], exact: false, quadraturePoints: 16, rootSteps: 10, decoderBeam: 5 });
  });

  it('names the field of every bad value', () => {
    const cases: [unknown, string][] = [
      [null, '(config)'],
      [[], '(config)'],
      [{ learning_rate: 1 }, 'learning_rate'],
      [{ seed: NaN }, 'seed'],
      [{ seed: {} }, 'seed'],
      [{ backend: 'gpu' }, 'backend'],
      [{ levels: [] }, 'levels'],
      [{ levels: 1 }, 'levels'],
      [{ levels: [1, 0] }, 'levels[1]'],
      [{ levels: [8] }, 'levels[0]'],
      [{ levels: [1.5] }, 'levels[0]'],
      [{ levels: [2, 2] }, 'levels[1]'],
      [{ steps: 0 }, 'steps'],
      [{ steps: 2.5 }, 'steps'],
      [{ steps: '10' }, 'steps'],
      [{ batchSize: 0 }, 'batchSize'],
      [{ accumulationSteps: 0 }, 'accumulationSteps'],
      [{ learningRate: 0 }, 'learningRate'],
      [{ learningRate: Infinity }, 'learningRate'],
      [{ optimizer: 'adam' }, 'optimizer'],
      [{ optimizer: { name: 'lbfgs' } }, 'optimizer.name'],
      [{ optimizer: { name: 'adam', betas: [0.9, 1] } }, 'optimizer.betas[1]'],
      [{ optimizer: { name: 'adam', betas: [-0.1, 0.9] } }, 'optimizer.betas[0]'],
      [{ optimizer: { name: 'adam', betas: [0.9] } }, 'optimizer.betas'],
      [{ optimizer: { name: 'adam', eps: -1 } }, 'optimizer.eps'],
      [{ optimizer: { name: 'adamw', weightDecay: -1 } }, 'optimizer.weightDecay'],
      [{ optimizer: { name: 'adam', amsgrad: 1 } }, 'optimizer.amsgrad'],
      [{ optimizer: { name: 'adam', momentum: 0.9 } }, 'optimizer.momentum'],
      [{ optimizer: { name: 'adam', lr: 0.1 } }, 'optimizer.lr'],
      [{ optimizer: { name: 'sgd', dampening: 2 } }, 'optimizer.dampening'],
      [{ optimizer: { name: 'sgd', nesterov: true } }, 'optimizer.nesterov'],
      [{ optimizer: { name: 'rmsprop', alpha: 1.5 } }, 'optimizer.alpha'],
      [{ optimizer: { name: 'rmsprop', centered: 'yes' } }, 'optimizer.centered'],
      [{ optimizer: { name: 'adagrad', lrDecay: -1 } }, 'optimizer.lrDecay'],
      [{ schedule: { kind: 'zigzag' } }, 'schedule.kind'],
      [{ schedule: 'cosine' }, 'schedule'],
      [{ maxGradNorm: 0 }, 'maxGradNorm'],
      [{ maxGradNorm: 'big' }, 'maxGradNorm'],
      [{ nodeLossWeight: -1 }, 'nodeLossWeight'],
      [{ nodeLossWeight: 0, auxLossWeight: 0 }, 'nodeLossWeight'],
      [{ edgeLossWeight: -1 }, 'edgeLossWeight'],
      [{ auxLossWeight: NaN }, 'auxLossWeight'],
      [{ evalEvery: -1 }, 'evalEvery'],
      [{ evalSize: 0 }, 'evalSize'],
      [{ testSize: 1.5 }, 'testSize'],
      [{ curriculum: 'progressive' }, 'curriculum'],
      [{ curriculum: { mode: 'random' } }, 'curriculum.mode'],
      [{ curriculum: { treshold: 0.9 } }, 'curriculum.treshold'],
      [{ curriculum: { threshold: 1.2 } }, 'curriculum.threshold'],
      [{ curriculum: { replay: 1 } }, 'curriculum.replay'],
      [{ curriculum: { restartSchedule: 'yes' } }, 'curriculum.restartSchedule'],
      [{ curriculum: { replay: -0.1 } }, 'curriculum.replay'],
      [{ curriculum: { levelSteps: 0 } }, 'curriculum.levelSteps'],
      [{ curriculum: { levelSteps: 'many' } }, 'curriculum.levelSteps'],
      [{ levels: [1, 2], curriculum: { levelSteps: { 1: 100, 3: 100 } } }, 'curriculum.levelSteps.3'],
      [{ levels: [1, 2], curriculum: { levelSteps: { 2: 1.5 } } }, 'curriculum.levelSteps.2'],
      [{ levels: [1, 2], curriculum: { mode: 'mixed', weights: { 1: -1 } } }, 'curriculum.weights.1'],
      [{ levels: [1, 2], curriculum: { mode: 'mixed', weights: { 1: 0, 2: 0 } } }, 'curriculum.weights'],

      [{ patience: -1 }, 'patience'],
      [{ patience: 3, evalEvery: 0 }, 'patience'],
      [{ model: [] }, 'model'],
      [{ model: { hiden: 8 } }, 'model.hiden'],
      [{ model: { hidden: 0 } }, 'model.hidden'],
      [{ model: { valueScale: 0 } }, 'model.valueScale'],
      [{ model: { binaryUnits: ['sum'] } }, 'model.binaryUnits[0]'],
    ];
    for (const [json, field] of cases) expect(fieldOf(json), JSON.stringify(json)).toBe(field);
  });

  it('says why, with the range', () => {
    expect(() => validateConfig({ optimizer: { name: 'adam', betas: [0.9, 1] } })).toThrow('optimizer.betas[1]: must be in [0, 1), got 1');
  });

  it('stages, the guard, group rates and exactness are checked and filled in', () => {
    expect(fieldOf({ curriculum: { stages: 'width' } })).toBe('curriculum.stages');
    expect(fieldOf({ levels: [2], curriculum: { stageSteps: { 3: [1] } } })).toBe('curriculum.stageSteps.3');
    expect(fieldOf({ levels: [2], curriculum: { stageSteps: { 2: [1, 0] } } })).toBe('curriculum.stageSteps.2[1]');
    expect(fieldOf({ curriculum: { guard: { drop: 2 } } })).toBe('curriculum.guard.drop');
    expect(fieldOf({ groupLr: { values: -1 } })).toBe('groupLr.values');
    expect(fieldOf({ exactness: { ramp: [0.7, 0.3] } })).toBe('exactness.ramp');
    expect(fieldOf({ exactness: { snapAt: [0] } })).toBe('exactness.snapAt[0]');
    expect(validateConfig({ exactness: {} }).exactness).toEqual({ group: 'values', sparsity: 1, ramp: [0.3, 0.7], clamp: 1, snapAt: [0.85, 1], probeSize: 300 });
    expect(validateConfig({ curriculum: { guard: {} } }).curriculum.guard).toEqual({ drop: 0.01, boost: 4 });
  });

  it('selectBy, data and the auto schedule and budgets are checked', () => {
    expect(fieldOf({ selectBy: 'max' })).toBe('selectBy');
    expect(fieldOf({ data: 3 })).toBe('data');
    expect(fieldOf({ curriculum: { levelSteps: 'some' } })).toBe('curriculum.levelSteps');
    expect(validateConfig({}).schedule).toBe('auto');
    expect(validateConfig({}).curriculum.levelSteps).toBe('auto');
  });

  it('a schedule whose own options are bad is rejected under schedule', () => {
    const field = fieldOf({ schedule: { kind: 'cosine' } });
    expect(field.startsWith('schedule')).toBe(true);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grapheme-config-'));
  it('reads and validates a JSON file', async () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify({ steps: 7, model: { hidden: 4 } }));
    const c = await loadConfig(path);
    expect(c.steps).toBe(7);
    expect(c.model.hidden).toBe(4);
  });
  it('bad JSON and bad fields are TrainingConfigErrors', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "steps": ');
    await expect(loadConfig(bad)).rejects.toBeInstanceOf(TrainingConfigError);
    const typo = join(dir, 'typo.json');
    writeFileSync(typo, '{ "stpes": 3 }');
    await expect(loadConfig(typo)).rejects.toMatchObject({ field: 'stpes' });
  });
});
