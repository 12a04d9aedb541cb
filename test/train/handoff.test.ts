// The handoff (src/train/parallel/handoff.ts): worker 1 draws the leader's micro-batches and
// hands them over as exact JSON. The oracle for the slot is its state machine, driven from one
// thread through both sides; for the encoding, the records themselves (every number's bits).
import { describe, expect, it } from 'vitest';
import { Curriculum } from '../../src/train/curriculum';
import { validateConfig } from '../../src/train/index';
import { decodeBatches, encodeBatches, HandoffReceiver, HandoffSender } from '../../src/train/parallel/handoff';
import { fromExactJson, toExactJson } from '../../src/util/exact-json';

/** Both sides of one slot over shared memory, as the pool and worker 1 see it. */
function slot(boxBytes = 1 << 12) {
  const buffer = new SharedArrayBuffer(12 + boxBytes);
  const words = new Int32Array(buffer, 0, 3);
  const box = new Uint8Array(buffer, 12, boxBytes);
  return { leader: new HandoffReceiver(words, box), worker: new HandoffSender(words, box) };
}

/** Deep equality with Object.is on numbers (−0, NaN) and the same keys in the same order. */
function sameBits(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return Array.isArray(a) === Array.isArray(b) && ka.join() === kb.join() && ka.every((k) => sameBits((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

describe('handoff slot', () => {
  it('an update worker 1 drew is skipped by the leader ahead, taken once at compute time, and frees the slot for a later one', () => {
    const { leader, worker } = slot();
    expect(worker.claim(4)).toBe(true);
    expect(worker.holds(4)).toBe(true);
    expect(leader.claim(4, 0)).toBe(false); // the leader does not draw it ahead
    expect(worker.claim(5)).toBe(false); // one update at a time
    worker.publish(4, 7, 'records of 4');
    expect(worker.holds(4)).toBe(false);
    expect(leader.claim(4, 1)).toBe(false); // ready: still not the leader's to draw
    expect(leader.take(4, 7)).toBe('records of 4');
    expect(leader.take(4, 7)).toBeNull(); // taken once
    expect(worker.claim(4)).toBe(false); // the leader has it
    expect(worker.claim(8)).toBe(true);
  });

  it('a drawing under another shared state is not used, and the leader draws it', () => {
    const { leader, worker } = slot();
    expect(worker.claim(8)).toBe(true);
    worker.publish(8, 7, 'drawn under version 7');
    expect(leader.take(8, 9)).toBeNull();
    expect(worker.claim(8)).toBe(false);
  });

  it('the leader takes over a drawing not finished when it needs it; worker 1 then drops its publish', () => {
    const { leader, worker } = slot();
    expect(worker.claim(12)).toBe(true);
    expect(leader.take(12, 3)).toBeNull();
    expect(worker.holds(12)).toBe(false);
    worker.publish(12, 3, 'late');
    expect(leader.take(12, 3)).toBeNull();
    expect(worker.claim(13)).toBe(true);
  });

  it('an update the leader claimed first is not drawn by worker 1; a stale one is emptied by the next take', () => {
    const { leader, worker } = slot();
    expect(leader.claim(24, 22)).toBe(true);
    expect(worker.claim(24)).toBe(false);
    expect(worker.claim(20)).toBe(false); // never an earlier one
    expect(worker.claim(28)).toBe(true);
    expect(leader.claim(26, 25)).toBe(true); // busy with 28: the leader draws 26 itself, the slot is kept
    expect(worker.holds(28)).toBe(true);
    worker.publish(28, 1, 'records of 28');
    expect(leader.take(30, 1)).toBeNull(); // 28 was never taken (e.g. a resume moved on): emptied
    expect(worker.claim(31)).toBe(true);
  });

  it('a text too long for the box, or a drawing that threw, leaves the update to the leader', () => {
    const { leader, worker } = slot(16);
    expect(worker.claim(4)).toBe(true);
    worker.publish(4, 0, 'x'.repeat(100));
    expect(leader.take(4, 0)).toBeNull();
    expect(worker.claim(8)).toBe(true);
    worker.publish(8, 0, null);
    expect(leader.claim(8, 6)).toBe(true);
  });
});

describe('handoff encoding', () => {
  it('exact JSON gives back NaN, ±Infinity and −0, and parses plain JSON as JSON.parse does', () => {
    const value = { a: [NaN, Infinity, -Infinity, -0, 0, 1.5e-320, 0.1 + 0.2], b: { c: -0, d: 'x' }, e: null };
    expect(sameBits(fromExactJson(toExactJson(value)), value)).toBe(true);
    const plain = '{"a":[1,2.5,"s"],"b":{"c":null}}';
    expect(fromExactJson(plain)).toEqual(JSON.parse(plain));
  });

  it("the curriculum's records come back bit for bit, in micro-batches of their sizes", () => {
    const config = validateConfig({ seed: 'handoff', levels: [1, 2, 3, 4, 5, 6, 7], curriculum: { mode: 'mixed' } });
    const source = new Curriculum(config);
    const batches = [0, 1].map((micro) => source.batch({ update: 3, micro, micros: 2, size: 24 }));
    const back = decodeBatches(encodeBatches(batches, (r) => source.encode(r)), (t) => source.decode(t));
    expect(back.map((b) => b.length)).toEqual([24, 24]);
    expect(sameBits(back, batches)).toBe(true);
    expect(new Set(batches.flat().map((r) => r.level)).size).toBeGreaterThan(3);
  });
});
