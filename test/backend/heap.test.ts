// The heap on both backends (DESIGN principle 2: one heap, no dispose): flat memory over
// 100 000 steps, persistent data never touched by the arena, views re-made after growth,
// typed out-of-memory errors that leave the heap usable, alignment.
import { describe, expect, it } from 'vitest';
import { Parameter } from '../../src/autograd/parameter';
import { createBackend, HeapOutOfMemoryError, type Backend, type BackendName } from '../../src/backend/index';
import { GraphemeError } from '../../src/errors';
import { TestRandom } from './harness';

const KINDS: BackendName[] = ['wasm', 'js'];
const KiB = 1024, MiB = 1024 * KiB;

/** a recognisable word for block `id` at word `i`, so a clobbered word says whose it was */
const pattern = (id: number, i: number) => ((id * 0x9e3779b1) ^ (i * 0x85ebca6b)) >>> 0;

function fillPattern(b: Backend, ptr: number, words: number, id: number): void {
  const u32 = b.heap.u32, at = ptr >>> 2;
  for (let i = 0; i < words; i++) u32[at + i] = pattern(id, i);
}

/** index of the first word that does not hold block `id`'s pattern, or −1 */
function firstClobbered(b: Backend, ptr: number, words: number, id: number): number {
  const u32 = b.heap.u32, at = ptr >>> 2;
  for (let i = 0; i < words; i++) if (u32[at + i] !== pattern(id, i)) return i;
  return -1;
}

describe.each(KINDS)('heap on the %s backend', (kind) => {
  it('100 000 allocate-and-reset steps: capacity flat after warm-up, persistent blocks intact, no overlaps', async () => {
    const b = await createBackend(kind);
    const { heap } = b;
    const rng = new TestRandom(kind === 'wasm' ? 1 : 2);
    // parameters, gradients, optimizer state: allocated up front, as models do
    const persistent = Array.from({ length: 12 }, (_, id) => {
      const words = rng.int(1, 5000);
      const ptr = heap.allocPersistent(words * 4);
      return { id, ptr, words, end: ptr + words * 4 };
    });
    for (const p of persistent) fillPattern(b, p.ptr, p.words, p.id);

    // every step allocates 1–6 blocks of 0–48 KiB with assorted alignments: at most 288 KiB
    // plus padding. Warm-up: one step at that maximum, so no later step can need more.
    const MAX_BLOCKS = 6, MAX_BYTES = 48 * KiB, ALIGNS = [4, 16, 64, 256];
    for (let i = 0; i < MAX_BLOCKS; i++) heap.allocStep(MAX_BYTES, false, 256);
    heap.resetStep();
    const settled = heap.stats();
    expect(settled.stepBytes).toBe(0);

    const STEPS = 100_000;
    for (let step = 0; step < STEPS; step++) {
      const blocks = rng.int(1, MAX_BLOCKS);
      let previousEnd = 0;
      for (let k = 0; k < blocks; k++) {
        const bytes = rng.int(0, MAX_BYTES >> 2) * 4;
        const align = ALIGNS[rng.int(0, ALIGNS.length - 1)];
        const zero = rng.next() < 0.05;
        const ptr = heap.allocStep(bytes, zero, align);
        // the arena bumps upward and never hands out persistent memory
        if (ptr % align !== 0 || ptr < previousEnd) expect.fail(`step ${step}: block at ${ptr} (align ${align}) after ${previousEnd}`);
        for (const p of persistent) {
          if (ptr < p.end && p.ptr < ptr + bytes) expect.fail(`step ${step}: step block [${ptr}, ${ptr + bytes}) overlaps persistent ${p.id}`);
        }
        if (zero && bytes > 0 && (heap.u32[ptr >>> 2] !== 0 || heap.u32[(ptr + bytes - 4) >>> 2] !== 0)) expect.fail(`step ${step}: zeroed block is not zero`);
        // scribble over the block, as activations would (ends always, the whole block sometimes)
        if (bytes > 0) {
          if (step % 997 === 0) heap.u32.fill(0xffffffff, ptr >>> 2, (ptr + bytes) >>> 2);
          else { heap.u32[ptr >>> 2] = 0xffffffff; heap.u32[(ptr + bytes - 4) >>> 2] = 0xffffffff; }
        }
        previousEnd = ptr + bytes;
      }
      heap.resetStep();
      if (step % 10_000 === 0) {
        for (const p of persistent) expect(firstClobbered(b, p.ptr, p.words, p.id), `persistent ${p.id} at step ${step}`).toBe(-1);
      }
    }
    const after = heap.stats();
    expect(after.capacityBytes).toBe(settled.capacityBytes);
    expect(after.growths).toBe(settled.growths);
    expect(after.persistentBytes).toBe(settled.persistentBytes);
    expect(after.stepBytes).toBe(0);
    expect(after.peakStepBytes).toBeLessThanOrEqual(settled.peakStepBytes);
    for (const p of persistent) expect(firstClobbered(b, p.ptr, p.words, p.id), `persistent ${p.id} at the end`).toBe(-1);
  });

  it('a persistent block allocated during a step survives that step, the next ones and stepRelease', async () => {
    const b = await createBackend(kind);
    const { heap } = b;
    const before = heap.allocStep(4096);
    heap.u32.fill(1, before >>> 2, (before + 4096) >>> 2);
    const mark = heap.stepMark();
    heap.allocStep(1000);
    const lazy = heap.allocPersistent(256 * 4); // e.g. a parameter created lazily mid-step
    expect(lazy).toBeGreaterThanOrEqual(before + 4096);
    for (let i = 0; i < 256; i++) expect(heap.u32[(lazy >>> 2) + i]).toBe(0); // zeroed though the arena was used
    fillPattern(b, lazy, 256, 7);
    // releasing scratch below the block must not let the arena hand the block out again
    heap.stepRelease(mark);
    const scratch = heap.allocStep(8192);
    heap.u32.fill(0xffffffff, scratch >>> 2, (scratch + 8192) >>> 2);
    expect(firstClobbered(b, lazy, 256, 7)).toBe(-1);
    for (let step = 0; step < 100; step++) {
      heap.resetStep();
      const p = heap.allocStep(64 * KiB, false);
      heap.u32.fill(0xffffffff, p >>> 2, (p + 64 * KiB) >>> 2);
    }
    expect(firstClobbered(b, lazy, 256, 7)).toBe(-1);
  });

  it('stepMark / stepRelease scope scratch memory inside a step and reject marks outside it', async () => {
    const { heap } = await createBackend(kind);
    heap.allocStep(100);
    const mark = heap.stepMark();
    const scratch = heap.allocStep(5000);
    heap.stepRelease(mark);
    expect(heap.allocStep(5000)).toBe(scratch); // the same memory again
    expect(() => heap.stepRelease(mark + 1_000_000)).toThrow(GraphemeError);
    heap.resetStep();
    expect(() => heap.stepRelease(mark)).toThrow(GraphemeError); // that step is over
  });

  it('growth re-makes the views: a Parameter keeps reading and writing its values, kernels see them', async () => {
    const b = await createBackend(kind);
    const { heap, kernels } = b;
    const init = Array.from({ length: 37 }, (_, i) => i * 0.5 - 3);
    const param = new Parameter(b, [37], 'w', init);
    const cachedData = param.data; // a view a user might hold on to
    const staleF32 = heap.f32;
    const { capacityBytes, growths } = heap.stats();
    const version = heap.version;

    // force growth: an activation bigger than the whole memory so far
    const big = heap.allocStep(capacityBytes + 3 * MiB, true);
    const grown = heap.stats();
    expect(grown.capacityBytes).toBeGreaterThan(capacityBytes);
    expect(grown.growths).toBeGreaterThan(growths);
    expect(heap.version).toBeGreaterThan(version);
    expect(heap.f32 === staleF32).toBe(false); // (not toBe: vitest would read the detached view)
    expect(heap.f32.length * 4).toBe(grown.capacityBytes);
    expect(heap.u8[big + capacityBytes + 3 * MiB - 1]).toBe(0); // the new end is addressable

    // the Parameter's live view follows the growth; its values moved with the memory
    expect(Array.from(param.data)).toEqual(init);
    expect(param.data.buffer).toBe(heap.f32.buffer);
    param.data[5] = 42;
    expect(heap.f32[(param.ptr >>> 2) + 5]).toBe(42);
    // a kernel reading the parameter after growth sees the value written through the view
    const out = heap.allocStep(37 * 4);
    kernels.scale(out, param.ptr, 2, 37);
    expect(heap.f32[(out >>> 2) + 5]).toBe(84);
    if (kind === 'wasm') {
      // WebAssembly detaches the old buffer on growth: a stale view reads nothing, which is why
      // views must be re-read from the heap (or the Parameter) after any allocation
      expect(cachedData.length).toBe(0);
      expect(staleF32.length).toBe(0);
    } else {
      // the js heap copies into a new ArrayBuffer; the old view is a detached-in-spirit snapshot
      cachedData[6] = -1;
      expect(param.data[6]).toBe(init[6]);
    }
    heap.resetStep();
  });

  it('out of memory raises HeapOutOfMemoryError and leaves the heap usable', async () => {
    const maxBytes = 4 * MiB;
    const b = await createBackend(kind, { maxBytes });
    const { heap } = b;
    const keep = heap.allocPersistent(1000 * 4);
    fillPattern(b, keep, 1000, 3);
    heap.allocStep(1 * MiB);
    const before = heap.stats();

    let caught: unknown;
    try {
      heap.allocStep(8 * MiB);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HeapOutOfMemoryError);
    expect(caught).toBeInstanceOf(GraphemeError);
    const oom = caught as HeapOutOfMemoryError;
    expect(oom.region).toBe('step');
    expect(oom.requestedBytes).toBe(8 * MiB);
    expect(oom.maxBytes).toBe(maxBytes);
    expect(oom.message).toMatch(/8388608 bytes in the step region/);
    expect(heap.stats()).toEqual(before); // nothing half-allocated

    expect(() => heap.allocPersistent(16 * MiB)).toThrow(HeapOutOfMemoryError);
    try {
      heap.allocPersistent(16 * MiB);
    } catch (err) {
      expect((err as HeapOutOfMemoryError).region).toBe('persistent');
    }
    expect(heap.stats()).toEqual(before);

    // still usable: the step continues, resets, and can fill up to (not beyond) the limit
    const p = heap.allocStep(64 * KiB, true);
    b.kernels.fill(p, 16 * KiB, 1.5);
    expect(heap.f32[(p >>> 2) + 16 * KiB - 1]).toBe(1.5);
    heap.resetStep();
    const room = maxBytes - heap.stats().persistentBytes - heap.base - 64;
    heap.allocStep(room);
    expect(heap.stats().capacityBytes).toBeLessThanOrEqual(maxBytes);
    expect(() => heap.allocStep(1 * MiB)).toThrow(HeapOutOfMemoryError);
    heap.resetStep();
    expect(firstClobbered(b, keep, 1000, 3)).toBe(-1);
  });

  it('the limit is exact even when it is not a whole number of 64 KiB pages', async () => {
    const maxBytes = 3 * MiB + 1000;
    const { heap } = await createBackend(kind, { maxBytes });
    const base = heap.stats().persistentBytes + heap.base;
    heap.allocStep(maxBytes - base - 16); // ends at most at the limit: fine
    heap.resetStep();
    // ends 1 000 bytes past the limit, but inside the last (partial) page the memory has
    expect(() => heap.allocStep(maxBytes - base + 1000)).toThrow(HeapOutOfMemoryError);
  });

  it('alignment: every block starts on its alignment (16 by default); bad sizes and alignments are typed errors', async () => {
    const { heap } = await createBackend(kind);
    const rng = new TestRandom(5);
    expect(heap.base % 16).toBe(0);
    for (let i = 0; i < 2000; i++) {
      const bytes = rng.int(0, 999);
      const align = 2 ** rng.int(0, 8);
      const persistent = rng.next() < 0.1;
      const ptr = persistent ? heap.allocPersistent(bytes, align) : heap.allocStep(bytes, false, align);
      expect(ptr % align).toBe(0);
      expect(ptr).toBeGreaterThanOrEqual(heap.base);
      if (!persistent) expect(heap.allocStep(4) % 16).toBe(0);
      if (i % 100 === 99) heap.resetStep();
    }
    heap.resetStep();
    expect(heap.allocStep(1) % 16).toBe(0);
    for (const bytes of [-4, 1.5, Number.NaN, Infinity]) expect(() => heap.allocStep(bytes), `size ${bytes}`).toThrow(GraphemeError);
    for (const align of [0, 3, 12, -16, 0.5]) expect(() => heap.allocPersistent(16, align), `align ${align}`).toThrow(GraphemeError);
    expect(heap.allocStep(0) % 16).toBe(0);
  });
});
