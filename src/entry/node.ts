// Package entry, condition "node" (also Deno and Bun, which resolve "node"): reads the
// .wasm shipped beside this file.
import { readFile } from 'node:fs/promises';
import { setWasmLoader } from '../backend/wasm-source';

setWasmLoader(() => readFile(new URL('./grapheme.wasm', import.meta.url)));

export * from '../index';
