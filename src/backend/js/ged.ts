// Twins of assembly/ged.ts: same names and signatures, with the heap as first parameter.
export {};
