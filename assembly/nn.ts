// Kernels of area 'nn'. Twins: src/backend/js/nn.ts (same names, heap first).
