// Smoke test of the data bench suite: quick mode, level 7 only (through --filter); rows have the
// documented shape. Speeds are not asserted here: the machine is shared.
import { describe, expect, it } from 'vitest';
import { run } from '../../bench/data';

describe('bench data (smoke)', () => {
  it('reports records/s for generate, jsonl and validate', async () => {
    const rows = await run({ json: false, quick: true, filter: 'L7' });
    expect(rows.map((r) => r.name).sort()).toEqual(['generate L7', 'jsonl L7', 'validate L7']);
    for (const row of rows) {
      expect(row).toMatchObject({ suite: 'data', backend: 'js', size: 64, unit: 'records/s' });
      expect(Number.isFinite(row.value) && row.value > 0).toBe(true);
    }
  });
});
