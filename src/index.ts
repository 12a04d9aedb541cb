// grapheme-train: the public surface. The core (everything exported here) imports no
// runtime-specific modules, so the same bundle serves Node, browsers and edge runtimes;
// Node-only helpers (streaming JSONL files, the CLI) are imported from their own paths.
export { GraphemeError } from './errors';
export {
  createBackend,
  wasmSimdSupported,
  Heap,
  HeapOutOfMemoryError,
  BackendUnavailableError,
  type Backend,
  type BackendName,
  type BackendOptions,
  type HeapStats,
  type Kernels,
  type KernelName,
} from './backend/index';
export * from './autograd/index';
export * from './engine/index';
export * from './graph/index';
export * from './data/index';
export * from './optim/index';
export * from './schedule/index';
export * from './ged/index';
export * from './model/index';
export * from './train/index';
export { Prng, PrngError } from './util/prng';
