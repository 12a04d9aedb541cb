// dist/: the ESM library and the CLI, with .d.ts types.
//
// One core (dist/chunks/core-*.js) and one small entry per runtime (DESIGN principle 4; the
// package.json "exports" conditions pick one): each entry registers how its runtime finds
// the kernel module, then re-exports the core.
//   workerd.js  import wasm from './grapheme.wasm' (a precompiled WebAssembly.Module)
//   node.js     reads ./grapheme.wasm (Node, Deno, Bun)
//   browser.js  fetch + WebAssembly.compileStreaming relative to import.meta.url
//   inline.js   the wasm as base64 inside the module (grapheme-train/inline)
//   files.js    Node-only file helpers (grapheme-train/files): run folders, checkpoints, JSONL
//   replica-node.js, replica-web.js  a worker replica of data-parallel training (worker_threads,
//               Web Workers): node.js and browser.js start them beside themselves
// The core is built without src/backend/wasm-source-tree.ts and src/train/parallel/spawn-tree.ts
// (the source checkout's fallbacks, which import node: modules): bundlers for browsers refuse node: modules.
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const wasmFile = fileURLToPath(new URL('./build/grapheme.wasm', import.meta.url));
const sourceTreeModule = fileURLToPath(new URL('./src/backend/wasm-source-tree.ts', import.meta.url));
const noSourceTreeModule = fileURLToPath(new URL('./src/backend/wasm-source-none.ts', import.meta.url));
const spawnTreeModule = fileURLToPath(new URL('./src/train/parallel/spawn-tree.ts', import.meta.url));
const noSpawnTreeModule = fileURLToPath(new URL('./src/train/parallel/spawn-none.ts', import.meta.url));
const BASE64_ID = 'virtual:grapheme-wasm-base64';
const CLI_ID = '\0grapheme-cli-entry';

// stale chunks of an earlier build would otherwise be packed and published
rmSync(fileURLToPath(new URL('./dist', import.meta.url)), { recursive: true, force: true });

const external = (id) => id.startsWith('node:') || ['commander', 'cli-progress', 'uplot', 'asciichart'].includes(id);

const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    include: ['src/**/*.ts'],
    compilerOptions: { declaration: false, sourceMap: true, outDir: 'dist', noEmit: false },
  });

/** The kernel module beside the entries, inline as base64, and the per-runtime wiring. */
function wasmEntries() {
  return {
    name: 'grapheme-wasm-entries',
    async resolveId(source, importer) {
      if (source === BASE64_ID || source === CLI_ID) return source;
      // workerd's entry keeps its import: the runtime (or wrangler) supplies the compiled module
      if (source === './grapheme.wasm') return { id: './grapheme.wasm', external: 'relative' };
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      if (resolved && resolved.id === sourceTreeModule) return noSourceTreeModule;
      if (resolved && resolved.id === spawnTreeModule) return noSpawnTreeModule;
      return resolved;
    },
    load(id) {
      if (id === BASE64_ID) return `export default ${JSON.stringify(readFileSync(wasmFile).toString('base64'))};`;
      // the CLI runs in Node: it registers the node loader before the command code runs
      if (id === CLI_ID) return `import './src/entry/node.ts';\nexport * from './src/cli/main.ts';`;
      return null;
    },
    buildStart() {
      this.addWatchFile(wasmFile);
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'grapheme.wasm', source: readFileSync(wasmFile) });
    },
  };
}

export default [
  {
    input: {
      node: 'src/entry/node.ts',
      browser: 'src/entry/browser.ts',
      workerd: 'src/entry/workerd.ts',
      inline: 'src/entry/inline.ts',
      files: 'src/entry/files.ts',
      cli: CLI_ID,
      'replica-node': 'src/entry/replica-node.ts',
      'replica-web': 'src/entry/replica-web.ts',
    },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/core-[hash].js' },
    external,
    plugins: [wasmEntries(), ts()],
  },
  {
    input: 'src/index.ts',
    output: { file: 'dist/index.d.ts', format: 'es' },
    plugins: [dts()],
  },
  {
    input: 'src/entry/files.ts',
    output: { file: 'dist/files.d.ts', format: 'es' },
    external,
    plugins: [dts()],
  },
];
