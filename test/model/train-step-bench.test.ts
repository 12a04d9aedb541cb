// Smoke test of the train-step bench suite: quick mode, the 10-node workload only; rows
// have the documented shape. Speeds are not asserted here: the machine is shared.
import { describe, expect, it } from 'vitest';
import { run } from '../../bench/train-step';

describe('bench train-step (smoke)', () => {
  it('reports samples/s and µs/node per backend and the wasm/js ratio', async () => {
    const rows = await run({ json: false, quick: true, filter: 'nodes 10' });
    const names = rows.map((r) => `${r.name} ${r.backend} ${r.unit}`).sort();
    expect(names).toEqual([
      'nodes 10 js samples/s',
      'nodes 10 per node js µs/node',
      'nodes 10 per node wasm µs/node',
      'nodes 10 plan host µs/batch',
      'nodes 10 wasm samples/s',
      'nodes 10 wasm/js wasm x',
    ]);
    for (const row of rows) {
      expect(row.suite).toBe('train-step');
      expect(Number.isFinite(row.value) && row.value > 0).toBe(true);
    }
  });
});
