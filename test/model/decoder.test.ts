import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, Tape, type TensorLike } from '../../src/autograd/index';
import { createBackend, type Backend } from '../../src/backend/index';
import { DataGenerator, type DatasetRecord } from '../../src/data/index';
import { MathGraph, TOKEN_VOCABULARY } from '../../src/graph/index';
import { answersSymbolically, buildPlan, DagNN, decoderTree, DecoderTargetError, INT_MAX, INT_MIN, OTHER_NUMBER, SLOPE, recordsLoss, TargetError, treeGraph } from '../../src/model/index';
import { encoderView } from '../../src/model/dagnn';
import { Adam } from '../../src/optim/index';
import { BACKENDS, countingBackend } from './helpers';

/** A record of (input, answer) in the dataset layout; the answers below are worked by hand. */
function record(id: string, polish: string, answer: string, bindings: Record<string, number> = {}): DatasetRecord {
  const result = MathGraph.fromPolish(answer);
  const numeric = result.size === 1 && (result.types[0] === 'int' || result.types[0] === 'float');
  return {
    id,
    level: polish.startsWith('(derive') ? 5 : 1,
    polish,
    bindings,
    graph: MathGraph.fromPolish(polish).toJSON(),
    result_numeric: numeric ? Number(result.values[0]) : null,
    result_symbolic: numeric ? null : answer,
    result_graph: result.toJSON(),
  } as DatasetRecord;
}

// every decoder path: op and fn parents in both slots, int classes, an OTHER_NUMBER (value
// head), a one-node numeric derivative (SLOPE), and numeric-head records in the same batch
const TINY: DatasetRecord[] = [
  record('d0', '(derive (^ x 2) x)', '(* 2 x)'),
  record('d1', '(derive (* 3 x) x)', '3'),
  record('d2', '(derive (sin x) x)', '(cos x)'),
  record('d3', '(derive (* 100 (^ x 2)) x)', '(* 200 x)'),
  record('d4', '(derive (- (^ x 3) x) x)', '(- (* 3 (^ x 2)) 1)'),
  record('n0', '(+ 2 3)', '5'),
  record('n1', '(* (- 1.5 x) 2)', '2.0', { x: 0.5 }),
];

describe('decoder targets and routing', () => {
  it('decoderTree and treeGraph round-trip every level-5 answer in the decoder range', () => {
    const records = new DataGenerator({ seed: 'decoder-roundtrip' }).take(5, 300);
    let inRange = 0;
    for (const r of records) {
      const tree = decoderTree(r.result_graph, r.id);
      if (tree.every((n) => n.label !== OTHER_NUMBER)) inRange++;
      // OTHER_NUMBER and SLOPE nodes carry their value: decoding the exact value reproduces the answer
      expect(treeGraph(tree).toPolish()).toBe(MathGraph.fromJSON(r.result_graph).toPolish());
    }
    expect(inRange).toBeGreaterThan(150);
    expect(decoderTree(MathGraph.fromPolish(`(* ${INT_MAX + 1} x)`).toJSON(), 't')[1].label).toBe(OTHER_NUMBER);
    // a one-node numeric answer is a SLOPE (its value read from the value stream), unless asked otherwise
    expect(decoderTree(MathGraph.fromPolish('7').toJSON(), 't')[0].label).toBe(SLOPE);
    expect(decoderTree(MathGraph.fromPolish('7').toJSON(), 't', false)[0].label).toBe(TOKEN_VOCABULARY.length + 7 - INT_MIN);
  });

  it('names what the decoder cannot emit, and recordsLoss names the record', async () => {
    expect(() => decoderTree(MathGraph.fromPolish('(+ x q)').toJSON(), 'answer')).toThrow(DecoderTargetError);
    expect(() => decoderTree(MathGraph.fromPolish('(+ x q)').toJSON(), 'answer')).toThrow(/answer\.nodes\[2\]: the decoder cannot emit the symbol 'q'/);
    const backend = await createBackend('js');
    const model = new DagNN(backend, { hidden: 4 });
    const tape = new Tape(backend);
    expect(() => recordsLoss(tape, model, [record('bad7', '(derive (^ x 2) x)', '(derive x x)')])).toThrow(TargetError);
    tape.reset();
    expect(() => recordsLoss(tape, model, [record('bad7', '(derive (^ x 2) x)', '(derive x x)')])).toThrow(/record bad7/);
    tape.reset();
  });

  it('routes by the input root: derive → tree decoder, everything else → numeric head', () => {
    expect(TINY.map((r) => answersSymbolically({ graph: MathGraph.fromJSON(r.graph) }))).toEqual([true, true, true, true, true, false, false]);
    expect(answersSymbolically({ graph: MathGraph.fromPolish('(derive x x)').toArrays() })).toBe(true);
    expect(answersSymbolically({ graph: MathGraph.fromPolish('(+ (derive x x) 1)') })).toBe(false);
  });
});

describe.each(BACKENDS)('tree decoder on %s', (backendName) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await createBackend(backendName);
  });

  it('passes a whole-model finite-difference gradient check on a mixed tiny batch (encoder, numeric head, decoder)', () => {
    const model = new DagNN(backend, { hidden: 3, seed: 'decoder-gradcheck', typeHead: 'state' });
    const params = model.parameters();
    const result = gradCheck(
      backend,
      params.map((p) => ({ rows: p.rows, cols: p.cols, data: p.data, parameter: true })),
      (tape, xs: TensorLike[]) => model.withParameters(xs, () => recordsLoss(tape, model, TINY, { auxScale: 1, tau: 1, detachType: false }).loss),
      // the default step 3e-2: no exp/tan/log unit sees a large input here, and the label
      // cross-entropy over LABEL_CLASSES makes the objective ≈ 13, so float32 noise
      // (≈ 1e-7·13/h) needs the larger h
      { floor: 3e-3 },
    );
    let checked = 0;
    const decoderNames = new Set<string>();
    params.forEach((p, i) => {
      const fd = result.finiteDifference![i];
      const reached = result.analytic[i].some((g) => g !== 0);
      if (reached) checked += p.size;
      if (reached && p.name.startsWith('decoder.')) decoderNames.add(p.name);
      expect(fd.maxRelError, `${p.name}: ${fd.maxRelError} (abs ${fd.maxAbsError})`).toBeLessThan(1e-2);
    });
    // the decoder paths of TINY: root, (* 0/1), (^ 0/1), (- 0/1), (cos 0), the three heads, the attention
    for (const name of ['decoder.root.W', 'decoder.*.0.W', 'decoder.*.1.W', 'decoder.^.0.W', 'decoder.^.1.W', 'decoder.-.1.W', 'decoder.cos.0.W', 'decoder.type.W', 'decoder.label.W', 'decoder.value.W', 'decoder.attention.query', 'decoder.attention.mix.W']) {
      expect(decoderNames.has(name), name).toBe(true);
    }
    expect(decoderNames.has('decoder.sin.0.W')).toBe(false); // no answer has a sin
    console.log(`[${backendName}] whole-model gradcheck with the decoder: ${checked} parameters reached, max rel error ${result.maxRelError.toExponential(2)}`);
  });

  it('recordsLoss of a mixed batch is the record-weighted mean of the numeric and the tree losses', () => {
    const model = new DagNN(backend, { hidden: 8, seed: 'mix' });
    const tape = new Tape(backend);
    const once = (records: DatasetRecord[]) => {
      const v = tape.scalar(recordsLoss(tape, model, records).loss);
      tape.reset();
      return v;
    };
    const tree = TINY.filter((r) => r.level === 5);
    const numeric = TINY.filter((r) => r.level !== 5);
    const expected = (tree.length * once(tree) + numeric.length * once(numeric)) / TINY.length;
    expect(once(TINY)).toBeCloseTo(expected, 5);
  });

  it('level-batches the decoder: a batch of 64 same-shaped trees costs the kernel calls of one', () => {
    const counting = countingBackend(backend);
    const model = new DagNN(counting.backend, { hidden: 8, seed: 'calls' });
    const tape = new Tape(counting.backend);
    const calls = (records: DatasetRecord[]) => {
      counting.reset();
      const { loss } = recordsLoss(tape, model, records);
      tape.backward(loss);
      tape.reset();
      return counting.calls();
    };
    const one = record('a', '(derive (^ x 3) x)', '(* 3 (^ x 2))');
    // same input and answer shapes, other numbers
    const many = Array.from({ length: 64 }, (_, i) => record(`b${i}`, `(derive (^ x ${2 + (i % 5)}) x)`, `(* ${2 + (i % 5)} (^ x ${1 + (i % 5)}))`));
    expect(calls(many)).toBe(calls([one]));
  });

  it('greedy and beam decoding give complete trees within the node budget, the same alone and in a mixed batch', () => {
    for (const [budget, beam] of [[1, 1], [3, 1], [7, 1], [3, 5], [7, 5]]) {
      const model = new DagNN(backend, { hidden: 8, seed: `greedy-${budget}`, decoderBudget: budget, decoderBeam: beam });
      const inputs = TINY.map((r) => ({ graph: MathGraph.fromJSON(r.graph), bindings: r.bindings }));
      const batch = model.predictBatch(inputs);
      batch.forEach((g, i) => {
        expect(g.size).toBeLessThanOrEqual(i < 5 ? budget : 1);
        // complete: every op/fn has its arity (MathGraph.fromPolish re-parses the printed tree)
        expect(MathGraph.fromPolish(g.toPolish()).toJSON()).toEqual(g.toJSON());
        expect(model.predictBatch([inputs[i]])[0].toJSON()).toEqual(g.toJSON());
      });
    }
  });
});

describe.each(BACKENDS)('beam search on %s', (backendName) => {
  it('returns up to `width` distinct complete trees per input, complete and within the node budget', async () => {
    const backend = await createBackend(backendName);
    const model = new DagNN(backend, { hidden: 8, seed: 'beam', decoderBudget: 9 });
    const inputs = new DataGenerator({ seed: 4 }).take(5, 6).map((r) => ({ graph: MathGraph.fromJSON(r.graph), bindings: r.bindings }));
    const tape = new Tape(backend);
    const out = model.forward(tape, buildPlan(inputs));
    const view = encoderView(out, inputs.map((_, g) => g));
    const beams = model.decoder.beam(tape, view, 9, 4);
    expect(beams).toHaveLength(inputs.length);
    for (const list of beams) {
      expect(list.length).toBeGreaterThan(0);
      expect(list.length).toBeLessThanOrEqual(4);
      const printed = list.map((t) => treeGraph(t).toPolish());
      expect(new Set(printed).size).toBe(printed.length);
      for (const t of list) {
        expect(t.length).toBeLessThanOrEqual(9);
        const g = treeGraph(t);
        expect(MathGraph.fromPolish(g.toPolish()).toJSON()).toEqual(g.toJSON());
      }
    }
    tape.reset();
    // wasm/js parity of the whole level-5 answer path (beam, SLOPE, number fit) for the same weights
    const twin = new DagNN(await createBackend(backendName === 'js' ? 'wasm' : 'js'), { hidden: 8, seed: 'other', decoderBudget: 9 });
    twin.loadStateDict(model.stateDict());
    expect(twin.predictBatch(inputs).map((g) => g.toPolish())).toEqual(model.predictBatch(inputs).map((g) => g.toPolish()));
  });
});

describe('wasm and js backends agree with the decoder', () => {
  it('give the same losses over 20 Adam steps on mixed level 1–5 batches', async () => {
    const gen = new DataGenerator({ seed: 'decoder-parity' });
    const batches = Array.from({ length: 20 }, () => gen.mixedBatch({ 1: 1, 3: 1, 5: 2 }, 32));
    const trace = async (name: 'js' | 'wasm') => {
      const backend = await createBackend(name);
      const model = new DagNN(backend, { hidden: 16, seed: 'parity' });
      const opt = new Adam(model.parameters(), { lr: 3e-3 });
      const tape = new Tape(backend);
      return batches.map((batch) => {
        const { loss } = recordsLoss(tape, model, batch);
        const v = tape.scalar(loss);
        opt.zeroGrad();
        tape.backward(loss);
        opt.step();
        tape.reset();
        return v;
      });
    };
    const js = await trace('js');
    const wasm = await trace('wasm');
    const worst = Math.max(...js.map((v, i) => Math.abs(v - wasm[i]) / Math.abs(v)));
    console.log(`decoder parity: first loss js ${js[0].toFixed(6)} wasm ${wasm[0].toFixed(6)}, worst relative difference over 20 steps ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('SLOPE answers', () => {
  it('read f(1) − f(0) from the value stream: exact when the value units are exact', async () => {
    const backend = await createBackend('js');
    const model = new DagNN(backend, { hidden: 4, seed: 'slope' });
    const sd = model.stateDict();
    // exact units: + adds, − subtracts, * multiplies
    sd['+.add'].set([1, 1]);
    sd['+.units'].set([0, 0]);
    sd['-.add'].set([1, -1]);
    sd['-.units'].set([0, 0]);
    sd['*.add'].set([0, 0]);
    sd['*.units'].set([1, 0]);
    // the decoder says "one int node, SLOPE" whatever the input (weights enter as stateGain · stored)
    sd['decoder.type.b'][0] = 100 / model.stateGain;
    sd['decoder.label.b'][SLOPE] = 100 / model.stateGain;
    model.loadStateDict(sd);
    // d/dx of linear expressions, worked by hand
    const cases: Array<[string, number]> = [
      ['(derive (+ (* 7 x) 3) x)', 7],
      ['(derive (- (* 4 (+ x 2)) x) x)', 3],
      ['(derive (* (- 2 9) (- x 5)) x)', -7],
      ['(derive (- 8 8) x)', 0],
      ['(derive (+ (* y 3) (* 2 y)) y)', 5],
    ];
    const predicted = model.predictBatch(cases.map(([p]) => ({ graph: MathGraph.fromPolish(p) })));
    expect(predicted.map((g) => g.toJSON())).toEqual(cases.map(([, v]) => ({ nodes: [{ id: 0, type: 'int', value: v }], edges: [] })));
    // a bound variable does not change the slope: both passes bind it themselves
    expect(model.predict('(derive (+ (* 7 x) 3) x)', { x: 4 }).toPolish()).toBe('7');
  });
});

describe('beam candidates', () => {
  it('TopCandidates keeps what a stable sort by descending score cut to the width keeps (ties: first offered first)', async () => {
    const { TopCandidates } = await import('../../src/model/decoder');
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const width = 1 + (trial % 6);
      const n = Math.floor(random() * 40);
      // few distinct scores, so ties are common
      const offers = Array.from({ length: n }, (_, i) => ({ type: i % 5, label: i, score: -Math.floor(random() * 6) / 2 }));
      const top = new TopCandidates(width);
      top.clear();
      for (const o of offers) top.offer(o.type, o.label, o.score);
      const expected = [...offers].sort((a, b) => b.score - a.score).slice(0, width);
      expect(top.list(), `trial ${trial}`).toEqual(expected);
    }
  });
});
