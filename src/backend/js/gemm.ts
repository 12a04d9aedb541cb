// Twins of assembly/gemm.ts: same names and signatures, with the heap as first parameter.
export {};
