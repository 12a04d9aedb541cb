import type { Heap } from '../heap';
import * as core from './core';
import * as elementwise from './elementwise';
import * as gemm from './gemm';
import * as ged from './ged';
import * as nn from './nn';
import * as optim from './optim';

/**
 * Every TypeScript twin kernel, by name. A twin has the signature of its AssemblyScript
 * kernel with one extra first parameter, the heap: WebAssembly kernels see their linear
 * memory implicitly, twins are handed it. Pointers are byte offsets into that memory.
 * To add a kernel: write it in assembly/<area>.ts and its twin of the same name in
 * src/backend/js/<area>.ts; both are picked up through the area's module.
 */
export const twins = {
  ...core,
  ...gemm,
  ...elementwise,
  ...nn,
  ...optim,
  ...ged,
};

type DropHeap<F> = F extends (h: Heap, ...args: infer A) => infer R ? (...args: A) => R : never;

/** The kernel surface both backends provide, derived from the twins so the two cannot drift. */
export type Kernels = { [K in keyof typeof twins]: DropHeap<(typeof twins)[K]> };
export type KernelName = keyof Kernels;

export function bindTwins(heap: Heap): Kernels {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(twins)) {
    out[name] = (fn as (...a: unknown[]) => unknown).bind(null, heap);
  }
  return out as Kernels;
}
