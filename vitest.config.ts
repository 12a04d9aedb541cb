import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // the examples import the package by name, as a user's code does: in the checkout, the sources
  resolve: {
    alias: [
      { find: /^grapheme-train\/files$/, replacement: fileURLToPath(new URL('./src/entry/files.ts', import.meta.url)) },
      { find: /^grapheme-train$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // two cores: keep parallelism modest so timing-sensitive tests stay honest
    maxWorkers: 2,
    // config.workers 'auto' starts one worker in tests (every Trainer would otherwise start a
    // replica thread); test/train/parallel.test.ts asks for its workers explicitly
    env: { GRAPHEME_TRAIN_WORKERS: '1' },
  },
});
