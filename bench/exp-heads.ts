/**
 * Experiments of the task heads (docs/experiments.md, "Levels 6 and 7"): the heads trained on
 * one level with the value stream's weights set to the exact arithmetic (an ORACLE for these
 * experiments only: it isolates the head from the levels 1–4 fit, which `npm start` learns).
 *   npx tsx bench/exp-heads.ts integrate [K] [steps] [refit 0|1|random]   (random: frozen random weights N(0, 1/K²), no training)
 *   npx tsx bench/exp-heads.ts solve [N] [steps]
 */
import { Tape } from '../src/autograd/index';
import { createBackend } from '../src/backend/index';
import { DataGenerator, type DatasetRecord } from '../src/data/index';
import { DagNN, evaluateRecords, recordsLoss } from '../src/model/index';
import { fitQuadrature } from '../src/model/heads';
import { planInput } from '../src/model/loss';
import { Adam } from '../src/optim/index';
import { linear, LrScheduler } from '../src/schedule/index';
import { trainStep } from '../src/train/step';

export function setExactArithmetic(net: DagNN): void {
  const state = net.stateDict();
  const set = (name: string, values: number[]) => state[name].set(values);
  set('+.add', [1, 1]);
  set('-.add', [1, -1]);
  for (const k of ['*', '/', '^']) set(`${k}.add`, [0, 0]);
  set('*.units', [1, 0, 0]);
  set('/.units', [0, 1, 0]);
  set('^.units', [0, 0, 1]);
  for (const k of ['+', '-']) set(`${k}.units`, [0, 0, 0]);
  net.loadStateDict(state);
}

const [task = 'integrate', kArg = '16', stepsArg = '2000', refitArg = '0'] = process.argv.slice(2);
const backend = await createBackend('wasm');
const level = task === 'integrate' ? 6 : 7;
const net = new DagNN(backend, { hidden: 16, valueStream: 'host', typeHead: 'exact', binaryUnits: ['product', 'ratio', 'power'], quadraturePoints: Number(kArg), rootSteps: task === 'solve' ? Number(kArg) : 20 });
setExactArithmetic(net);
const train = new DataGenerator({ seed: 1 }).take(level, 4000);
const test = new DataGenerator({ seed: 99 }).take(level, 1000);
const params = net.parameterRoles()[task === 'integrate' ? 'quadrature' : 'root'];
const steps = refitArg === 'random' ? 0 : Number(stepsArg);
if (refitArg === 'random') {
  const prng = { s: 7, next() { this.s = (this.s * 1103515245 + 12345) % 2 ** 31; return this.s / 2 ** 31; } };
  net.integration!.weights.data.set(Array.from({ length: net.integration!.K }, () => (Math.sqrt(-2 * Math.log(prng.next() + 1e-12)) * Math.cos(2 * Math.PI * prng.next())) / net.integration!.K));
}
const optimizer = new Adam(params, { lr: 3e-2 });
const scheduler = new LrScheduler(optimizer, linear({ totalSteps: Math.max(1, steps), startFactor: 1, endFactor: 0.01 }));
const tape = new Tape(backend);
const t0 = performance.now();
for (let step = 0; step < steps; step++) {
  const batch: DatasetRecord[] = Array.from({ length: 64 }, (_, i) => train[(step * 64 + i) % train.length]);
  trainStep({ tape, parameters: params, optimizer, scheduler, lossOf: (t) => recordsLoss(t, net, batch).loss, maxGradNorm: 1 });
  if ((step + 1) % 500 === 0) console.log(step + 1, JSON.stringify(evaluateRecords(net, test.slice(0, 300))));
}
console.log('train s', ((performance.now() - t0) / 1000).toFixed(1), params.map((p) => p.name + ' ' + Array.from(p.data, (w) => w.toFixed(4)).join(' ')).join(' | '));
if (refitArg === '1' && net.integration) {
  const probe = train.slice(0, 300);
  const s = net.integration.sample(tape, probe.map(planInput), net.streamInputs());
  const K = net.integration.K;
  const B = probe.length;
  const X = new Float64Array(B * K);
  for (let c = 0; c < K; c++) for (let i = 0; i < B; i++) X[i * K + c] = s.spans[i] * s.f64[c * B + i];
  const w = fitQuadrature(X, Float64Array.from(probe, (r) => r.result_numeric!), K);
  net.integration.weights.data.set(w);
  console.log('refit', JSON.stringify(evaluateRecords(net, test)), Array.from(w, (x) => x.toFixed(4)).join(' '));
}
console.log('final', JSON.stringify(evaluateRecords(net, test)));
