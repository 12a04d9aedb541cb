// Package entry, condition "workerd" (Cloudflare Workers, Miniflare, wrangler): Workers
// forbid compiling wasm bytes at run time, but a module that imports a .wasm file receives
// it precompiled (wrangler's CompiledWasm rule; rollup.config.mjs keeps this import as is).
import wasm from './grapheme.wasm';
import { setWasmLoader } from '../backend/wasm-source';

setWasmLoader(() => wasm);

export * from '../index';
