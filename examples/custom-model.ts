// npx tsx examples/custom-model.ts [OUT] — your own model through the Trainer: an MLP on a toy
// regression (y = sin(3·x0) + x1²), with a schedule, checkpoints, best weights, early stopping,
// metrics.jsonl and report.html. The model brings its parameters, its loss and its metrics; the
// Trainer brings the rest. Run `npm run build` first in a checkout (it imports the package).
import { ArraySource, createBackend, mlp, ops, Prng, Tape, Trainer, type Backend, type TrainableModel } from 'grapheme-train';
import { RunFiles } from 'grapheme-train/files';

export interface Point {
  x: [number, number];
  y: number;
}

/** A two-input regression MLP: the whole model contract. */
export class Regressor implements TrainableModel<Point> {
  readonly net;
  private readonly tape: Tape;

  constructor(backend: Backend) {
    this.net = mlp(backend, [2, 32, 32, 1], { activation: 'tanh', seed: 'regressor' });
    this.tape = new Tape(backend);
  }

  parameters() {
    return this.net.parameters();
  }

  /** mean squared error of a batch, on the Trainer's tape */
  loss(tape: Tape, batch: readonly Point[]) {
    const x = ops.constant(tape, Float32Array.from(batch.flatMap((p) => p.x)), batch.length, 2);
    const y = ops.constant(tape, Float32Array.from(batch, (p) => p.y), batch.length, 1);
    return ops.mseLoss(tape, this.net.forward(tape, x), y);
  }

  /** accuracy = share of predictions within 0.05 of the target; forward on a tape of its own */
  evaluate(points: readonly Point[]) {
    try {
      const x = ops.constant(this.tape, Float32Array.from(points.flatMap((p) => p.x)), points.length, 2);
      const predicted = this.tape.values(this.net.forward(this.tape, x));
      const close = points.filter((p, i) => Math.abs(predicted[i] - p.y) <= 0.05).length;
      return { count: points.length, accuracy: close / points.length };
    } finally {
      this.tape.reset();
    }
  }
}

export function points(seed: string, count: number): Point[] {
  const prng = new Prng(seed);
  return Array.from({ length: count }, () => {
    const x: [number, number] = [prng.nextFloat() * 2 - 1, prng.nextFloat() * 2 - 1];
    return { x, y: Math.sin(3 * x[0]) + x[1] * x[1] };
  });
}

export const CONFIG = {
  seed: 'regression',
  steps: 3000,
  batchSize: 32,
  learningRate: 1e-2,
  optimizer: { name: 'adamw' as const, weightDecay: 1e-4 },
  schedule: { kind: 'cosine', totalSteps: 3000, minLr: 1e-4 },
  maxGradNorm: 1,
  evalEvery: 250,
  patience: 4, // early stopping: 4 evaluations without a better validation accuracy
};

export function data(): ArraySource<Point> {
  return new ArraySource({ train: points('train', 2000), val: points('val', 200), test: points('test', 500), seed: 'regression' });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const backend = await createBackend('auto');
  const files = await RunFiles.open(process.argv[2] ?? 'runs/custom-model');
  const trainer = await Trainer.create(CONFIG, { backend, model: new Regressor(backend), data: data(), ...files.events });
  const result = await trainer.run({ onEvaluated: () => files.checkpoint(trainer) });
  const { test, report } = await files.finish(trainer);
  const best = trainer.bestEvaluation;
  console.log(`${result.reason} after ${result.steps} updates; best validation accuracy ${(best.score * 100).toFixed(1)}% at update ${best.step}`);
  console.log(`held-out test: ${(test.perLevel.all.accuracy * 100).toFixed(1)}% within 0.05 (weights of update ${test.step}); report: ${report.path}`);
}
