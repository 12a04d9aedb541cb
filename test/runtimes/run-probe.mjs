// Node, Deno and Bun: import the installed package BY NAME (each runtime applies its own
// export conditions) and print the probe as one JSON line.
import * as lib from 'grapheme-train';
import { probe } from './probe.mjs';

const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node';
// the file the runtime's resolver picked from package.json "exports"
const entry = import.meta.resolve('grapheme-train').replace(/^.*?(node_modules\/grapheme-train\/)/, '$1');
console.log(JSON.stringify({ ...(await probe(lib, runtime)), entry }));
