// Kernels of area 'ged'. Twins: src/backend/js/ged.ts (same names, heap first).
