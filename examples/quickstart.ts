// npx tsx examples/quickstart.ts — a parameter, the tape, AdamW with warmup + cosine, clipping;
// then the engine, MathGraph, tree edit distance and the data generator.
import {
  AdamW,
  DataGenerator,
  LrScheduler,
  MathGraph,
  Parameter,
  Tape,
  clipGradNorm,
  createBackend,
  evaluate,
  ops,
  parse,
  schedules,
  treeEditDistance,
} from 'grapheme-train';

const backend = await createBackend('auto'); // wasm where SIMD validates, else the TS twins
const tape = new Tape(backend);
const W = new Parameter(backend, [2, 1], 'W', [0.1, -0.2]);
const b = new Parameter(backend, [1], 'b');
const opt = new AdamW([W, b], { lr: 0.05, weightDecay: 0 });
const sched = new LrScheduler(opt, schedules.warmupCosine({ warmupSteps: 20, totalSteps: 400 }));

// three rows of two features; the target is y = 3·x0 + x1
const x = new Float32Array([1, 2, 3, 1, -1, 4]);
const y = new Float32Array([5, 10, 1]);
let first = NaN;
let last = NaN;
for (let step = 0; step < 400; step++) {
  const prediction = ops.linear(tape, ops.constant(tape, x, 3, 2), W, b);
  const loss = ops.mseLoss(tape, prediction, ops.constant(tape, y, 3, 1));
  tape.backward(loss); // the reverse sweep over the recorded ops
  clipGradNorm([W, b], 1.0); // returns the norm before clipping
  opt.step();
  opt.zeroGrad();
  sched.step();
  last = tape.scalar(loss);
  if (step === 0) first = last;
  tape.reset(); // the step arena is reused: memory stays flat, nothing to dispose
}
console.log(`${backend.name}: loss ${first.toFixed(3)} -> ${last.toExponential(2)}, W = [${Array.from(W.data, (v) => v.toFixed(3))}]`);

console.log('(^ 2 64) =', String(evaluate(parse('(^ 2 64)')))); // exact, on BigInt rationals
console.log('graph:', JSON.stringify(MathGraph.fromPolish('(+ (* 2 3) 4)').toJSON()));
console.log('TED((+ (* 2 3) 4), (+ 6 4)) =', treeEditDistance('(+ (* 2 3) 4)', '(+ 6 4)').distance);
console.log('a level-2 record:', new DataGenerator({ seed: 7 }).next(2).polish);
