// The single WebAssembly module: every kernel area re-exported here.
// Memory is owned by the JS-side Heap (src/backend/heap.ts): kernels only read and write
// through the byte pointers they are given and never allocate; the stub runtime is unused.
// Conventions every kernel follows (so the TS twins in src/backend/js/ can match them):
//   - pointers are byte offsets (usize), 16-byte aligned when they come from the Heap
//   - row-major matrices; `n`, `rows`, `cols` are element counts (i32)
//   - backward kernels ACCUMULATE into gradient buffers (dx += ...), never overwrite,
//     because a tensor used twice receives gradient from both uses
export * from "./core";
export * from "./gemm";
export * from "./elementwise";
export * from "./nn";
export * from "./optim";
export * from "./ged";
