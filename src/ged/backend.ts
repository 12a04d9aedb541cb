/**
 * Which backend the GED functions run their kernels on when the caller names none.
 *
 * The default is a private js-twin backend made synchronously on first use, so
 * `treeEditDistance(a, b)` works anywhere without an `await`. Training code passes its own
 * backend (`{ backend }`), and `setDefaultGedBackend(await createBackend('wasm'))` switches
 * every call without one to WebAssembly.
 */
import type { Backend } from '../backend/index';
import { ArrayBufferLinearMemory, Heap } from '../backend/heap';
import { bindTwins } from '../backend/js/index';

let fallback: Backend | null = null;

export function defaultGedBackend(): Backend {
  if (fallback === null) {
    const heap = new Heap(new ArrayBufferLinearMemory(1 << 16), 16);
    fallback = { name: 'js', heap, kernels: bindTwins(heap) };
  }
  return fallback;
}

export function setDefaultGedBackend(backend: Backend): void {
  fallback = backend;
}

/**
 * Runs `body` with step-arena scratch that is released afterwards, so GED calls can be made
 * in the middle of a training step without disturbing the step's own allocations.
 */
export function withScratch<T>(backend: Backend, body: () => T): T {
  const heap = backend.heap;
  const mark = heap.stepMark();
  try {
    return body();
  } finally {
    heap.stepRelease(mark);
  }
}
