// Kernels of area 'elementwise'. Twins: src/backend/js/elementwise.ts (same names, heap first).
