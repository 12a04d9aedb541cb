// Twins of assembly/elementwise.ts: same names and signatures, with the heap as first parameter.
export {};
