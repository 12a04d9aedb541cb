// Kernels of area 'gemm'. Twins: src/backend/js/gemm.ts (same names, heap first).
