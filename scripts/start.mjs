// `npm start`: the main job. The trainer does not exist yet (see the Trainer issue), so for
// now this says so and runs the kernel benchmark, the first thing worth watching.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsxCli = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');
console.log('grapheme-train: the trainer is not built yet; running the gemm kernel benchmark instead');
console.log('(wasm SIMD kernel vs its pure-TypeScript twin vs @tensorflow/tfjs-backend-wasm).\n');
const result = spawnSync(process.execPath, [tsxCli, join(root, 'bench', 'run.ts'), 'gemm', ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
