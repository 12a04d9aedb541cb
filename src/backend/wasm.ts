import { GraphemeError } from '../errors';
import { twins, type Kernels } from './js/index';

/** The module does not match the kernel contract (stale build, or the wrong file). */
export class WasmContractError extends GraphemeError {}

export type WasmSource = WebAssembly.Module | BufferSource;

/**
 * Instantiates our kernel module from a precompiled WebAssembly.Module (Cloudflare Workers
 * import .wasm files as modules and forbid compiling bytes at run time) or from bytes.
 * The module imports nothing: memory is its own export, grown only by the JS Heap.
 */
export async function instantiateKernels(source: WasmSource): Promise<{ kernels: Kernels; memory: WebAssembly.Memory }> {
  const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
  const instance = await WebAssembly.instantiate(module, {});
  const exports = instance.exports as Record<string, unknown>;
  const memory = exports.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new WasmContractError('the wasm module exports no memory');
  const kernels: Record<string, unknown> = {};
  for (const name of Object.keys(twins)) {
    const problem = contractProblem(name, exports[name]);
    // A mismatch fails loudly at the first call rather than at load, so a module built from a
    // slightly older tree still serves every kernel it does have; test/backend/contract.test.ts
    // asserts there is no mismatch at all.
    kernels[name] = problem === null ? exports[name] : () => { throw new WasmContractError(problem); };
  }
  return { kernels: kernels as Kernels, memory };
}

/** Why the wasm export `fn` does not implement twin `name`, or null when it does. */
export function contractProblem(name: string, fn: unknown): string | null {
  const twin = (twins as Record<string, (...a: unknown[]) => unknown>)[name];
  if (typeof fn !== 'function') return `the wasm module lacks kernel '${name}' (rebuild with npm run build:wasm)`;
  // a twin takes the heap first; the wasm kernel has its memory implicitly
  if (fn.length !== twin.length - 1) {
    return `kernel '${name}' takes ${fn.length} arguments in wasm but its twin takes ${twin.length - 1} after the heap`;
  }
  return null;
}

// The smallest module using a v128 instruction: (func (result v128) v128.const 0).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** True where this runtime compiles WebAssembly SIMD128 modules. */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}
