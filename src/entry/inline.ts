// Package entry 'grapheme-train/inline': the .wasm travels inside this module as base64,
// for bundlers and runtimes that can neither fetch nor read a file next to the code.
// (Not for workerd, which forbids compiling bytes at run time: it has its own condition.)
import wasmBase64 from 'virtual:grapheme-wasm-base64';
import { setWasmLoader } from '../backend/wasm-source';
import { setReplicaSpawner } from '../train/parallel/spawn';

setWasmLoader(() => {
  const text = atob(wasmBase64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
});

// one self-contained module: no replica entry beside it, so training runs on one worker
setReplicaSpawner(null);

export * from '../index';
