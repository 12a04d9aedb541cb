import type { WasmSource } from './wasm';
import { WasmLoadError } from './wasm-load-error';

/** Stands in for ./wasm-source-tree in the published core: the package entry always registers a loader first. */
export async function sourceTreeWasm(): Promise<WasmSource> {
  throw new WasmLoadError(
    "no wasm loader registered: import 'grapheme-train' through its package exports (workerd, node, browser, or 'grapheme-train/inline'), or pass createBackend('wasm', { wasm })",
  );
}
