// grapheme-train: the public surface. The core (everything exported here) imports no
// runtime-specific modules, so the same bundle serves Node, browsers and edge runtimes.
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
export { Parameter, ShapeError } from './autograd/parameter';
