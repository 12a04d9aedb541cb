import { GraphemeError } from '../errors';
import { ArrayBufferLinearMemory, DEFAULT_MAX_BYTES, Heap, WasmLinearMemory } from './heap';
import { bindTwins, type Kernels } from './js/index';
import { instantiateKernels, wasmSimdSupported, type WasmSource } from './wasm';
import { defaultWasmSource } from './wasm-source';

export type BackendName = 'wasm' | 'js';

/**
 * The contract everything above src/backend/ is written against (DESIGN principle 1):
 * a heap and a table of kernels working on it. Both backends lay data out identically, so
 * a model built on one produces the same numbers on the other, within float32 rounding.
 */
export interface Backend {
  readonly name: BackendName;
  readonly heap: Heap;
  readonly kernels: Kernels;
}

export interface BackendOptions {
  /** a precompiled module (Cloudflare Workers) or the .wasm bytes; found automatically otherwise */
  wasm?: WasmSource;
  /** heap limit in bytes; allocations beyond it raise HeapOutOfMemoryError */
  maxBytes?: number;
}

export class BackendUnavailableError extends GraphemeError {}

/**
 * `wasm`: the SIMD128 kernels (throws where SIMD is missing). `js`: the TypeScript twins.
 * `auto`: wasm where WebAssembly SIMD validates, js otherwise.
 */
export async function createBackend(kind: BackendName | 'auto' = 'auto', options: BackendOptions = {}): Promise<Backend> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (kind === 'auto') kind = wasmSimdSupported() ? 'wasm' : 'js';
  if (kind === 'js') {
    const memory = new ArrayBufferLinearMemory(1 << 16, maxBytes);
    const heap = new Heap(memory, 16);
    return { name: 'js', heap, kernels: bindTwins(heap) };
  }
  if (kind !== 'wasm') throw new BackendUnavailableError(`unknown backend '${String(kind)}' (expected wasm, js or auto)`);
  if (!wasmSimdSupported()) throw new BackendUnavailableError('this runtime does not support WebAssembly SIMD128');
  const source = options.wasm ?? (await defaultWasmSource());
  const { kernels, memory } = await instantiateKernels(source);
  const heap = new Heap(new WasmLinearMemory(memory, maxBytes), (kernels.heapBase as () => number)());
  return { name: 'wasm', heap, kernels };
}

export { Heap, HeapOutOfMemoryError, type HeapStats } from './heap';
export type { Kernels, KernelName } from './js/index';
export { wasmSimdSupported } from './wasm';
