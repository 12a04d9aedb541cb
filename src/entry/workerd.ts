// Package entry, condition "workerd" (Cloudflare Workers, Miniflare, wrangler): Workers
// forbid compiling wasm bytes at run time, but a module that imports a .wasm file receives
// it precompiled (wrangler's CompiledWasm rule; rollup.config.mjs keeps this import as is).
import wasm from './grapheme.wasm';
import { setWasmLoader } from '../backend/wasm-source';
import { setReplicaSpawner } from '../train/parallel/spawn';

setWasmLoader(() => wasm);
// workerd has no threads: training runs on one worker
setReplicaSpawner(null);

export * from '../index';
