import type { WasmSource } from './wasm';
import { sourceTreeWasm } from './wasm-source-tree';

export { WasmLoadError } from './wasm-load-error';

/** Produces the kernel module: a precompiled WebAssembly.Module, or its bytes. */
export type WasmLoader = () => WasmSource | Promise<WasmSource>;

let loader: WasmLoader | null = null;
let compiled: Promise<WebAssembly.Module> | null = null;

/**
 * Each package entry (DESIGN principle 4: workerd, node, browser, inline — see
 * src/backend/wasm-*.ts and package.json "exports") registers how its runtime finds the
 * .wasm, so `createBackend('wasm')` needs no arguments anywhere. null restores the
 * source-checkout lookup.
 */
export function setWasmLoader(next: WasmLoader | null): void {
  loader = next;
  compiled = null;
}

/**
 * The kernel module for a createBackend call that was given none: the registered loader's,
 * else build/grapheme.wasm of a source checkout (tests, tsx). Compiled once per process and
 * shared: a WebAssembly.Module is immutable, every backend instantiates its own memory.
 */
export function defaultWasmSource(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const source = await (loader ?? sourceTreeWasm)();
    return source instanceof WebAssembly.Module ? source : WebAssembly.compile(source);
  })();
  compiled.catch(() => {
    compiled = null; // a failed load (file missing, network) may succeed when retried
  });
  return compiled;
}
