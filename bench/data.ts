/**
 * Bench suite `data`: records per second of the curriculum generator, per level, on one
 * core. What is timed: drawing a batch of 64 verified records — random problem, engine
 * answer, independent float verification, graph and result-graph building (the work a
 * training step waits for) — and separately serialising them to JSONL and re-verifying
 * them from scratch as `grapheme-train validate` does. Medians of repetitions.
 *
 *   npx tsx bench/data.ts [--json] [--filter TEXT] [--quick]
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DataGenerator, LEVELS, checkRecord, serializeRecord } from '../src/data/index';
import { matches, measureSync, Reporter, type Suite, type SuiteOptions } from './util';

const BATCH = 64;

export const run: Suite = async (opts: SuiteOptions) => {
  const reporter = new Reporter(opts);
  const reps = opts.quick ? 3 : 7;
  const minSampleMs = opts.quick ? 20 : 150;
  for (const level of LEVELS) {
    const generator = new DataGenerator({ seed: `bench-${level}` });
    if (matches(opts, 'generate', `L${level}`, BATCH)) {
      const seconds = measureSync(() => generator.take(level, BATCH), reps, minSampleMs);
      reporter.add({ suite: 'data', name: `generate L${level}`, backend: 'js', size: BATCH, value: BATCH / seconds, unit: 'records/s' });
    }
    const sample = generator.take(level, BATCH);
    if (matches(opts, 'jsonl', `L${level}`, BATCH)) {
      const seconds = measureSync(() => sample.map(serializeRecord), reps, minSampleMs);
      reporter.add({ suite: 'data', name: `jsonl L${level}`, backend: 'js', size: BATCH, value: BATCH / seconds, unit: 'records/s' });
    }
    if (matches(opts, 'validate', `L${level}`, BATCH)) {
      const seconds = measureSync(() => sample.forEach(checkRecord), reps, minSampleMs);
      reporter.add({ suite: 'data', name: `validate L${level}`, backend: 'js', size: BATCH, value: BATCH / seconds, unit: 'records/s' });
    }
  }
  reporter.printTable('data: curriculum records per second (one core; batch of 64)', [
    'targets: generate >= 20000 records/s for levels 1-4, >= 2000 records/s for levels 5-7',
  ]);
  return reporter.rows;
};

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, filter: { type: 'string' }, quick: { type: 'boolean', default: false } },
  });
  await run({ json: values.json!, filter: values.filter, quick: values.quick! });
}
