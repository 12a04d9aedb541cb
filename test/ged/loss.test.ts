import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/index';
import { gradCheck, ops, Tape } from '../../src/autograd/index';
import { gedLoss, gedLossBackward, gedLossForward, identityMapping, mappingFromEdit, packGedLoss, type LossCosts, type LossGraphSpec, type LossPredictions } from '../../src/ged/loss';
import { backendOf, rng, type BackendName } from './helpers';

const K = 5;
const L = 6;

interface Problem {
  graphs: LossGraphSpec[];
  /** predictions, float32-representable */
  typeLogits: Float64Array;
  labelLogits: Float64Array;
  values: Float64Array;
  existLogits: Float64Array;
  edgeLogits: Float64Array;
}

type Costs = Pick<LossCosts, 'nodeInsert' | 'nodeDelete' | 'nodeType' | 'nodeValue' | 'edgeInsert' | 'edgeDelete' | 'alpha' | 'beta' | 'tau'>;
const COSTS: Costs = { nodeInsert: 1, nodeDelete: 0.8, nodeType: 1.5, nodeValue: 1, edgeInsert: 0.7, edgeDelete: 1.2, alpha: 0.9, beta: 1.1, tau: 0.5 };

const f32 = (x: number) => Math.fround(x);

function randomProblem(random: () => number, graphCount: number): Problem {
  const graphs: LossGraphSpec[] = [];
  let slots = 0;
  let edgeCells = 0;
  for (let g = 0; g < graphCount; g++) {
    const T = 1 + Math.floor(random() * 5);
    const P = 1 + Math.floor(random() * 6);
    const nodes = Array.from({ length: T }, () => {
      const byValue = random() < 0.4;
      return { type: Math.floor(random() * K), label: byValue ? -1 : Math.floor(random() * L), value: byValue ? f32(random() * 4 - 2) : 0 };
    });
    const edges: [number, number][] = [];
    for (let u = 0; u < T; u++) for (let v = 0; v < T; v++) if (u !== v && random() < 0.3) edges.push([u, v]);
    // a random partial injective mapping
    const order = Array.from({ length: T }, (_, i) => i).sort(() => random() - 0.5);
    const map = Array.from({ length: P }, (_, p) => (p < T && random() < 0.8 ? order[p] : -1));
    graphs.push({ slots: P, target: { nodes, edges }, map });
    slots += P;
    edgeCells += P * P;
  }
  const r = (n: number, scale: number) => Float64Array.from({ length: n }, () => f32((random() * 2 - 1) * scale));
  return { graphs, typeLogits: r(slots * K, 2), labelLogits: r(slots * L, 2), values: r(slots, 2), existLogits: r(slots, 2), edgeLogits: r(edgeCells, 2) };
}

/** The loss from its definition, float64, written independently of the kernels. */
function referenceLoss(pr: Problem, c: Costs): number[] {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const softmax = (xs: ArrayLike<number>) => {
    const m = Math.max(...Array.from(xs));
    const ex = Array.from(xs, (x) => Math.exp(x - m));
    const s = ex.reduce((a, b) => a + b, 0);
    return ex.map((x) => x / s);
  };
  const out: number[] = [];
  let slot0 = 0;
  let edge0 = 0;
  for (const g of pr.graphs) {
    const P = g.slots;
    const e = Array.from({ length: P }, (_, p) => sig(pr.existLogits[slot0 + p]));
    const a = (p: number, q: number) => sig(pr.edgeLogits[edge0 + p * P + q]);
    let nodes = 0;
    const inverse = new Map<number, number>();
    for (let p = 0; p < P; p++) {
      const t = g.map[p];
      if (t < 0) {
        nodes += e[p] * c.nodeDelete;
        continue;
      }
      inverse.set(t, p);
      const tn = g.target.nodes[t];
      const pi = softmax(pr.typeLogits.subarray((slot0 + p) * K, (slot0 + p + 1) * K))[tn.type];
      const v =
        tn.label >= 0
          ? c.nodeValue * (1 - softmax(pr.labelLogits.subarray((slot0 + p) * L, (slot0 + p + 1) * L))[tn.label])
          : c.nodeValue * Math.log2(1 + ((pr.values[slot0 + p] - tn.value) / c.tau) ** 2);
      nodes += e[p] * (c.nodeType * (1 - pi) + pi * v) + (1 - e[p]) * c.nodeInsert;
    }
    nodes += (g.target.nodes.length - inverse.size) * c.nodeInsert;
    let edges = 0;
    const targetEdge = new Set(g.target.edges.map(([u, v]) => `${u},${v}`));
    for (let p = 0; p < P; p++) {
      for (let q = 0; q < P; q++) {
        if (p === q) continue;
        const s = e[p] * e[q] * a(p, q);
        const mappedEdge = g.map[p] >= 0 && g.map[q] >= 0 && targetEdge.has(`${g.map[p]},${g.map[q]}`);
        edges += mappedEdge ? c.edgeInsert * (1 - s) : c.edgeDelete * s;
      }
    }
    for (const [u, v] of g.target.edges) if (!(inverse.has(u) && inverse.has(v))) edges += c.edgeInsert;
    out.push(c.alpha * nodes + c.beta * edges);
    slot0 += P;
    edge0 += P * P;
  }
  return out;
}

interface Heads {
  pred: LossPredictions;
  grads: { typeLogits: number; labelLogits: number; values: number; existLogits: number; edgeLogits: number };
}

function upload(backend: Backend, pr: Problem): Heads {
  const h = backend.heap;
  const put = (xs: Float64Array) => h.stepF32(xs);
  const zeros = (n: number) => h.allocStep(n * 4, true);
  const pred: LossPredictions = {
    typeLogits: put(pr.typeLogits), types: K, labelLogits: put(pr.labelLogits), labels: L,
    values: put(pr.values), existLogits: put(pr.existLogits), edgeLogits: put(pr.edgeLogits),
  };
  const grads = {
    typeLogits: zeros(pr.typeLogits.length), labelLogits: zeros(pr.labelLogits.length), values: zeros(pr.values.length),
    existLogits: zeros(pr.existLogits.length), edgeLogits: zeros(pr.edgeLogits.length),
  };
  return { pred, grads };
}

describe.each<BackendName>(['wasm', 'js'])('GED loss on %s', (name) => {
  it('forward matches the float64 definition', async () => {
    const backend = await backendOf(name);
    const random = rng(name === 'wasm' ? 101 : 102);
    for (let trial = 0; trial < 20; trial++) {
      const pr = randomProblem(random, 1 + Math.floor(random() * 4));
      const mark = backend.heap.stepMark();
      const packed = packGedLoss(backend, pr.graphs, COSTS, K, L);
      const { pred } = upload(backend, pr);
      const out = backend.heap.allocStep(pr.graphs.length * 4);
      gedLossForward(backend, packed, pred, out);
      const got = Array.from(backend.heap.f32.subarray(out >>> 2, (out >>> 2) + pr.graphs.length));
      const want = referenceLoss(pr, COSTS);
      got.forEach((x, g) => expect(Math.abs(x - want[g])).toBeLessThan(2e-6 * Math.max(1, Math.abs(want[g]))));
      backend.heap.stepRelease(mark);
    }
  });

  it('passes the gradient check against central differences of the float64 definition', async () => {
    const backend = await backendOf(name);
    const random = rng(name === 'wasm' ? 111 : 112);
    let worst = 0;
    let checked = 0;
    for (let trial = 0; trial < 6; trial++) {
      const pr = randomProblem(random, 3);
      const mark = backend.heap.stepMark();
      const packed = packGedLoss(backend, pr.graphs, COSTS, K, L);
      const { pred, grads } = upload(backend, pr);
      const w = pr.graphs.map(() => f32(random() * 2 - 1)); // L = Σ w_g loss_g
      const dOut = backend.heap.stepF32(w);
      // pre-filled gradients catch a backward that overwrites instead of accumulating
      const heads = ['typeLogits', 'labelLogits', 'values', 'existLogits', 'edgeLogits'] as const;
      const prefill = heads.map((k) => Float64Array.from({ length: pr[k].length }, () => f32(random())));
      heads.forEach((k, i) => backend.heap.f32.set(prefill[i], grads[k] >>> 2));
      gedLossBackward(backend, packed, pred, dOut, grads);
      const objective = () => referenceLoss(pr, COSTS).reduce((s, x, g) => s + w[g] * x, 0);
      heads.forEach((k, i) => {
        const xs = pr[k];
        const analytic = Array.from(backend.heap.f32.subarray(grads[k] >>> 2, (grads[k] >>> 2) + xs.length), (x, j) => x - prefill[i][j]);
        for (let j = 0; j < xs.length; j++) {
          const x0 = xs[j];
          const step = 1e-4 * Math.max(1, Math.abs(x0));
          xs[j] = x0 + step;
          const up = objective();
          xs[j] = x0 - step;
          const down = objective();
          xs[j] = x0;
          const numeric = (up - down) / (2 * step);
          const err = Math.abs(analytic[j] - numeric) / Math.max(Math.abs(numeric), 1e-2);
          worst = Math.max(worst, err);
          checked++;
          expect(err, `${k}[${j}] analytic ${analytic[j]} numeric ${numeric}`).toBeLessThan(2e-3);
        }
      });
      backend.heap.stepRelease(mark);
    }
    expect(checked).toBeGreaterThan(300);
    console.log(`GED loss gradient check on ${name}: ${checked} partials, worst relative error ${worst.toExponential(2)}`);
  });
});

describe.each<BackendName>(['wasm', 'js'])('gedLoss on the tape (%s)', (name) => {
  it('passes gradCheck (Richardson central differences through the tape)', async () => {
    const backend = await backendOf(name);
    const random = rng(name === 'wasm' ? 131 : 132);
    const pr = randomProblem(random, 3);
    const slots = pr.values.length;
    const result = gradCheck(
      backend,
      [
        { rows: slots, cols: K, data: pr.typeLogits },
        { rows: slots, cols: L, data: pr.labelLogits },
        { rows: slots, cols: 1, data: pr.values },
        { rows: slots, cols: 1, data: pr.existLogits, parameter: true },
        { rows: 1, cols: pr.edgeLogits.length, data: pr.edgeLogits },
      ],
      (tape, [typeLogits, labelLogits, values, existLogits, edgeLogits]) =>
        gedLoss(tape, { typeLogits, labelLogits, values, existLogits, edgeLogits }, pr.graphs, { costs: COSTS }),
      {
        step: 1e-2,
        // the loss is a float32 sum of O(10): differences over 2h carry ~1e-5 of rounding noise,
        // so gradients below 1e-2 are compared absolutely (1e-3 · 1e-2)
        floor: 1e-2,
        referenceForward: (xs) => {
          const q = { ...pr, typeLogits: xs[0], labelLogits: xs[1], values: xs[2], existLogits: xs[3], edgeLogits: xs[4] };
          const per = referenceLoss(q, COSTS);
          return [per.reduce((a, b) => a + b, 0) / per.length];
        },
      },
    );
    const worstAbs = Math.max(...(result.finiteDifference ?? []).map((c) => c.maxAbsError));
    console.log(`gedLoss gradCheck on ${name}: max relative error ${result.maxRelError.toExponential(2)}, max absolute ${worstAbs.toExponential(2)}`);
    expect(result.maxRelError).toBeLessThan(1e-3);
  });

  it('names the missing head and the wrong shape', async () => {
    const backend = await backendOf(name);
    const tape = new Tape(backend);
    const graphs = [{ slots: 2, target: { nodes: [{ type: 0, label: 1, value: 0 }], edges: [] }, map: [0, -1] }];
    const typeLogits = ops.variable(tape, new Float32Array(2 * K), 2, K);
    expect(() => gedLoss(tape, { typeLogits }, graphs)).toThrow(/no labelLogits head/);
    const labelLogits = ops.variable(tape, new Float32Array(3 * L), 3, L);
    expect(() => gedLoss(tape, { typeLogits, labelLogits }, graphs)).toThrow(/labelLogits is 3×6, expected 2×6/);
    tape.reset();
  });
});

describe('GED loss meaning', () => {
  it('equals the exact expectation of the mapped script cost over every sampled graph, which bounds E[GED]', async () => {
    // tiny case, enumerated: 2 slots, 2 types, 2 labels, label targets only, unordered edges
    const backend = await backendOf('js');
    const random = rng(121);
    const Kt = 2;
    const Lt = 2;
    for (let trial = 0; trial < 10; trial++) {
      const P = 2;
      const target = {
        nodes: [{ type: Math.floor(random() * 2), label: Math.floor(random() * 2), value: 0 }, { type: Math.floor(random() * 2), label: Math.floor(random() * 2), value: 0 }],
        edges: random() < 0.5 ? [[0, 1] as const] : random() < 0.5 ? [[1, 0] as const] : [],
      };
      const map = [[0, 1], [1, 0], [0, -1], [-1, -1]][Math.floor(random() * 4)];
      const r = (n: number) => Float64Array.from({ length: n }, () => f32(random() * 3 - 1.5));
      const pr = { typeLogits: r(P * Kt), labelLogits: r(P * Lt), existLogits: r(P), edgeLogits: r(P * P) };
      const c = { ...COSTS, tau: 1 };
      const mark = backend.heap.stepMark();
      const packed = packGedLoss(backend, [{ slots: P, target, map }], c, Kt, Lt);
      const h = backend.heap;
      const pred: LossPredictions = {
        typeLogits: h.stepF32(pr.typeLogits), types: Kt, labelLogits: h.stepF32(pr.labelLogits), labels: Lt,
        values: 0, existLogits: h.stepF32(pr.existLogits), edgeLogits: h.stepF32(pr.edgeLogits),
      };
      const out = h.allocStep(4);
      gedLossForward(backend, packed, pred, out);
      const loss = h.f32[out >>> 2];
      // enumerate: existence of 2 slots, their (type, label), edges 0→1 and 1→0
      const sig = (x: number) => 1 / (1 + Math.exp(-x));
      const soft = (xs: Float64Array, at: number, n: number) => {
        const ex = Array.from(xs.subarray(at, at + n), Math.exp);
        const s = ex.reduce((a, b) => a + b, 0);
        return ex.map((x) => x / s);
      };
      let expectedScript = 0;
      let expectedGed = 0;
      for (let bits = 0; bits < 4; bits++) {
        for (let kinds = 0; kinds < 16; kinds++) {
          for (let edgeBits = 0; edgeBits < 4; edgeBits++) {
            const exists = [bits & 1, (bits >> 1) & 1];
            const node = [kinds & 3, (kinds >> 2) & 3].map((x) => ({ type: x & 1, label: x >> 1 }));
            const edge01 = exists[0] && exists[1] && edgeBits & 1;
            const edge10 = exists[0] && exists[1] && (edgeBits >> 1) & 1;
            let prob = 1;
            for (let p = 0; p < 2; p++) {
              const e = sig(pr.existLogits[p]);
              prob *= exists[p] ? e * soft(pr.typeLogits, p * Kt, Kt)[node[p].type] * soft(pr.labelLogits, p * Lt, Lt)[node[p].label] : (1 - e) / 4;
            }
            if (exists[0] && exists[1]) {
              const a01 = sig(pr.edgeLogits[1]);
              const a10 = sig(pr.edgeLogits[2]);
              prob *= (edgeBits & 1 ? a01 : 1 - a01) * ((edgeBits >> 1) & 1 ? a10 : 1 - a10);
            } else prob /= 4;
            const sample = { exists, node, edges: [edge01 ? [0, 1] : null, edge10 ? [1, 0] : null].filter((x) => x !== null) as [number, number][] };
            expectedScript += prob * scriptCost(sample, target, map, c);
            expectedGed += prob * Math.min(...[[0, 1], [1, 0], [0, -1], [-1, 0], [1, -1], [-1, 1], [-1, -1]].map((m) => scriptCost(sample, target, m, c)));
          }
        }
      }
      expect(loss).toBeCloseTo(expectedScript, 5);
      expect(expectedGed).toBeLessThanOrEqual(loss + 1e-6);
      backend.heap.stepRelease(mark);
    }
  });

  it('builds mappings for teacher forcing and from an edit mapping', () => {
    expect(Array.from(identityMapping(4, 3))).toEqual([0, 1, 2, -1]);
    // decoded nodes 0, 1 came from slots 2 and 0; the edit mapping keeps decoded 0 as target 1
    expect(Array.from(mappingFromEdit(3, [2, 0], { pairs: [[0, 1]] }))).toEqual([-1, -1, 1]);
  });
});

/** Cost of the script that `map` (slot → target) induces on a sampled graph (absent slots are unmapped). */
function scriptCost(
  sample: { exists: number[]; node: { type: number; label: number }[]; edges: [number, number][] },
  target: { nodes: { type: number; label: number }[]; edges: ReadonlyArray<readonly [number, number]> },
  map: number[],
  c: Costs,
): number {
  let nodes = 0;
  const image = new Map<number, number>();
  for (let p = 0; p < 2; p++) {
    if (!sample.exists[p]) continue;
    const t = map[p];
    if (t < 0) nodes += c.nodeDelete;
    else {
      image.set(p, t);
      const a = sample.node[p];
      const b = target.nodes[t];
      nodes += a.type !== b.type ? c.nodeType : a.label !== b.label ? c.nodeValue : 0;
    }
  }
  nodes += (target.nodes.length - image.size) * c.nodeInsert;
  let edges = 0;
  let kept = 0;
  const targetEdges = new Set(target.edges.map(([u, v]) => `${u},${v}`));
  for (const [p, q] of sample.edges) {
    if (image.has(p) && image.has(q) && targetEdges.has(`${image.get(p)},${image.get(q)}`)) kept++;
    else edges += c.edgeDelete;
  }
  edges += (target.edges.length - kept) * c.edgeInsert;
  return c.alpha * nodes + c.beta * edges;
}
