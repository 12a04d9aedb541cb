// Shared harness of the kernel tests: runs one kernel call on a backend with host arrays
// copied into the step arena, guard words around every buffer (a kernel that writes past
// its n — a wrong scalar tail — is caught), and hands back copies of every buffer.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { createBackend, type Backend, type Kernels } from '../../src/backend/index';
import { Prng } from '../../src/util/prng';

export type HostArray = Float32Array | Int32Array;
export type Buffers = Record<string, HostArray>;

/**
 * Both backends. GRAPHEME_TEST_WASM=<file> runs the suites against another build of the
 * module (a relaxed-SIMD build, or a scratch build while the shared one is broken).
 */
export async function createBothBackends(options: { maxBytes?: number } = {}): Promise<Backend[]> {
  const file = process.env.GRAPHEME_TEST_WASM;
  const wasm = await createBackend('wasm', { ...options, ...(file ? { wasm: readFileSync(file) } : {}) });
  const js = await createBackend('js', options);
  return [wasm, js];
}

const GUARD_WORDS = 4;
const GUARD = 0xdeadbeef;

export interface RunOptions {
  /** place every buffer 4 bytes past a 16-byte boundary, so v128 accesses are unaligned */
  misalign?: boolean;
}

/**
 * Copies `buffers` into a fresh step arena, calls `call(kernels, pointers)`, checks that no
 * guard word around any buffer changed, and returns the kernel's result and a copy of every
 * buffer afterwards. The arena is reset first, so each run starts from the same heap state.
 */
export function runKernel<R>(
  backend: Backend,
  buffers: Buffers,
  call: (k: Kernels, p: Record<string, number>) => R,
  options: RunOptions = {},
): { result: R; out: Buffers } {
  const { heap } = backend;
  heap.resetStep();
  const shift = options.misalign ? 4 : 0;
  const ptrs: Record<string, number> = {};
  for (const [name, data] of Object.entries(buffers)) {
    const block = heap.allocStep(shift + (2 * GUARD_WORDS + data.length) * 4);
    const ptr = block + shift + GUARD_WORDS * 4;
    ptrs[name] = ptr;
  }
  // write after all allocations: an allocation may grow the memory and re-make the views
  for (const [name, data] of Object.entries(buffers)) {
    const at = ptrs[name] >>> 2;
    heap.u32.fill(GUARD, at - GUARD_WORDS, at);
    heap.u32.fill(GUARD, at + data.length, at + data.length + GUARD_WORDS);
    (data instanceof Int32Array ? heap.i32 : heap.f32).set(data, at);
  }
  const result = call(backend.kernels, ptrs);
  const out: Buffers = {};
  for (const [name, data] of Object.entries(buffers)) {
    const at = ptrs[name] >>> 2;
    const before = Array.from(heap.u32.subarray(at - GUARD_WORDS, at));
    const after = Array.from(heap.u32.subarray(at + data.length, at + data.length + GUARD_WORDS));
    if (before.concat(after).some((w) => w !== GUARD)) {
      throw new Error(`${backend.name}: kernel wrote outside buffer '${name}' (length ${data.length})`);
    }
    out[name] = data instanceof Int32Array ? heap.i32.slice(at, at + data.length) : heap.f32.slice(at, at + data.length);
  }
  heap.resetStep();
  return { result, out };
}

/** The project's seeded PRNG with the array helpers the kernel tests draw inputs from. */
export class TestRandom {
  private readonly prng: Prng;
  constructor(seed: number) {
    this.prng = new Prng(seed);
  }
  /** uniform in [0, 1) */
  next(): number {
    return this.prng.nextFloat();
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return this.prng.int(lo, hi);
  }
  f32(n: number, lo = -1, hi = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.uniform(lo, hi);
    return a;
  }
  /** values spread over many binades: sign · 10^uniform(−e, e) */
  f32Wide(n: number, decades: number): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (this.next() < 0.5 ? -1 : 1) * 10 ** this.uniform(-decades, decades);
    return a;
  }
  i32(n: number, lo: number, hi: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }
}

/** Lengths every kernel is tried on: empty, shorter than a vector, around one, odd, long. */
export const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 17, 64, 1000, 1003, 4099];

/** Same bits, treating any two NaNs as equal (NaN payloads may differ between engines). */
export function expectSameF32(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    expect.fail(`${what}: element ${i} is ${a}, expected ${e}`);
  }
}

/**
 * |actual − expected| ≤ rel·|expected| + abs elementwise (NaN only matches NaN, ±Inf only
 * itself). Returns the largest relative error among elements with |expected| ≥ relFloor, and
 * the largest absolute error, so tests can print what they measured.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { rel: number; abs: number },
  what: string,
  relFloor = 1e-30,
): { maxRel: number; maxAbs: number } {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let maxRel = 0, maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)))) expect.fail(`${what}: element ${i} is ${a}, expected ${e}`);
      continue;
    }
    const err = Math.abs(a - e);
    if (!(err <= tol.rel * Math.abs(e) + tol.abs)) {
      expect.fail(`${what}: element ${i} is ${a}, expected ${e} (error ${err.toExponential(3)}, relative ${(err / Math.abs(e)).toExponential(3)})`);
    }
    maxAbs = Math.max(maxAbs, err);
    if (Math.abs(e) >= relFloor) maxRel = Math.max(maxRel, err / Math.abs(e));
  }
  return { maxRel, maxAbs };
}
