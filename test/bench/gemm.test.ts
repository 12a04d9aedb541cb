// Smoke test of the gemm bench suite: quick mode, size 64 only (through --filter), and the rows
// that come out have the documented shape. Speeds are not asserted: the machine is shared.
import { describe, expect, it } from 'vitest';
import { run } from '../../bench/gemm';

describe('bench gemm (smoke)', () => {
  it('reports GFLOP/s for wasm, js and tfjs-wasm at 64, and the two ratios', async () => {
    const rows = await run({ json: false, quick: true, filter: '64' });
    const key = (r: { name: string; backend: string; unit: string }) => `${r.name}|${r.backend}|${r.unit}`;
    expect(rows.map(key).sort()).toEqual(
      [
        'gemm f32|js|GFLOP/s', 'gemm f32|tfjs-wasm|GFLOP/s', 'gemm f32|wasm|GFLOP/s',
        'ratio-vs-js|wasm|x', 'ratio-vs-tfjs-wasm|wasm|x',
      ].sort(),
    );
    for (const row of rows) {
      expect(row.suite).toBe('gemm');
      expect(row.size).toBe(64);
      expect(Number.isFinite(row.value) && row.value > 0, `${key(row)} = ${row.value}`).toBe(true);
    }
  });
});
