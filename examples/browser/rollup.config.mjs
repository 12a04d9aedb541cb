// The browser page (npm run build:browser): main.ts (the page, dist/app.js), train-worker.ts
// (its training worker, dist/worker.js) and src/entry/replica-web.ts (the worker replicas,
// dist/replica.js) with the library sources they import, with index.html, uPlot's stylesheet and the
// kernel module build/grapheme.wasm copied beside it (the page fetches grapheme.wasm
// relative to its script). Serve dist/ with any static server: npm run serve:browser.
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import typescript from '@rollup/plugin-typescript';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dist = join(here, 'dist');
const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot'));
const wasmFile = join(root, 'build', 'grapheme.wasm');

// a stale app.js must not survive a failed build
rmSync(dist, { recursive: true, force: true });

/** uPlot's ES module (its package has no "exports" map to follow), and the page's static files. */
function pageAssets() {
  return {
    name: 'grapheme-page-assets',
    resolveId(source) {
      if (source === 'uplot') return join(uplotDist, 'uPlot.esm.js');
      return null;
    },
    buildStart() {
      this.addWatchFile(wasmFile);
      this.addWatchFile(join(here, 'index.html'));
    },
    generateBundle() {
      let wasm;
      try {
        wasm = readFileSync(wasmFile);
      } catch {
        this.error(`${wasmFile} is missing: run npm run build:wasm first`);
      }
      this.emitFile({ type: 'asset', fileName: 'grapheme.wasm', source: wasm });
      this.emitFile({ type: 'asset', fileName: 'index.html', source: readFileSync(join(here, 'index.html')) });
      this.emitFile({ type: 'asset', fileName: 'uPlot.min.css', source: readFileSync(join(uplotDist, 'uPlot.min.css')) });
    },
  };
}

export default {
  // the page, its training worker, and the worker replicas the training worker starts
  input: { app: join(here, 'main.ts'), worker: join(here, 'train-worker.ts'), replica: join(root, 'src', 'entry', 'replica-web.ts') },
  output: { dir: dist, format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
  // the source checkout's wasm fallback reads build/ with node:fs in Node only; the page
  // passes its own module, so that dynamic import is never reached in a browser
  external: (id) => id.startsWith('node:'),
  plugins: [
    pageAssets(),
    // ./tsconfig.json: the project's compiler options over the page and src/ only (the
    // project's own would also type-check test/ and bench/; npm test type-checks everything)
    typescript({
      tsconfig: join(here, 'tsconfig.json'),
      include: [join(root, 'src', '**', '*.ts'), join(here, '*.ts')],
      compilerOptions: { declaration: false, sourceMap: true, outDir: dist, noEmit: false },
    }),
  ],
  onwarn(warning, warn) {
    // the page never follows that node-only branch (above)
    if (warning.code === 'UNRESOLVED_IMPORT' && String(warning.exporter ?? warning.id ?? '').startsWith('node:')) return;
    warn(warning);
  },
};
