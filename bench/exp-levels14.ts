/**
 * Levels 1–4 learned exactly: the recipe experiment (docs/experiments.md).
 *
 *   npx tsx bench/exp-levels14.ts [--no-stages] [--no-snap] [--no-power] [--no-guard]
 *        [--no-exact-type] [--f32] [--seed S] [--scale F] [--quiet]
 *
 * Trains one DagNN (wasm) on levels 1 → 4 with depth STAGES inside each level (depth 1, ≤ 2,
 * ≤ 3; each batch mixes the current stage with replay of earlier stages and levels), the NAU
 * sparsity regulariser ramped over each stage, SNAP-AND-FREEZE of the value-unit weights at
 * the end of each stage (kept only if no trained level's validation accuracy falls), and a
 * FORGETTING GUARD (replay weighted to levels that fell below their best). Every unit is
 * offered to every kind of its arity (product, ratio, power for all two-child kinds; the six
 * functions for all one-child kinds); nothing is assigned by hand.
 *
 * Held-out figures are the Trainer's: per level, `evalSize` 'val' records from the stream
 * `${seed}/val/L${level}` and `testSize` 'test' records from `${seed}/test/L${level}`
 * (full-depth default specs, hash-disjoint splits). Prints per-level val accuracy at every
 * evaluation, test accuracy at every stage end and at the end (best and end), wall time.
 */
import { Tape } from '../src/autograd/index';
import { createBackend } from '../src/backend/index';
import { DataGenerator } from '../src/data/generator';
import type { Level } from '../src/data/levels';
import type { DatasetRecord } from '../src/data/record';
import { splitOf, type Split } from '../src/data/split';
import { buildPlan, DagNN, KIND_NAMES, evaluateRecords, numericTarget, planInput, recordsLoss } from '../src/model/index';
import { CAP } from '../src/model/units';
import { Adam, clampValues, clipGradNorm, FreezeMask, GradientActivity, nauSparsity, rampedWeight, setGroupLrs, snapBySearch, snapToLattice, undoSnap, type SnapRecord } from '../src/optim/index';
import type { Parameter } from '../src/autograd/index';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};

const seed = option('seed', '0');
const scale = Number(option('scale', '1'));
const LEVELS: Level[] = (option('levels', '1,2,3,4').split(',').map(Number) as Level[]);

/** THE RECIPE (config values reported in docs/experiments.md). */
const recipe = {
  hidden: 32,
  batchSize: 64,
  stages: !flag('no-stages'),
  snap: !flag('no-snap'),
  power: !flag('no-power'),
  bound: !flag('no-bound'),
  guard: !flag('no-guard'),
  exactType: !flag('no-exact-type'),
  typeGate: !flag('no-type-gate'),
  precision: (flag('f32') ? 'f32' : 'f64') as 'f32' | 'f64',
  /** updates per (level, stage): depth 1, ≤ 2, ≤ 3 (level 1 has depth 1 only) */
  stageSteps: Object.fromEntries(Object.entries(JSON.parse(option('stage-steps', '{"1":[800],"2":[800,800,800],"3":[800,800,800],"4":[1200,1000,1000]}')) as Record<string, number[]>).map(([k, v]) => [k, v.map((x) => Math.round(x * scale))])) as Record<string, number[]>,
  /** Adam lrs per parameter group: value units, floatness, type head, state path + decoder */
  lr: { values: Number(option('lr', '3e-2')), exact: 3e-2, head: 3e-2, state: 3e-3 },
  /** cosine from the peak to peak·floor over each stage */
  lrFloor: 0.01,
  maxGradNorm: Number(option('clip', '1')),
  /** NAU sparsity weight, ramped linearly over [start, end] fractions of each stage */
  sparsity: { max: Number(option('sparsity', '1')), start: 0.3, end: 0.7 },
  /** value-unit weights clamped into [−1, 1] after each update (NAU) */
  clamp: 1,
  /** snap ε to the lattice {−1, 0, 1}; snaps happen at these fractions of each stage */
  snapEps: Number(option('eps', '0.1')),
  /** snap by rounding within ε (ablation) instead of the lattice search */
  snapRound: flag('snap-round'),
  /** records of the current stage (training split, a separate stream) that score snap candidates */
  probeSize: 300,
  /** one-hot candidates on the k largest weights (Infinity: every unit) */
  snapTopK: Number(option('topk', 'Infinity')),
  snapAt: [0.85, 1],
  /** the power feature's bound while some power weight is unsnapped (iNALU-like), then CAP */
  unitBound: Number(option('unit-bound', '1000')),
  /** the bound once every reached unit weight is snapped (Infinity: only non-finite results are out) */
  liftTo: Number(option('lift-to', 'Infinity')),
  /** snap the floatness logits to ±saturate (σ ≈ 0 or 1) once the value weights are snapped */
  exactSnap: !flag('no-exact-snap'),
  /** updates of the type path on exact values before its logits may be saturated */
  exactSnapAfter: 100,
  saturate: 30,
  exactEps: Number(option('exact-eps', '0.1')),
  /** share of each batch replaying earlier stages / levels */
  replay: Number(option('replay', '0.3')),
  /** forgetting guard: a level more than `drop` below its best val accuracy gets `boost`× replay weight */
  drop: 0.01,
  boost: 4,
  /** at a level's end, roll back to the last evaluation where no level was > drop below its best */
  rollback: flag('rollback'),
  evalEvery: 400,
  evalSize: 200,
  testSize: Number(option('test-size', '500')),
};

function log(...args: unknown[]) {
  if (!flag('quiet') || String(args[0]).startsWith('#')) console.log(...args);
}

const backend = await createBackend('wasm');
const model = new DagNN(backend, {
  hidden: recipe.hidden,
  seed: `${seed}/model`,
  binaryUnits: recipe.power ? ['product', 'ratio', 'power'] : ['product', 'ratio'],
  valueStream: 'host',
  valuePrecision: recipe.precision,
  typeHead: recipe.exactType ? (flag('linear-type-head') ? 'exact-linear' : 'exact') : 'value',
  floatPropagation: flag('learned-propagation') ? 'learned' : 'always',
  unitBound: recipe.bound ? recipe.unitBound : CAP,
});
const roles = model.parameterRoles();
const valueParams = roles.values;
const groups = [roles.values, roles.exact, roles.head, [...roles.state, ...roles.decoder]].filter((g) => g.length > 0);
const groupLr = [recipe.lr.values, ...(roles.exact.length ? [recipe.lr.exact] : []), recipe.lr.head, recipe.lr.state];
const exactGroup = roles.exact.length ? 1 : -1;
const headGroup = roles.exact.length ? 2 : 1;
const optimizer = new Adam(groups.map((params) => ({ params })), { lr: 1 });
const mask = new FreezeMask();
/** value parameters the data has reached (sparsity and snapping act on these only) */
const activity = new GradientActivity();
const activeValues = () => activity.active(valueParams, 50);
const tape = new Tape(backend);

/** Records of `split` the numeric head answers, from one persistent generator per key. */
const generators = new Map<string, DataGenerator>();
function draw(key: string, level: Level, maxDepth: number | null, split: Split, count: number): DatasetRecord[] {
  let g = generators.get(key);
  if (!g) generators.set(key, (g = new DataGenerator({ seed: key, specs: maxDepth === null ? {} : { [level]: { maxDepth } } })));
  const out: DatasetRecord[] = [];
  while (out.length < count) {
    const r = g.next(level);
    const nodes = r.result_graph.nodes;
    if (splitOf(r.polish) === split && nodes.length === 1 && (nodes[0].type === 'int' || nodes[0].type === 'float')) out.push(r);
  }
  return out;
}
const heldOut = (split: 'val' | 'test', level: Level, count: number) => draw(`${seed}/${split}/L${level}`, level, null, split, count);
const val = new Map(LEVELS.map((l) => [l, heldOut('val', l, recipe.evalSize)]));
const test = new Map(LEVELS.map((l) => [l, heldOut('test', l, recipe.testSize)]));

const accuracy = (records: readonly DatasetRecord[]) => evaluateRecords(model, records).accuracy;
function evaluateLevels(which: 'val' | 'test', levels: readonly Level[]): Record<number, number> {
  const sets = which === 'val' ? val : test;
  return Object.fromEntries(levels.map((l) => [l, accuracy(sets.get(l)!)]));
}
/** a percentage to 0.1, rounded DOWN (1999/2000 is 99.9, never 100.0) */
const pct = (x: number) => (Math.floor(1000 * x + 1e-9) / 10).toFixed(1);
const row = (acc: Record<number, number>) => Object.entries(acc).map(([l, a]) => `L${l} ${pct(a)}`).join('  ');

const trained: Level[] = [];
const bestVal: Record<number, number> = {};
const bestTest: Record<number, number> = {};
const snapLog: string[] = [];
/** the (level, stage) pairs done so far, for replay */
const done: { level: Level; depth: number | 'all' }[] = [];
let updates = 0;
/** updates the type path has trained (not gated) */
let typeSteps = 0;
const started = performance.now();
let trainSeconds = 0;

/**
 * The unit features of a kind are bounded (±unitBound) while some of its unit weights are not
 * snapped (a weight of 1e-3 on a power or exp feature of 1e6 is an error of 1000), and
 * unbounded (liftTo) once all are: per kind, a pure function of the freeze state. With
 * --global-bound: one bound for all kinds, lifted only when every reached kind is snapped.
 */
function syncUnitBound(): void {
  if (!recipe.bound) return;
  const reached = new Set(activity.active(valueParams, 1));
  const frozen = (group: Parameter[]) => group.every((p) => p.data.every((_, i) => mask.isFrozen(p, i)));
  if (flag('global-bound')) {
    const open = kindGroups.some(([, group]) => group.some((p) => reached.has(p)) && !frozen(group));
    model.unitBound = open ? recipe.unitBound : recipe.liftTo;
    return;
  }
  for (const [kind, group] of kindGroups) {
    if (frozen(group)) model.unitBounds[kind] = recipe.liftTo;
    else delete model.unitBounds[kind];
  }
}

/**
 * TYPE GATE: the floatness logits and the type head train only while every value weight the
 * data has reached is snapped. Before that, values are inexact, n(v) ≈ 1 everywhere, and the
 * head learns to ignore it (measured: every kind's pass-on logit φ went to −5…−11, so
 * (^ (sin 1) 0) came out int).
 */
function typeGated(): boolean {
  // without snapping nothing is ever exact: the gate would never open
  if (!recipe.typeGate || !recipe.snap) return false;
  return activity.active(valueParams, 1).some((p) => p.data.some((_, i) => !mask.isFrozen(p, i)));
}

function replayWeights(): Map<string, number> {
  // earlier (level, stage) pairs; a level that fell below its best gets `boost`× weight
  const w = new Map<string, number>();
  const lastVal = evals.at(-1);
  for (const { level, depth } of done) {
    const fell = recipe.guard && lastVal !== undefined && lastVal[level] !== undefined && lastVal[level] < (bestVal[level] ?? 0) - recipe.drop;
    w.set(`${level}:${depth}`, fell ? recipe.boost : 1);
  }
  return w;
}

const evals: Record<number, number>[] = [];
/** the last state at an evaluation where no level was more than `drop` below its best (rollback) */
interface Snapshot { step: number; weights: Record<string, Float32Array>; mask: ReturnType<FreezeMask['stateDict']> }
let good = null as Snapshot | null;
const lastGood = () => good;
const fallen = (acc: Record<number, number>) => trained.filter((l) => acc[l] !== undefined && acc[l] < (bestVal[l] ?? 0) - recipe.drop);

function evaluate(tag: string): Record<number, number> {
  const acc = evaluateLevels('val', trained);
  for (const [l, a] of Object.entries(acc)) bestVal[+l] = Math.max(bestVal[+l] ?? 0, a);
  evals.push(acc);
  if (recipe.rollback && fallen(acc).length === 0) good = { step: updates, weights: model.stateDict(), mask: mask.stateDict() };
  log(`  [${tag}] step ${updates}  val ${row(acc)}  frozen ${mask.count()}/${valueParams.reduce((a, p) => a + p.size, 0)}  ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return acc;
}

/** The training objective on `records`, forward only, mean per record. */
function heldOutLoss(records: readonly DatasetRecord[]): number {
  let sum = 0;
  for (let i = 0; i < records.length; i += 256) {
    const part = records.slice(i, i + 256);
    try {
      sum += tape.scalar(recordsLoss(tape, model, part).loss) * part.length;
    } finally {
      tape.reset();
    }
  }
  return sum / records.length;
}

/** Mean |v − y| of the numeric answers on `records` (float64 root values). */
function valueError(records: readonly DatasetRecord[]): number {
  let sum = 0;
  for (let i = 0; i < records.length; i += 256) {
    const part = records.slice(i, i + 256);
    try {
      const out = model.forward(tape, buildPlan(part.map(planInput)));
      part.forEach((r, j) => {
        const d = Math.abs(out.values64![j] - numericTarget(r).value);
        sum += Number.isFinite(d) ? Math.min(d, 1e3) : 1e3;
      });
    } finally {
      tape.reset();
    }
  }
  return sum / records.length;
}

/** A snap candidate's score: accuracy first (steps of 1/probe size), the value error breaks ties. */
const probeScore = (records: readonly DatasetRecord[]) => 1000 * accuracy(records) - Math.min(valueError(records), 999);

/** The value-unit weights per kind: `${kind}.add` and `${kind}.units` together. */
const kindGroups = (() => {
  const m = new Map<string, Parameter[]>();
  for (const p of valueParams) {
    const kind = p.name.slice(0, p.name.lastIndexOf('.'));
    m.set(kind, [...(m.get(kind) ?? []), p]);
  }
  return [...m.entries()];
})();

/**
 * SNAP-AND-FREEZE. Per kind the data has reached (all its value weights unfrozen): search
 * the lattice candidates (nearest point; one-hots on the 3 largest weights) for the one the
 * current stage's held-out probe scores best, kept (exact, frozen) if it scores at least as
 * well as the unsnapped weights AND no trained level's validation accuracy falls; else undone.
 * With --snap-round: plain rounding of weights within ε instead of the search.
 */
function snap(tag: string, probe: readonly DatasetRecord[]): void {
  const before = evaluateLevels('val', trained);
  const active = new Set(activeValues());
  const keepIfNoFall = (record: SnapRecord, what: string): boolean => {
    if (record.entries.length === 0) return false;
    syncUnitBound();
    const after = evaluateLevels('val', trained);
    const fell = trained.filter((l) => after[l] < before[l]);
    if (fell.length > 0) {
      undoSnap(record, mask);
      syncUnitBound();
      snapLog.push(`${tag} ${what} reverted (L${fell.join(',')} fell)`);
      return false;
    }
    Object.assign(before, after);
    return true;
  };
  if (recipe.snapRound) {
    const record = snapToLattice([...active], recipe.snapEps, 'ternary', mask);
    if (keepIfNoFall(record, 'round')) snapLog.push(`${tag} round: ${record.entries.length} kept`);
  } else {
    for (const [kind, group] of kindGroups) {
      if (!group.every((p) => active.has(p))) continue;
      const result = snapBySearch(group, mask, () => {
        const sc = probeScore(probe);
        if (flag('debug-snap')) log(`#     ${kind} [${group.flatMap((p) => Array.from(p.data, (x) => Number(x.toFixed(3)))).join(',')}] → ${sc.toFixed(3)}`);
        return sc;
      }, { topK: recipe.snapTopK });
      if (result === null) continue;
      if (keepIfNoFall(result.record, kind)) {
        const w = result.record.entries.map((e) => e.snapped).join(',');
        snapLog.push(`${tag} ${kind}=[${w}] (probe ${(result.baseline / 10).toFixed(1)}→${(result.score / 10).toFixed(1)})`);
      }
    }
  }
  syncUnitBound();
  // the floatness logits of the kinds reached so far, saturated, once every value weight is
  // snapped (typeGated false) and the type path has trained on exact values
  if (recipe.exactSnap && roles.exact.length > 0 && !typeGated() && typeSteps >= recipe.exactSnapAfter) {
    const exact = roles.exact[0];
    const reached = new Set<number>();
    for (const [kind, group] of kindGroups) if (group.every((p) => active.has(p))) reached.add(KIND_NAMES.indexOf(kind));
    // only logits whose probability is within ε of 0 or 1 (the snap rule, in σ-space)
    const sigmaNear = (x: number) => Math.min(1 / (1 + Math.exp(-x)), 1 / (1 + Math.exp(x))) <= recipe.exactEps;
    const idx = [...exact.data.keys()].filter((i) => reached.has(i >> 1) && !mask.isFrozen(exact, i) && sigmaNear(exact.data[i]));
    if (idx.length > 0) {
      const before2 = evaluateLevels('val', trained);
      const baseline = probeScore(probe);
      const record: SnapRecord = { entries: idx.map((i) => ({ param: exact, index: i, previous: exact.data[i], snapped: Math.sign(exact.data[i]) * recipe.saturate })) };
      for (const e of record.entries) mask.freeze(exact, e.index, e.snapped);
      const score = probeScore(probe);
      const after = evaluateLevels('val', trained);
      const fell = trained.filter((l) => after[l] < before2[l]);
      if (score < baseline || fell.length > 0) {
        undoSnap(record, mask);
        snapLog.push(`${tag} floatness reverted (probe ${(baseline / 10).toFixed(1)}→${(score / 10).toFixed(1)}${fell.length ? `, L${fell.join(',')} fell` : ''})`);
      } else snapLog.push(`${tag} floatness saturated: ${[...new Set(idx.map((i) => KIND_NAMES[i >> 1]))].join(' ')} (probe ${(baseline / 10).toFixed(1)}→${(score / 10).toFixed(1)})`);
    }
  }
}

function trainStage(level: Level, depth: number | null, steps: number): void {
  const stageKey = `${level}:${depth ?? 'all'}`;
  const decay = (t: number) => recipe.lrFloor + (1 - recipe.lrFloor) * 0.5 * (1 + Math.cos((Math.PI * t) / steps));
  const snapSteps = recipe.snap ? recipe.snapAt.map((f) => Math.round(f * steps)) : [];
  // training-split records (at depth 1 the whole problem space is ~15 texts per function,
  // so the 10% 'val' share can miss a function altogether: measured, no cos/log/tan at all)
  const probe = draw(`${seed}/probe/${stageKey}`, level, depth, 'train', recipe.probeSize);
  if (flag('debug-snap')) {
    const roots: Record<string, number> = {};
    for (const r of probe) roots[r.polish.split(' ')[0]] = (roots[r.polish.split(' ')[0]] ?? 0) + 1;
    log('# probe roots ' + JSON.stringify(roots));
  }
  for (let t = 0; t < steps; t++) {
    const t0 = performance.now();
    setGroupLrs(optimizer, decay(t), typeGated() ? groupLr.map((lr, g) => (g === exactGroup || g === headGroup ? 0 : lr)) : groupLr);
    syncUnitBound();
    // the batch: current stage, plus replay of earlier (level, stage) pairs
    const replay = replayWeights();
    const total = [...replay.values()].reduce((a, b) => a + b, 0);
    const batch: DatasetRecord[] = [];
    const nReplay = total > 0 ? Math.round(recipe.replay * recipe.batchSize) : 0;
    batch.push(...draw(`${seed}/train/${stageKey}`, level, depth, 'train', recipe.batchSize - nReplay));
    if (nReplay > 0) {
      const keys = [...replay.keys()];
      const weights = keys.map((k) => replay.get(k)! / total);
      const counts = weights.map((w) => Math.floor(w * nReplay));
      let left = nReplay - counts.reduce((a, b) => a + b, 0);
      for (let i = 0; left > 0; i = (i + 1) % counts.length, left--) counts[(updates + i) % counts.length]++;
      keys.forEach((k, i) => {
        if (counts[i] === 0) return;
        const [l, d] = k.split(':');
        batch.push(...draw(`${seed}/train/${l}:${d}`, Number(l) as Level, d === 'all' ? null : Number(d), 'train', counts[i]));
      });
    }
    optimizer.zeroGrad();
    try {
      const { loss } = recordsLoss(tape, model, batch);
      tape.backward(loss);
    } finally {
      tape.reset();
    }
    activity.observe(valueParams);
    if (recipe.sparsity.max > 0 && recipe.snap) {
      nauSparsity(activeValues(), rampedWeight(t, recipe.sparsity.start * steps, recipe.sparsity.end * steps, recipe.sparsity.max), mask);
    }
    clipGradNorm(model.parameters(), recipe.maxGradNorm);
    mask.maskGrads();
    optimizer.step();
    mask.restore();
    if (recipe.snap) clampValues(valueParams, -recipe.clamp, recipe.clamp);
    mask.restore();
    updates++;
    if (!typeGated()) typeSteps++;
    trainSeconds += (performance.now() - t0) / 1000;
    if (snapSteps.includes(t + 1)) snap(`L${level} d${depth ?? 'all'} @${t + 1}`, probe);
    if ((t + 1) % recipe.evalEvery === 0 || t + 1 === steps) evaluate(`L${level} d${depth ?? 'all'}`);
  }
}

for (const level of LEVELS) {
  trained.push(level);
  const plan = recipe.stageSteps[String(level)];
  const stages: (number | null)[] = recipe.stages ? (level === 1 ? [null] : [1, 2, 3]) : [null];
  const steps = recipe.stages ? plan : [plan.reduce((a, b) => a + b, 0)];
  log(`# level ${level}: stages ${stages.map((d) => (d === null ? 'full' : `d≤${d}`)).join(', ')}, updates ${steps.join(' + ')}`);
  stages.forEach((depth, i) => {
    trainStage(level, depth, steps[i]);
    done.push({ level, depth: depth ?? 'all' });
  });
  const fell = fallen(evals.at(-1)!);
  const snapshot = lastGood();
  if (recipe.rollback && fell.length > 0 && snapshot !== null) {
    model.loadStateDict(snapshot.weights);
    mask.loadStateDict(model.parameters(), snapshot.mask);
    syncUnitBound();
    snapLog.push(`L${level} end: L${fell.join(',')} below best, rolled back to step ${snapshot.step}`);
    evaluate(`L${level} rollback`);
  }
  const t = evaluateLevels('test', trained);
  for (const [l, a] of Object.entries(t)) bestTest[+l] = Math.max(bestTest[+l] ?? 0, a);
  log(`# after level ${level}: test ${row(t)}  (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

const endTest = evaluateLevels('test', trained);
for (const [l, a] of Object.entries(endTest)) bestTest[+l] = Math.max(bestTest[+l] ?? 0, a);
const endVal = evals.at(-1)!;
const wall = (performance.now() - started) / 1000;
log(`# RESULT ${argv.join(' ') || '(recipe)'}`);
log(`# updates ${updates}, wall ${wall.toFixed(0)} s (training ${trainSeconds.toFixed(0)} s, the rest evaluation/snapping)`);
log(`# test  end  ${row(endTest)}`);
log(`# test  best ${row(bestTest)}   (over level ends and the end)`);
log(`# val   end  ${row(endVal)}`);
log(`# val   best ${row(bestVal)}   (drops: ${trained.map((l) => `L${l} ${(100 * (bestVal[l] - endVal[l])).toFixed(2)}`).join(' ')})`);
log('# snaps: ' + snapLog.join(' | '));
const show = (p: Parameter) => `${p.name}=[${Array.from(p.data, (x) => (Math.abs(x) < 1e-9 ? '0' : Number(x.toPrecision(4)))).join(',')}]`;
log('# value weights: ' + valueParams.filter((p) => /^[-+*/^]\.|^(sin|cos|tan|log|exp|sqrt)\./.test(p.name)).map(show).join(' '));
for (const p of [...roles.exact, ...roles.head]) log('# ' + show(p));
const showErrors = Number(option('show-errors', '0'));
if (showErrors > 0) {
  for (const level of trained) {
    const records = test.get(level)!;
    const predicted = model.predictBatch(records.map(planInput));
    let shown = 0;
    records.forEach((r, i) => {
      const p = predicted[i].toJSON().nodes[0];
      const t = r.result_graph.nodes[0];
      if ((p.type !== t.type || p.value !== t.value) && shown++ < showErrors) log(`#   L${level} ${r.polish} ${JSON.stringify(r.bindings)}: ${p.type} ${p.value}, want ${t.type} ${t.value}`);
    });
  }
}
