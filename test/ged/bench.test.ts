import { describe, expect, it, vi } from 'vitest';
import { run } from '../../bench/ged';

describe('bench suite ged', () => {
  it('runs in quick mode: every implementation agrees with edit-distance before timing, rows in the JSON format', async () => {
    // quick-mode timings are meaningless (no warm-up); keep them out of the test output
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const rows = await run({ json: true, quick: true }).finally(() => log.mockRestore());
    const names = new Set(rows.map((r) => `${r.name} ${r.backend}`));
    for (const n of ['ted wasm', 'ted js', 'ted edit-distance', 'ted-batch wasm', 'ted-batch js', 'ted-batch edit-distance', 'ted-batch-flat wasm', 'ged-bipartite wasm', 'ged-bipartite js']) {
      expect(names.has(n), n).toBe(true);
    }
    for (const r of rows) {
      expect(r.suite).toBe('ged');
      expect(r.value).toBeGreaterThan(0);
      expect(Number.isFinite(r.value)).toBe(true);
    }
  });
});
