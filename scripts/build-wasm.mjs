// Compiles assembly/index.ts to build/grapheme.wasm (SIMD128 baseline).
// Skips work when no AssemblyScript source changed since the last build (a hash is kept
// beside the output), and writes through a temporary name + rename so that concurrent
// builds or a killed build never leave a half-written .wasm behind.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync, renameSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build');
const outFile = join(outDir, 'grapheme.wasm');
const stampFile = join(outDir, 'grapheme.wasm.hash');
mkdirSync(outDir, { recursive: true });

function sourceHash() {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) { h.update(p.slice(root.length)); h.update(readFileSync(p)); }
    }
  };
  walk(join(root, 'assembly'));
  h.update(readFileSync(join(root, 'asconfig.json')));
  h.update(readFileSync(new URL('./build-wasm.mjs', import.meta.url)));
  return h.digest('hex');
}

const hash = sourceHash();
const force = process.argv.includes('--force');
if (!force && existsSync(outFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) {
  process.exit(0);
}

const tmp = `${outFile}.${process.pid}.tmp`;
const { error, stderr } = await asc.main([
  'assembly/index.ts',
  '--config', 'asconfig.json',
  '--target', 'release',
  '--outFile', tmp,
  '--textFile', `${tmp}.wat`,
], { stdout: process.stdout, stderr: process.stderr });
if (error) {
  console.error(`build-wasm: AssemblyScript compilation failed: ${error.message}`);
  process.exit(1);
}
const bytes = readFileSync(tmp);
if (!WebAssembly.validate(bytes, )) {
  console.error('build-wasm: the compiled module does not validate');
  process.exit(1);
}
renameSync(tmp, outFile);
renameSync(`${tmp}.wat`, join(outDir, 'grapheme.wat'));
writeFileSync(`${stampFile}.${process.pid}.tmp`, hash);
renameSync(`${stampFile}.${process.pid}.tmp`, stampFile);
console.log(`build-wasm: build/grapheme.wasm (${bytes.length} bytes)`);
