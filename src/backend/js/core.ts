import type { Heap } from '../heap';

// Twin of assembly/core.ts. The js heap has no static data, so it may start at 0; we keep
// the first 16 bytes unused so that a pointer of 0 is never a valid allocation.
export function heapBase(_h: Heap): number {
  return 16;
}
