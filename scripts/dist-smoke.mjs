// After `npm run build:dist`: the bundle imports on its own (no tsx, no sources) by the
// package's own name (Node resolves it through package.json "exports", condition "node")
// and trains a parameter one Adam step on the wasm backend, found without arguments; a Trainer
// on 2 workers (worker_threads running dist/replica-node.js) matches one on 1 worker; the
// CLI bundle answers --help. test/runtimes/ checks the packed package in every runtime.
import { execFileSync } from 'node:child_process';
import { createBackend, Parameter, Adam, MathGraph, Trainer } from 'grapheme-train';

const backend = await createBackend('wasm');
const p = new Parameter(backend, [4], 'w', [1, 2, 3, 4]);
p.grad.set([1, -1, 1, -1]);
new Adam([p], { lr: 0.5 }).step();
const expected = [0.5, 2.5, 2.5, 4.5];
if (p.data.some((v, i) => Math.abs(v - expected[i]) > 1e-6)) throw new Error(`dist smoke: Adam step gave ${Array.from(p.data)}`);
if (MathGraph.fromPolish('(+ (* 2 3) 4)').size !== 5) throw new Error('dist smoke: MathGraph');
// data-parallel training from the bundle: the replica is dist/replica-node.js beside it
const config = { seed: 'dist smoke', backend: 'wasm', levels: [1], steps: 4, batchSize: 8, accumulationSteps: 2, evalEvery: 0 };
const one = await Trainer.create({ ...config, workers: 1 });
const two = await Trainer.create({ ...config, workers: 2 });
for (let i = 0; i < 3; i++) {
  const [a, b] = [one.trainStep().loss, (await two.stepAsync()).loss];
  if (!(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a)))) throw new Error(`dist smoke: update ${i + 1}: 1 worker ${a}, 2 workers ${b}`);
}
two.close();
const help = execFileSync(process.execPath, [new URL('../bin/grapheme-train.js', import.meta.url).pathname, '--help'], { encoding: 'utf8' });
if (!help.includes('generate')) throw new Error('dist smoke: CLI help lacks generate');
console.log('dist smoke: bundle imports, trains one Adam step on wasm, 2 workers match 1, CLI answers');
