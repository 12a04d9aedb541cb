// Package entry, condition "node" (also Deno and Bun, which resolve "node"): reads the
// .wasm shipped beside this file, and starts worker replicas from replica-node.js beside it.
import { readFile } from 'node:fs/promises';
import { setWasmLoader } from '../backend/wasm-source';
import { nodeSpawner } from '../train/parallel/spawn-node';
import { setReplicaSpawner } from '../train/parallel/spawn';

setWasmLoader(() => readFile(new URL('./grapheme.wasm', import.meta.url)));
// worker replicas run dist/replica-node.js, beside this file (the source checkout's are ../train/parallel/spawn-tree.ts)
if (import.meta.url.endsWith('.js')) setReplicaSpawner(nodeSpawner(new URL('./replica-node.js', import.meta.url)));

export * from '../index';
