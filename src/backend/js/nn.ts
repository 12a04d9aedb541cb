// Twins of assembly/nn.ts: same names and signatures, with the heap as first parameter.
export {};
