// The loader registry behind every package entry (src/backend/wasm-source.ts), from the
// sources; the entries themselves run in test/runtimes/runtimes.test.mjs.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backend/index';
import { sourceTreeWasm as noDefault } from '../../src/backend/wasm-source-none';
import { setWasmLoader, WasmLoadError } from '../../src/backend/wasm-source';

const bytes = readFileSync(new URL('../../build/grapheme.wasm', import.meta.url));

/** out = a + b through the backend's wasm `add` kernel, on its own heap. */
function addOnBackend(backend: Awaited<ReturnType<typeof createBackend>>): number[] {
  const { heap, kernels } = backend;
  const [a, b, out] = [heap.allocPersistent(16), heap.allocPersistent(16), heap.allocPersistent(16)];
  heap.f32.set([1, 2, 3, 4], a >>> 2);
  heap.f32.set([10, 20, 30, 40], b >>> 2);
  kernels.add(out, a, b, 4);
  return Array.from(heap.f32.subarray(out >>> 2, (out >>> 2) + 4));
}

describe('wasm loader registry', () => {
  afterEach(() => setWasmLoader(null));

  it('createBackend("wasm") without arguments uses the registered loader, compiled once for every backend', async () => {
    let calls = 0;
    setWasmLoader(() => {
      calls++;
      return new Uint8Array(bytes);
    });
    const first = await createBackend('wasm');
    const second = await createBackend('wasm');
    expect(calls).toBe(1);
    expect(first.heap).not.toBe(second.heap); // one module, separate memories
    expect(addOnBackend(first)).toEqual([11, 22, 33, 44]);
  });

  it('accepts a precompiled WebAssembly.Module (the workerd entry)', async () => {
    const module = await WebAssembly.compile(bytes);
    setWasmLoader(() => module);
    expect(addOnBackend(await createBackend('wasm'))).toEqual([11, 22, 33, 44]);
  });

  it('a failed load is not cached: the next createBackend asks the loader again', async () => {
    let calls = 0;
    setWasmLoader(async () => {
      calls++;
      if (calls === 1) throw new WasmLoadError('network down');
      return new Uint8Array(bytes);
    });
    await expect(createBackend('wasm')).rejects.toThrow('network down');
    expect(addOnBackend(await createBackend('wasm'))).toEqual([11, 22, 33, 44]);
    expect(calls).toBe(2);
  });

  it('the published core without an entry says how to load the module', async () => {
    const err = await noDefault().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(String((err as Error).message)).toMatch(/grapheme-train\/inline.*createBackend\('wasm', \{ wasm \}\)/);
  });
});
