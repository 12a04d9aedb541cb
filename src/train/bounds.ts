// The static bounds of a TrainingConfig; ./limits.ts says what each one means and checks
// what a run needs against the memory that holds it.
export const MAX_STEPS = 1_000_000_000;
export const MAX_RECORDS_PER_PASS = 65_536;
/** The widest model the config accepts at all: its weights alone (~46·hidden² floats) fill the 4 GiB wasm32 address space. */
export const MAX_HIDDEN = 4096;
