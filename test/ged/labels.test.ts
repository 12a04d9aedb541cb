import { describe, expect, it } from 'vitest';
import { internLabel, labelEpoch } from '../../src/ged/pack';
import { treeEditDistance, treeEditDistanceBatch } from '../../src/ged/ted';
import { backendOf } from './helpers';

describe('label interning', () => {
  it('gives equal labels equal ids and keeps single characters apart across a restart of the table', async () => {
    const backend = await backendOf('wasm');
    internLabel('w'); // 'x' must not get id 0, which the label that restarts the table takes
    expect(internLabel('x')).toBe(internLabel('x'));
    expect(internLabel('x')).not.toBe(internLabel('y'));
    expect(internLabel('sin')).not.toBe(internLabel('sun'));
    const oldX = internLabel('x');
    const epoch = labelEpoch();
    // past 2^20 distinct labels the table starts over; then make a two-character label take
    // x's old id: a stale id for 'x' would make the two compare equal
    let k = 0;
    while (labelEpoch() === epoch) internLabel(`fill-${k++}`);
    let clash = '';
    for (let n = 0; clash === '' && n <= oldX; n++) {
      const label = `c${n}`;
      if (internLabel(label) === oldX) clash = label;
    }
    expect(internLabel('x')).not.toBe(oldX);
    expect(treeEditDistance({ label: 'x' }, { label: clash }, undefined, { backend }).distance).toBe(1);
    expect(Array.from(treeEditDistanceBatch([[{ label: 'x' }, { label: clash }], [{ label: 'x' }, { label: 'x' }]], undefined, { backend }))).toEqual([1, 0]);
  });
});
