// Smoke test of the parallel bench suite: quick mode, levels 1–4 only (through --filter); the
// rows have the documented shape and the 2-worker trainer really ran on 2 workers (the suite
// throws otherwise). Speeds are not asserted here: the machine is shared.
import { describe, expect, it } from 'vitest';
import { run } from '../../bench/parallel';

describe('bench parallel (smoke)', () => {
  it('reports samples/s for 1 and 2 workers, their ratios, the controls and the ceiling', async () => {
    const rows = await run({ json: false, quick: true, filter: 'levels 1-4' });
    const speeds = rows.filter((r) => r.unit === 'samples/s');
    expect(speeds.map((r) => [r.name, r.size])).toEqual([
      ['levels 1-4 mixed', 1],
      ['levels 1-4 mixed', 2],
      ['levels 1-4 mixed one micro-batch', 1],
      ['levels 1-4 mixed transferred buffers', 2],
    ]);
    for (const row of rows) {
      expect(row.suite).toBe('parallel');
      expect(Number.isFinite(row.value) && row.value > 0).toBe(true);
    }
    expect(rows.filter((r) => r.unit === 'x').map((r) => r.name)).toEqual([
      'levels 1-4 mixed 2 workers / 1 worker',
      'levels 1-4 mixed 2 workers / 1 worker, median of per-round ratios',
      'levels 1-4 mixed 2 workers / 1 worker one micro-batch',
      'levels 1-4 mixed 2 workers transferred buffers / 1 worker, median of per-round ratios',
      'control during levels 1-4 mixed: arithmetic loop 2 threads / 1 thread',
      'control during levels 1-4 mixed: allocating loop 2 threads / 1 thread',
      'ceiling during levels 1-4 mixed: two independent 1-worker trainers / one',
      'levels 1-4 mixed 2 workers / 1 worker, against the ceiling (median of per-round shares)',
    ]);
  }, 120_000);
});
