/**
 * The @tensorflow/tfjs peer of the train-step bench: the DagNN of src/model/dagnn.ts on the
 * batches and initial weights exported by ./export.ts, trained with tf.train.adam through
 * optimizer.minimize (forward + loss + backward + update; the loss scalar read back each step).
 *
 * Same model as ./torch_dagnn.py (see its header): tf.gather of interleaved child rows, one
 * tf.matMul per group, tanh, the value stream with the guarded primitive units of
 * src/model/units.ts — written as a tf.customGrad with the units' explicit Jacobian, like our
 * rowMap — the integrality type head (a constant), and GED + cross-entropy + auxiliary loss.
 * Node states: blocks concatenated once per depth. tf.gather's gradient is
 * UnsortedSegmentSum, which is why the wasm backend is worth a try.
 */
import * as tf from '@tensorflow/tfjs';
import type { PeerBatch, PeerWorkload } from './export';

const CAP = 1e6;

interface Prepared {
  groups: {
    depth: number;
    kind: string;
    arity: number;
    count: number;
    childRows?: tf.Tensor1D;
    features?: tf.Tensor2D;
    values?: tf.Tensor2D;
    symbolRows?: tf.Tensor1D;
  }[];
  rootRows: tf.Tensor1D;
  oneHot: tf.Tensor2D;
  targets: tf.Tensor2D;
}

/**
 * units.ts put(): the unit is kept where value and every derivative are finite and within
 * CAP (|x| ≤ CAP is false for NaN and for infinities, so it is the finiteness test too)
 */
function inDomain(value: tf.Tensor, derivs: tf.Tensor[], extra?: tf.Tensor): tf.Tensor {
  let ok = tf.lessEqual(tf.abs(value), CAP);
  for (const d of derivs) ok = tf.logicalAnd(ok, tf.lessEqual(tf.abs(d), CAP));
  return extra === undefined ? ok : tf.logicalAnd(ok, extra);
}

type Unit = { value: tf.Tensor; derivs: tf.Tensor[]; ok: tf.Tensor };

/** values n × outputs and Jacobian n × outputs × arity, zero outside each unit's domain */
function guarded(units: Unit[], n: number): { y: tf.Tensor2D; jacobian: tf.Tensor3D } {
  const zero = tf.zeros([n]);
  const y = tf.stack(units.map((u) => tf.where(u.ok, u.value, zero)), 1) as tf.Tensor2D;
  const jacobian = tf.stack(units.map((u) => tf.stack(u.derivs.map((d) => tf.where(u.ok, d, zero)), 1)), 1) as tf.Tensor3D;
  return { y, jacobian };
}

function binaryUnits(a: tf.Tensor, b: tf.Tensor, n: number) {
  const one = tf.onesLike(b);
  const nonZero = tf.greaterEqual(tf.abs(b), 1e-6);
  const bs = tf.where(nonZero, b, one);
  const prod = tf.mul(a, b);
  const ratio = tf.div(a, bs);
  const dRatioB = tf.neg(tf.div(a, tf.mul(bs, bs)));
  return guarded(
    [
      { value: prod, derivs: [b, a], ok: inDomain(prod, [b, a]) },
      { value: ratio, derivs: [tf.div(one, bs), dRatioB], ok: inDomain(ratio, [tf.div(one, bs), dRatioB], nonZero) },
    ],
    n,
  );
}

function unaryUnits(v: tf.Tensor, n: number) {
  const one = tf.onesLike(v);
  const sin = tf.sin(v);
  const cos = tf.cos(v);
  const tan = tf.tan(v);
  const dTan = tf.div(one, tf.mul(cos, cos));
  const pos = tf.greater(v, 0);
  const vp = tf.where(pos, v, one);
  const log = tf.log(vp);
  const exp = tf.exp(v);
  const big = tf.greater(v, 1e-9);
  const vs = tf.where(big, v, one);
  const sqrt = tf.sqrt(vs);
  const dSqrt = tf.div(0.5, sqrt);
  return guarded(
    [
      { value: sin, derivs: [cos], ok: inDomain(sin, [cos]) },
      { value: cos, derivs: [tf.neg(sin)], ok: inDomain(cos, [sin]) },
      { value: tan, derivs: [dTan], ok: inDomain(tan, [dTan]) },
      { value: log, derivs: [tf.div(one, vp)], ok: inDomain(log, [tf.div(one, vp)], pos) },
      { value: exp, derivs: [exp], ok: inDomain(exp, [exp]) },
      // v = 0 gives sqrt 0 with derivative 0; other v ≤ 1e-9 are out of the domain: also 0
      { value: sqrt, derivs: [dSqrt], ok: inDomain(sqrt, [dSqrt], big) },
    ],
    n,
  );
}

/** The primitive units of an n × arity block of child values, with units.ts's Jacobian as gradient. */
type CustomGrad = Parameters<typeof tf.customGrad>[0];

const unitsOf = (arity: number) =>
  tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const n = x.shape[0];
    const cols = tf.unstack(x, 1);
    const { y, jacobian } = arity === 2 ? binaryUnits(cols[0], cols[1], n) : unaryUnits(cols[0], n);
    save([jacobian]);
    // dx[r, s] = Σ_j dy[r, j] · jacobian[r, j, s]
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.sum(tf.mul(tf.expandDims(dy, 2), saved[0]), 1) };
  }) as CustomGrad);

/** identity forward, zero gradient (the model's constants: integrality feature, detached type probabilities) */
const detach = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as CustomGrad);

export class TfjsDagNN {
  private readonly p = new Map<string, tf.Variable>();
  private readonly optimizer: tf.AdamOptimizer;
  private readonly batches: Prepared[];
  private readonly units = { 1: unitsOf(1), 2: unitsOf(2) } as Record<number, (x: tf.Tensor) => tf.Tensor>;

  constructor(private readonly w: PeerWorkload) {
    for (const spec of w.params) this.p.set(spec.name, tf.variable(tf.tensor(spec.data, spec.shape, 'float32'), true));
    this.optimizer = tf.train.adam(w.lr, 0.9, 0.999, 1e-8);
    this.batches = w.batches.map(prepare);
  }

  get batchCount(): number {
    return this.batches.length;
  }

  private param(name: string): tf.Variable {
    const v = this.p.get(name);
    if (v === undefined) throw new Error(`tfjs peer: no parameter '${name}'`);
    return v;
  }

  /** The objective of batch k with the current weights (a scalar tensor). */
  loss(k: number): tf.Scalar {
    const b = this.batches[k];
    const H = this.w.hidden;
    const hs: tf.Tensor[] = [];
    const vs: tf.Tensor[] = [];
    let depth = -1;
    let states: tf.Tensor2D | null = null;
    let values: tf.Tensor2D | null = null;
    for (const g of b.groups) {
      if (g.depth !== depth) {
        depth = g.depth;
        if (hs.length > 0) {
          states = tf.concat(hs, 0) as tf.Tensor2D;
          values = tf.concat(vs, 0) as tf.Tensor2D;
        }
      }
      let h: tf.Tensor;
      let v: tf.Tensor;
      if (g.kind === 'number') {
        h = tf.tanh(tf.add(tf.matMul(g.features!, this.param('number.W')), this.param('number.b')));
        v = g.values!;
      } else if (g.kind === 'symbol') {
        const e = tf.gather(this.param('symbol.embed'), g.symbolRows!);
        h = tf.tanh(tf.add(e, tf.add(tf.matMul(g.features!, this.param('symbol.W')), this.param('symbol.b'))));
        v = g.values!;
      } else {
        const children = tf.reshape(tf.gather(states!, g.childRows!), [g.count, g.arity * H]);
        h = tf.tanh(tf.add(tf.matMul(children as tf.Tensor2D, this.param(`${g.kind}.W`)), this.param(`${g.kind}.b`)));
        const cv = tf.reshape(tf.gather(values!, g.childRows!), [g.count, g.arity]) as tf.Tensor2D;
        v = tf.matMul(cv, this.param(`${g.kind}.add`));
        if (g.arity === 1 || g.arity === 2) v = tf.add(v, tf.matMul(this.units[g.arity](cv) as tf.Tensor2D, this.param(`${g.kind}.units`)));
      }
      hs.push(h);
      vs.push(v);
    }
    const rootV = tf.gather(tf.concat(vs, 0), b.rootRows) as tf.Tensor2D;
    const c = detach(rootV);
    const d = tf.abs(tf.sub(c, tf.round(c)));
    const integrality = tf.where(tf.isFinite(d), tf.add(tf.div(tf.log(tf.add(d, 1e-6)), 6 * Math.LN10), 1), tf.onesLike(d)) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(integrality, this.param('head.type.W')), this.param('head.type.b'));
    const pi = tf.sum(tf.mul(tf.softmax(detach(logits)), b.oneHot), 1, true);
    const diff = tf.div(tf.sub(rootV, b.targets), this.w.tau);
    const valueTerm = tf.div(tf.log1p(tf.square(diff)), Math.LN2);
    const ged = tf.mean(tf.add(tf.sub(1, pi), tf.mul(pi, valueTerm)));
    const ce = tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, b.oneHot), 1)));
    const aux = tf.mean(tf.square(tf.sub(tf.mul(rootV, 1 / this.w.auxScale), tf.div(b.targets, this.w.auxScale))));
    return tf.add(tf.add(ged, ce), aux) as tf.Scalar;
  }

  /** The objective of batch k without training. */
  evaluate(k: number): number {
    return tf.tidy(() => this.loss(k).dataSync()[0]);
  }

  /** One training step on batch k; returns the objective before the update. */
  step(k: number): number {
    const cost = this.optimizer.minimize(() => this.loss(k), true, [...this.p.values()]);
    const value = cost!.dataSync()[0];
    cost!.dispose();
    return value;
  }

  dispose(): void {
    for (const v of this.p.values()) v.dispose();
    this.optimizer.dispose();
    for (const b of this.batches) {
      tf.dispose([b.rootRows, b.oneHot, b.targets]);
      for (const g of b.groups) tf.dispose([g.childRows, g.features, g.values, g.symbolRows].filter((t) => t !== undefined) as tf.Tensor[]);
    }
  }
}

interface WasmBackendData {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/**
 * tfjs-backend-wasm 4.22 has no UnsortedSegmentSum, the gradient of tf.gather: this
 * registers a plain-JS one over the wasm heap (out[ids[r], :] += x[r, :]), so the rest of
 * the step can be measured on wasm. Not part of any stock tfjs backend.
 */
export function registerJsSegmentSumOnWasm(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as unknown as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
      const wasm = backend as unknown as WasmBackendData;
      const xs = wasm.readSync(x.dataId);
      const ids = wasm.readSync(segmentIds.dataId);
      const inner = xs.length / ids.length;
      const out = wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
      const o = wasm.typedArrayFromHeap(out);
      o.fill(0);
      for (let r = 0; r < ids.length; r++) {
        const s = ids[r];
        if (s < 0 || s >= numSegments) continue;
        for (let j = 0; j < inner; j++) o[s * inner + j] += xs[r * inner + j];
      }
      return out;
    },
  });
}

function prepare(b: PeerBatch): Prepared {
  return {
    groups: b.groups.map((g) => ({
      depth: g.depth,
      kind: g.kind,
      arity: g.arity,
      count: g.count,
      childRows: g.childRows && tf.tensor1d(g.childRows, 'int32'),
      features: g.features && tf.tensor2d(g.features, [g.count, g.features.length / g.count]),
      values: g.values && tf.tensor2d(g.values, [g.count, 1]),
      symbolRows: g.symbolRows && tf.tensor1d(g.symbolRows, 'int32'),
    })),
    rootRows: tf.tensor1d(b.rootRows, 'int32'),
    oneHot: tf.oneHot(tf.tensor1d(b.targetTypes, 'int32'), 2) as tf.Tensor2D,
    targets: tf.tensor2d(b.targetValues, [b.targetValues.length, 1]),
  };
}
