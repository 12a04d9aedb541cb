import { describe, expect, it } from 'vitest';
import { Parameter } from '../../src/autograd/index';
import { createBackend } from '../../src/backend/index';
import { Adam, clampValues, FreezeMask, GradientActivity, latticeCandidates, nauSparsity, rampedWeight, setGroupLrs, snapBySearch, snapToLattice, undoSnap } from '../../src/optim/index';

describe('constraints', () => {
  it('nauSparsity: value mean(min(|w|, |1 − |w||)), gradient towards the nearest of −1, 0, 1', async () => {
    const backend = await createBackend('js');
    const p = new Parameter(backend, [6], 'w', [0.2, -0.3, 0.7, -0.9, 1.5, 0]);
    p.zeroGrad();
    const r = nauSparsity([p], 2);
    expect(r).toBeCloseTo((2 * (0.2 + 0.3 + 0.3 + 0.1 + 0.5 + 0)) / 6, 6);
    // descent direction: −grad moves every weight to its nearest lattice point
    expect(Array.from(p.grad).map((g) => Math.sign(-g) + 0)).toEqual([-1, 1, 1, -1, -1, 0]);
    expect(Math.abs(p.grad[0])).toBeCloseTo(2 / 6, 6);
    // descending it alone lands on the lattice
    const opt = new Adam([p], { lr: 0.01 });
    for (let t = 0; t < 400; t++) {
      opt.zeroGrad();
      nauSparsity([p], 1);
      opt.step();
    }
    const target = [0, 0, 1, -1, 1, 0];
    p.data.forEach((x, i) => expect(Math.abs(x - target[i])).toBeLessThan(0.02));
  });

  it('rampedWeight: 0 before start, linear to max at end, held after', () => {
    expect([0, 10, 15, 20, 30].map((t) => rampedWeight(t, 10, 20, 4))).toEqual([0, 0, 2, 4, 4]);
    expect(rampedWeight(5, 5, 5, 1)).toBe(1);
  });

  it('FreezeMask: an optimizer step leaves frozen elements exactly where they were', async () => {
    const backend = await createBackend('js');
    const p = new Parameter(backend, [3], 'w', [0.5, 0.5, 0.5]);
    const mask = new FreezeMask();
    mask.freeze(p, 1, 1);
    const opt = new Adam([p], { lr: 0.1 });
    for (let t = 0; t < 5; t++) {
      p.grad.set([1, 1, 1]);
      mask.maskGrads();
      expect(p.grad[1]).toBe(0);
      opt.step();
      mask.restore();
    }
    expect(p.data[1]).toBe(1);
    expect(p.data[0]).toBeLessThan(0.5);
    expect(mask.count()).toBe(1);
    expect(mask.stateDict()).toEqual({ w: { indices: [1], values: [1] } });
    const copy = new FreezeMask();
    copy.loadStateDict([p], mask.stateDict());
    expect(copy.isFrozen(p, 1) && !copy.isFrozen(p, 0)).toBe(true);
    expect(() => copy.loadStateDict([p], { other: { indices: [0], values: [0] } })).toThrow(/unknown parameter 'other'/);
    // allFrozen and count against the flags themselves, through freezes twice over, unfreezes and a load
    const q = new Parameter(backend, [3], 'q', [1, 2, 3]);
    const m = new FreezeMask();
    const byFlags = () => [0, 1, 2].every((i) => m.isFrozen(q, i));
    for (const [op, i] of [['freeze', 0], ['freeze', 1], ['freeze', 1], ['freeze', 2], ['unfreeze', 1], ['unfreeze', 1], ['freeze', 1]] as const) {
      if (op === 'freeze') m.freeze(q, i);
      else m.unfreeze(q, i);
      expect(m.allFrozen(q)).toBe(byFlags());
      expect(m.count()).toBe([0, 1, 2].filter((k) => m.isFrozen(q, k)).length);
    }
    const loaded = new FreezeMask();
    loaded.loadStateDict([q], m.stateDict());
    expect([loaded.allFrozen(q), loaded.allFrozen(p), new FreezeMask().allFrozen(q)]).toEqual([true, false, false]);
  });

  it('GradientActivity.active gives the parameters with an element reached in at least k updates, by the counts themselves, also after a load', async () => {
    const backend = await createBackend('js');
    const ps = [0, 1, 2].map((j) => new Parameter(backend, [4], `p${j}`));
    const activity = new GradientActivity();
    const grads = [[1, 0, 0, 0], [0, 2, 0, 0], [1, 0, 0, 3], [0, 0, 0, 0], [1, 0, 0, 0]];
    for (let u = 0; u < grads.length; u++) {
      for (const [j, p] of ps.entries()) {
        p.zeroGrad();
        if (j !== 2) p.grad.set(grads[(u + j) % grads.length]); // p2 never reached
      }
      activity.observe(ps);
      for (const k of [1, 2, 3, 4]) {
        const byCounts = ps.filter((p) => [0, 1, 2, 3].some((i) => activity.count(p, i) >= k));
        expect(activity.active(ps, k).map((p) => p.name), `update ${u}, k ${k}`).toEqual(byCounts.map((p) => p.name));
      }
    }
    const loaded = new GradientActivity();
    loaded.loadStateDict(activity.stateDict(), ps);
    for (const k of [1, 2, 3]) expect(loaded.active(ps, k)).toEqual(activity.active(ps, k));
    expect([3, 4].map((k) => activity.active(ps, k).map((p) => p.name))).toEqual([['p0', 'p1'], []]); // element 0 of each reached 3 times; p2 never
  });

  it('snapToLattice sets near-lattice weights exactly, freezes them, and undoSnap reverts', async () => {
    const backend = await createBackend('js');
    const p = new Parameter(backend, [5], 'w', [0.98, 0.4, -0.001, 2.03, -1.2]);
    const mask = new FreezeMask();
    const ternary = snapToLattice([p], 0.05, 'ternary', mask);
    expect(ternary.entries.map((e) => e.index)).toEqual([0, 2]);
    expect(Array.from(p.data.slice(0, 3))).toEqual([1, Math.fround(0.4), 0]);
    expect(mask.isFrozen(p, 0) && mask.isFrozen(p, 2)).toBe(true);
    // a second snap does not touch frozen elements; integers reach 2.03 → 2
    const ints = snapToLattice([p], 0.05, 'integers', mask);
    expect(ints.entries.map((e) => e.index)).toEqual([3]);
    expect(p.data[3]).toBe(2);
    // a veto keeps an element out
    const none = snapToLattice([p], 0.5, 'integers', mask, (_p, i) => i !== 4);
    expect(none.entries.map((e) => e.index)).toEqual([1]);
    undoSnap(none, mask);
    undoSnap(ternary, mask);
    expect(p.data[0]).toBeCloseTo(0.98, 6);
    expect(p.data[1]).toBeCloseTo(0.4, 6);
    expect(mask.isFrozen(p, 0) || mask.isFrozen(p, 1)).toBe(false);
    expect(mask.count()).toBe(1); // the integer snap stays
  });

  it('clampValues and setGroupLrs', async () => {
    const backend = await createBackend('js');
    const a = new Parameter(backend, [3], 'a', [-3, 0.5, 3]);
    const b = new Parameter(backend, [1], 'b', [0]);
    clampValues([a], -1, 1);
    expect(Array.from(a.data)).toEqual([-1, 0.5, 1]);
    const opt = new Adam([{ params: [a] }, { params: [b] }], { lr: 1 });
    setGroupLrs(opt, 0.01, [1, 0]);
    expect(opt.getLrs()).toEqual([0.01, 0]);
  });
});

describe('snap by search', () => {
  it('latticeCandidates: the nearest point, then one-hots on the largest entries', () => {
    expect(latticeCandidates([0.41, 0.29, -0.6, 0.02], 2)).toEqual([
      [0, 0, -1, 0],
      [0, 0, 1, 0],
      [1, 0, 0, 0],
      [-1, 0, 0, 0],
    ]);
    expect(latticeCandidates([0.3, -0.2], 2)).toEqual([[0, 0], [1, 0], [-1, 0], [0, -1], [0, 1]]);
  });

  it('snapBySearch keeps the candidate the score prefers, frozen, or leaves the weights alone', async () => {
    const backend = await createBackend('js');
    const a = new Parameter(backend, [1], 'k.add', [0.05]);
    const u = new Parameter(backend, [3], 'k.units', [0.41, 0.29, 0.01]);
    const mask = new FreezeMask();
    // the data says: unit 1 (the smaller weight) is the right one
    const score = () => (a.data[0] === 0 && u.data[0] === 0 && u.data[1] === 1 && u.data[2] === 0 ? 1 : 0.2);
    const result = snapBySearch([a, u], mask, score)!;
    expect(result.score).toBe(1);
    expect(Array.from(u.data)).toEqual([0, 1, 0]);
    expect(mask.count()).toBe(4);
    undoSnap(result.record, mask);
    expect(u.data[0]).toBeCloseTo(0.41, 6);
    // nothing beats the unsnapped weights: nothing changes
    expect(snapBySearch([a, u], mask, () => (u.data[0] === Math.fround(0.41) ? 0.5 : 0.1))).toBeNull();
    expect(u.data[0]).toBeCloseTo(0.41, 6);
    expect(mask.count()).toBe(0);
  });
});
