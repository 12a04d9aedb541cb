/**
 * Level-5 decoder experiments (docs/experiments.md): exact accuracy, right shape (every token
 * right, numbers aside) and both by answer size, on generated level-5 records, for a checkpoint.
 *   npx tsx bench/exp-decoder.ts [checkpoint] [fit|nofit] [records] [beam width]
 */
import { readFileSync } from 'node:fs';
import { createBackend } from '../src/backend/index';
import { DataGenerator } from '../src/data/index';
import { MathGraph } from '../src/graph/index';
import { planInput } from '../src/model/index';
import { Trainer } from '../src/train/trainer';
const backend = await createBackend('wasm');
const trainer = await Trainer.resume(new Uint8Array(readFileSync(process.argv[2] ?? 'runs/start/best.safetensors')), { backend });
const net = (trainer.model as { net: { numberFit: boolean; decoderBeam: number; predictBatch: (i: unknown[]) => MathGraph[] } }).net;
net.numberFit = process.argv[3] !== 'nofit';
net.decoderBeam = Number(process.argv[5] ?? 5);
const started = performance.now();
const recs = new DataGenerator({ seed: 'shape' }).take(5, Number(process.argv[4] ?? 600));
const shape = (g: MathGraph) => g.toPolish().replace(/-?\d+(\.\d+)?/g, 'N');
let exact = 0, shapeOk = 0;
const bySize = new Map<number, [number, number, number]>();
const preds = net.predictBatch(recs.map(planInput));
recs.forEach((r, i) => {
  const t = MathGraph.fromJSON(r.result_graph);
  const p = preds[i];
  const e = p.toPolish() === t.toPolish();
  const s = shape(p) === shape(t);
  if (e) exact++;
  if (s) shapeOk++;
  const b = bySize.get(t.size) ?? [0, 0, 0];
  b[0]++; if (e) b[1]++; if (s) b[2]++;
  bySize.set(t.size, b);
});
console.log('exact', exact / recs.length, 'shape', shapeOk / recs.length, 'beam', net.decoderBeam, 'seconds', ((performance.now() - started) / 1000).toFixed(1));
console.log([...bySize.entries()].sort((a, b) => a[0] - b[0]).map(([k, [n, e, s]]) => `${k}:${n} e${e} s${s}`).join('  '));
