// Kernels of area 'optim'. Twins: src/backend/js/optim.ts (same names, heap first).
