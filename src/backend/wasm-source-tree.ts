import type { WasmSource } from './wasm';
import { WasmLoadError } from './wasm-load-error';

/**
 * Finds build/grapheme.wasm from a source checkout (vitest, tsx, bench): Node reads it from
 * disk, other runtimes fetch it relative to this module. The dist build replaces this
 * module by ./wasm-source-none (rollup.config.mjs): there every package entry registers
 * its own loader, and the published core must not mention node: modules, which browser
 * bundlers refuse.
 */
export async function sourceTreeWasm(): Promise<WasmSource> {
  const candidates = [
    new URL('../../build/grapheme.wasm', import.meta.url), // from src/backend
    new URL('../build/grapheme.wasm', import.meta.url), // from a bundle one folder down
    new URL('./grapheme.wasm', import.meta.url), // copied beside a bundle
  ];
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    for (const url of candidates) {
      if (url.protocol !== 'file:') continue;
      try {
        return await readFile(url);
      } catch {
        /* try the next location */
      }
    }
    throw new WasmLoadError(
      `grapheme.wasm not found (looked in ${candidates.map((u) => u.pathname).join(', ')}); run npm run build:wasm`,
    );
  }
  for (const url of candidates) {
    try {
      const res = await fetch(url);
      if (res.ok) return new Uint8Array(await res.arrayBuffer());
    } catch {
      /* try the next location */
    }
  }
  throw new WasmLoadError('grapheme.wasm could not be fetched; pass a WebAssembly.Module to createBackend({ wasm })');
}
