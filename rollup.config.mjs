// dist/: the ESM library bundle (dependency-free core) and the CLI, each with .d.ts types.
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const external = (id) => id.startsWith('node:') || ['commander', 'cli-progress'].includes(id);
const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    include: ['src/**/*.ts'],
    compilerOptions: { declaration: false, sourceMap: true, outDir: 'dist', noEmit: false },
  });

export default [
  {
    input: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    external,
    plugins: [ts()],
  },
  {
    input: 'src/index.ts',
    output: { file: 'dist/index.d.ts', format: 'es' },
    plugins: [dts()],
  },
];
