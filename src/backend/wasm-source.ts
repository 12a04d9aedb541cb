import { GraphemeError } from '../errors';
import type { WasmSource } from './wasm';

export class WasmLoadError extends GraphemeError {}

/**
 * Finds the kernel module when the caller did not pass one. Node reads build/grapheme.wasm
 * from disk; other runtimes fetch it next to this module. Runtimes that can do neither
 * (Cloudflare Workers) must pass a precompiled WebAssembly.Module to createBackend.
 */
export async function defaultWasmSource(): Promise<WasmSource> {
  const candidates = [
    new URL('../../build/grapheme.wasm', import.meta.url), // from src/backend (dev, tests)
    new URL('../build/grapheme.wasm', import.meta.url), // from dist/
    new URL('./grapheme.wasm', import.meta.url),
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
