// The workload every runtime runs on the packed package, in phases so that a host can time
// them from outside (workerd freezes its clocks while a request computes). `lib` is the
// namespace the runtime got from `import * as lib from 'grapheme-train'`.
// one worker: every runtime computes the same float64 losses (2 workers sum gradients in another order)
export const CONFIG = { seed: 'runtimes', backend: 'wasm', levels: [1], steps: 50, batchSize: 16, workers: 1, evalEvery: 0 };
export const EXPRESSION = '(+ (* 2 3) 4)';
export const TIMED_STEPS = 20;
export const TOTAL_STEPS = 50;

/** The exact float64 bits, which decimal printing could round in some runtime. */
export function float64Hex(x) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}

export async function start(lib) {
  const trainer = await lib.Trainer.create(CONFIG);
  return { trainer, backend: trainer.backend.name, predicted: trainer.model.predict(EXPRESSION).toPolish() };
}

export function steps(trainer, count) {
  const losses = [];
  for (let i = 0; i < count; i++) losses.push(float64Hex(trainer.trainStep().loss));
  return losses;
}

export function finish(trainer) {
  return { predictedAfter: trainer.model.predict(EXPRESSION).toPolish() };
}

/** All phases in one go, timed with the runtime's own clock (Node, Deno, Bun, Chromium). */
export async function probe(lib, runtime) {
  const t0 = performance.now();
  const { trainer, backend, predicted } = await start(lib);
  const t1 = performance.now();
  const first = steps(trainer, TIMED_STEPS);
  const t2 = performance.now();
  const rest = steps(trainer, TOTAL_STEPS - TIMED_STEPS);
  return { runtime, backend, predicted, ...finish(trainer), losses: [...first, ...rest], ms: { create: t1 - t0, steps20: t2 - t1 } };
}
