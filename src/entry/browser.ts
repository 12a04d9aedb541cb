// Package entry, conditions "browser" and "default": fetches the .wasm beside this module.
// `new URL('./…', import.meta.url)` is also the pattern bundlers (Vite, webpack, Rollup
// plugins) recognise to emit the file as an asset.
import { WasmLoadError } from '../backend/wasm-load-error';
import { setWasmLoader } from '../backend/wasm-source';
import { setReplicaSpawner } from '../train/parallel/spawn';
import { webSpawner } from '../train/parallel/spawn-web';

setWasmLoader(async () => {
  const url = new URL('./grapheme.wasm', import.meta.url);
  const response = await fetch(url);
  if (!response.ok) throw new WasmLoadError(`fetching ${url.href} answered ${response.status} ${response.statusText}`);
  // compileStreaming compiles while downloading but insists on the application/wasm type;
  // servers that send another one still work, from the whole body
  if (typeof WebAssembly.compileStreaming === 'function' && response.headers.get('content-type')?.split(';')[0].trim() === 'application/wasm') {
    return WebAssembly.compileStreaming(response);
  }
  return new Uint8Array(await response.arrayBuffer());
});

// worker replicas: module Web Workers running replica-web.js beside this module (a
// cross-origin-isolated page: shared memory; else transferred buffers)
setReplicaSpawner(webSpawner(new URL('./replica-web.js', import.meta.url)));

export * from '../index';
