// Twins of assembly/optim.ts: same names and signatures, with the heap as first parameter.
export {};
