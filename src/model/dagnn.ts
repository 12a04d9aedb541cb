/**
 * DagNN: a typed DAG network over level-batched plans (./plan.ts).
 *
 * ENCODER. Node states live in one N × hidden matrix H (one row per node of the batch, in
 * plan order) and a value stream in one N × 1 matrix V; each plan group computes its block
 * and writes it into both with `writeRows`, so later groups gather children from anywhere
 * below them. Per group, a fixed number of kernel calls (DESIGN principle 3):
 *   numbers   h = tanh(F·W_num + b)            F = [sign v, log1p|v|/4, v/scale, is-integer]
 *             v = the number
 *   symbols   h = tanh(E[sym] + F·W_sym + b)  F = [bound?, sign·log1p|b|/4, b/scale]
 *             v = the bound value (constants e, pi: their value; unbound: 0)
 *   kind k    h = tanh([h_c1 | … | h_ca]·W_k + b_k)       W_k: (a·hidden) × hidden, slot s
 *                                                          meets rows [s·hidden, (s+1)·hidden)
 *             v = Σ_s w_{k,s}·v_s + Σ_j u_{k,j}·unit_j(v_c1 … v_ca)     the value stream, below
 *
 * THE VALUE STREAM. Exact answers are out of reach of a tanh regression, so every node also
 * carries a scalar computed from its children's by learned per-kind units, in the spirit of
 * NALU (Trask et al. 2018) and NAU/NMU (Madsen & Johansen, ICLR 2020):
 *   additive unit   Σ_s w_{k,s}·v_s     (learns + / − with w → ±1)
 *   primitive units unit_j: for two children [v1·v2, v1/v2] (+ v1^v2 with the binaryUnits
 *                   option), for one child [sin, cos, tan, log, exp, sqrt] (./units.ts,
 *                   domain-guarded), mixed with learned per-kind weights u_{k,j}
 *                   (× learns u = [1, 0] and w = 0, ÷ learns u = [0, 1], …)
 * All weights start neutral (small random: w ~ N(0, 0.1²), u ~ N(0, 0.01²)) and are learned
 * from the loss; nothing assigns a primitive to a kind. The units are SUMMED, linear in the
 * weights for fixed child values, so each kind's top-level regression is convex. The
 * primitives run on the host (./ops.ts rowMap), all hidden-wide work in kernels.
 *
 * NUMERIC HEAD. On the root: type logits over {int, float} and the value = the root's v
 * (typeHead option); decoding: int → round(v), float → v rounded to 3 decimals (DESIGN
 * evaluation protocol), as a one-node MathGraph.
 *
 * TASK HEADS (./heads.ts; levels 6, 7). `integrate` and `solve` inputs are answered from probes
 * of the value stream (a learned quadrature, a learned unrolled root iteration), routed by the
 * root token (routeOf) in training and prediction alike.
 *
 * SYMBOLIC TREE DECODER (./decoder.ts; level 5). `derive` inputs (answersSymbolically) go to a
 * top-down, arity-driven tree decoder: the root state from the derive node's encoder state,
 * child s of kind k from tanh(d_parent·W_{k,s} + b), attention over the input after each
 * output depth; heads give type, label and value. Teacher-forced in training; at inference a
 * beam (decoderBeam, default 5; 1 = greedy) within decoderBudget nodes, whose candidates'
 * coefficients are fitted to the value stream's own slope (NUMBER FIT, ./numberfit.ts, a
 * designed bias; SLOPE, a one-node answer valued f(1) − f(0), is its simplest case). Level-batched
 * by (output depth, parent kind, slot): 64 same-shaped trees cost the kernel calls of one.
 * STATE GAIN. The state path (encoder state weights, all decoder weights) enters forward as
 * stateGain·stored: Adam then moves it like lr·stateGain, the value stream at the full rate.
 *
 * THE EXACT PATH (model option set valueStream 'host' + typeHead 'exact' + unitBound; the
 * Trainer's `model.exact`). The value stream runs in float64 on the host (./valuestream.ts);
 * every unit is offered to every kind of its arity (product, ratio, power; the six functions);
 * a kind's unit features are bounded (±unitBound) until its weights are snapped, then its
 * bound is lifted (unitBounds); the type is the protocol's rule p(float) = 1 − (1 − f)(1 − n)
 * over a learned per-kind inexactness f and the value's non-integrality n. Snap-and-freeze and
 * the stages that make the weights exact are the Trainer's (src/train/exactness.ts).
 *
 * Measured alternatives (gates, units, float32, attention, SLOPE, …): docs/experiments.md.
 */
import { ops, Parameter, Tape, type Tensor, type TensorLike } from '../autograd/index';
import type { Backend } from '../backend/index';
import { roundTo3 } from '../data/record';
import { GraphemeError } from '../errors';
import { MathGraph, type CompactGraph } from '../graph/index';
import { Prng } from '../util/prng';
import { blockMatrix, reshape, rowMap, writeRows } from './ops';
import { answersSymbolically, SLOPE, treeGraph, TreeDecoder, type EncoderView } from './decoder';
import { BINARY_PRIMITIVES, binaryUnits, CAP, UNARY_UNITS, unaryUnits, unitsFor, type BinaryPrimitive } from './units';
import { floatTypeLogits, hostValueStream, nonIntegrality, valueStream, type ValueStreamInputs } from './valuestream';
import { ValueProbe } from './probe';
import { fitNumbers } from './numberfit';
import { IntegrationHead, RootHead, routeOf, type HeadOutput } from './heads';
import type { RowFunction } from './ops';
import { buildPlan, exprAndVariable, KIND_ARITY, KIND_NAMES, KIND_NUMBER, KIND_SYMBOL, SYMBOL_ROWS, type BatchPlan, type PlanGroup, type PlanInput } from './plan';

export class ModelStateError extends GraphemeError {}
export class ModelOptionError extends GraphemeError {}

export interface DagNNOptions {
  /** width of the node states */
  hidden: number;
  /** seed of the weight initialisation (default 0) */
  seed?: number | string;
  /** the value features divide numbers by this (default 100) */
  valueScale?: number;
  /**
   * What the int/float head reads: 'value' (default), how far the root value is from an
   * integer; 'state', the root's hidden state; 'both'. The value feature is a constant for
   * the gradient (a stop-gradient), which finite differences cannot see: whole-model
   * gradient checks use 'state'.
   */
  typeHead?: 'state' | 'value' | 'both' | 'exact' | 'exact-linear';
  /**
   * Where the value stream runs: 'tape' (default), float32 kernels, one linear + rowMap per
   * group; 'host', one float64 tape op over the whole plan (./valuestream.ts), whose
   * float64 root values decoding reads. typeHead 'exact' needs 'host'.
   */
  valueStream?: 'tape' | 'host';
  /** typeHead 'exact': how inexactness passes to parents, 'always' (default) or per-kind 'learned' (./valuestream.ts) */
  floatPropagation?: 'always' | 'learned';
  /** 'host' only: 'f64' (default) or 'f32' (every stored value rounded to float32, to measure what float32 costs) */
  valuePrecision?: 'f32' | 'f64';
  /**
   * A primitive unit's result (or derivative) beyond ±unitBound counts as out of its domain
   * (0, no gradient); default CAP (1e6). Mutable (model.unitBound): bounded while fitting
   * (power, exp and tan features of 1e6 swamp the other weights), lifted after snapping.
   */
  unitBound?: number;
  /** The primitives offered to two-child kinds (default ['product', 'ratio']; 'power' too for levels 3+). */
  binaryUnits?: readonly BinaryPrimitive[];
  /** most nodes of a tree the decoder emits at inference (default 25, the level-5 answer limit) */
  decoderBudget?: number;
  /** the decoder's attention over the input's node states (default true; ./decoder.ts) */
  decoderAttention?: boolean;
  /**
   * The weights of the STATE path (the encoder's state weights and every decoder weight)
   * enter forward as gain · stored value (default 1); the value stream and the numeric
   * type head keep gain 1. Adam moves stored values by ≈ lr per step whatever the
   * gradient's scale, so the state path's effective step is gain · lr: at lr 3e-2 use 0.1,
   * at the Trainer's default 3e-3 keep 1 (docs/experiments.md).
   */
  stateGain?: number;
  /** probe points K of the integration head (default 16; 0: `integrate` inputs go to the numeric head; ./heads.ts) */
  quadraturePoints?: number;
  /**
   * Level 5: the decoded derivative's coefficients are fitted to the value stream's own slope
   * at probe points (./numberfit.ts; default true; false keeps the decoder's numbers).
   */
  numberFit?: boolean;
  /**
   * Level 5: beam width of the tree decoder (default 5; 1 = greedy). With the number fit, the
   * answer is the best-ranked tree of the beam that matches the value stream's slope at the probe
   * points (the top one when none does).
   */
  decoderBeam?: number;
  /** unrolled iterations N of the root head (default 10; 0: `solve` inputs go to the numeric head; ./heads.ts) */
  rootSteps?: number;
}

/** The numeric head's output types, in logit order (= TYPE_CODE of int and float). */
export const NUMERIC_TYPES = ['int', 'float'] as const;

const NUMBER_FEATURES = 4;
const SYMBOL_FEATURES = 3;

interface KindParams {
  W: Parameter;
  b: Parameter;
  /** additive unit: a × 1 */
  add: Parameter;
  /** weights of the primitive units (./units.ts), units × 1; null for kinds without */
  units: Parameter | null;
}

/** The root outputs of one forward pass, on the tape. */
export interface DagNNOutput {
  plan: BatchPlan;
  /** graphs × 2: int, float */
  typeLogits: Tensor;
  /** graphs × 1 */
  values: Tensor;
  /** the root values in float64 (valueStream 'host'): what decoding reads when present */
  values64?: Float64Array;
  /** graphs × hidden */
  rootStates: Tensor;
  /** all node states, N × hidden, and the value stream, N × 1 (plan rows) */
  states: Tensor;
  nodeValues: Tensor;
  /** the task heads' own objectives, summed (1 × 1), when forward was given targets */
  headLoss?: Tensor;
}

/** A decoded numeric answer. */
export interface NumericPrediction {
  type: 'int' | 'float';
  value: number;
}

export class DagNN {
  readonly hidden: number;
  readonly valueScale: number;
  private readonly params: Parameter[] = [];
  private readonly numberW: Parameter;
  private readonly numberB: Parameter;
  private readonly symbolEmbed: Parameter;
  private readonly symbolW: Parameter;
  private readonly symbolB: Parameter;
  /** per kind index (null for the leaf kinds) */
  private readonly kinds: (KindParams | null)[];
  private readonly typeW: Parameter;
  private readonly typeHead: 'state' | 'value' | 'both' | 'exact' | 'exact-linear';
  /** per-kind floatness logits [θ, φ] (typeHead 'exact'; ./valuestream.ts) */
  private readonly exact: Parameter | null = null;
  readonly valueStreamMode: 'tape' | 'host';
  readonly valuePrecision: 'f32' | 'f64';
  readonly floatPropagation: 'always' | 'learned';
  /** see DagNNOptions.unitBound */
  unitBound: number;
  /**
   * Per-kind overrides of unitBound, by kind name (mutable): e.g. Infinity for a kind whose
   * unit weights are all snapped and frozen, while kinds still being fitted keep the bound.
   */
  readonly unitBounds: Record<string, number> = {};
  private readonly unitFns = new Map<number, { binary: RowFunction; unary: RowFunction }>();
  private unary: RowFunction = UNARY_UNITS;
  private readonly binaryNames: readonly BinaryPrimitive[];
  private readonly typeB: Parameter;
  private inferenceTape: Tape | null = null;
  private standIns: Map<Parameter, TensorLike> | null = null;
  private binary: RowFunction;
  /** the symbolic tree decoder (./decoder.ts); its parameters follow the encoder's */
  readonly decoder: TreeDecoder;
  readonly decoderBudget: number;
  readonly stateGain: number;
  /** the task heads (./heads.ts); null when switched off */
  readonly integration: IntegrationHead | null;
  readonly root: RootHead | null;
  /** see DagNNOptions.numberFit */
  numberFit: boolean;
  /** see DagNNOptions.decoderBeam */
  decoderBeam: number;

  constructor(
    readonly backend: Backend,
    options: DagNNOptions,
  ) {
    const { hidden } = options;
    if (!Number.isInteger(hidden) || hidden < 1) throw new ModelOptionError(`DagNN: hidden must be a positive integer, got ${hidden}`);
    const valueScale = options.valueScale ?? 100;
    if (!(valueScale > 0) || !Number.isFinite(valueScale)) throw new ModelOptionError(`DagNN: valueScale must be a finite number > 0, got ${valueScale}`);
    this.hidden = hidden;
    this.valueScale = valueScale;
    const binary = options.binaryUnits ?? ['product', 'ratio'];
    binary.forEach((name, i) => {
      if (!BINARY_PRIMITIVES.includes(name)) throw new ModelOptionError(`DagNN: binaryUnits[${i}] = '${String(name)}' is not one of ${BINARY_PRIMITIVES.join(', ')}`);
    });
    this.binaryNames = [...binary];
    this.unitBound = options.unitBound ?? CAP;
    if (!(this.unitBound > 0)) throw new ModelOptionError(`DagNN: unitBound must be > 0, got ${this.unitBound}`);
    this.binary = binaryUnits(binary, this.unitBound);
    this.unary = unaryUnits(this.unitBound);
    this.valueStreamMode = options.valueStream ?? 'tape';
    if (!['tape', 'host'].includes(this.valueStreamMode)) throw new ModelOptionError(`DagNN: valueStream must be 'tape' or 'host', got '${String(this.valueStreamMode)}'`);
    this.valuePrecision = options.valuePrecision ?? 'f64';
    this.floatPropagation = options.floatPropagation ?? 'always';
    if (!['always', 'learned'].includes(this.floatPropagation)) throw new ModelOptionError(`DagNN: floatPropagation must be 'always' or 'learned', got '${String(this.floatPropagation)}'`);
    if (!['f32', 'f64'].includes(this.valuePrecision)) throw new ModelOptionError(`DagNN: valuePrecision must be 'f32' or 'f64', got '${String(this.valuePrecision)}'`);
    const prng = new Prng(options.seed ?? 0);
    this.stateGain = options.stateGain ?? 1;
    if (!(this.stateGain > 0) || !Number.isFinite(this.stateGain)) throw new ModelOptionError(`DagNN: stateGain must be a finite number > 0, got ${this.stateGain}`);
    const g = this.stateGain;
    // Glorot-style normal init for the state path; the value units start small and neutral.
    const normal = (name: string, shape: number[], std: number) => {
      const size = shape.reduce((a, b) => a * b, 1);
      return this.add(name, shape, Float32Array.from({ length: size }, () => prng.normal(0, std)));
    };
    const zeros = (name: string, shape: number[]) => this.add(name, shape);
    const glorot = (fanIn: number, fanOut: number) => Math.sqrt(2 / (fanIn + fanOut));
    this.numberW = normal('number.W', [NUMBER_FEATURES, hidden], glorot(NUMBER_FEATURES, hidden) / g);
    this.numberB = zeros('number.b', [hidden]);
    this.symbolEmbed = normal('symbol.embed', [SYMBOL_ROWS, hidden], 0.5 / g);
    this.symbolW = normal('symbol.W', [SYMBOL_FEATURES, hidden], glorot(SYMBOL_FEATURES, hidden) / g);
    this.symbolB = zeros('symbol.b', [hidden]);
    this.kinds = KIND_NAMES.map((name, kind) => {
      const a = KIND_ARITY[kind];
      if (a === 0) return null;
      return {
        W: normal(`${name}.W`, [a * hidden, hidden], glorot(a * hidden, hidden) / g),
        b: zeros(`${name}.b`, [hidden]),
        add: normal(`${name}.add`, [a, 1], 0.1),
        units: unitsFor(a, this.binary) === null ? null : normal(`${name}.units`, [unitsFor(a, this.binary)!.outputs, 1], 0.01),
      };
    });
    this.typeHead = options.typeHead ?? 'value';
    if (!['state', 'value', 'both', 'exact', 'exact-linear'].includes(this.typeHead)) throw new ModelOptionError(`DagNN: typeHead must be 'state', 'value', 'both', 'exact' or 'exact-linear', got '${String(this.typeHead)}'`);
    const exactHead = this.typeHead === 'exact' || this.typeHead === 'exact-linear';
    if (exactHead && this.valueStreamMode !== 'host') throw new ModelOptionError(`DagNN: typeHead '${this.typeHead}' needs valueStream 'host'`);
    if (exactHead) this.exact = zeros('value.exact', [KIND_NAMES.length, 2]);
    const typeInputs = exactHead ? 2 : (this.typeHead === 'value' ? 0 : hidden) + (this.typeHead === 'state' ? 0 : 1);
    this.typeW = normal('head.type.W', [typeInputs, NUMERIC_TYPES.length], glorot(typeInputs, NUMERIC_TYPES.length));
    this.typeB = zeros('head.type.b', [NUMERIC_TYPES.length]);
    this.decoderBudget = options.decoderBudget ?? 25;
    if (!Number.isInteger(this.decoderBudget) || this.decoderBudget < 1) throw new ModelOptionError(`DagNN: decoderBudget must be a positive integer, got ${this.decoderBudget}`);
    this.decoder = new TreeDecoder(hidden, (name, shape, std) => (std === 0 ? zeros(name, shape) : normal(name, shape, std)), (p) => this.t(p), {
      attention: options.decoderAttention ?? true,
      gain: this.stateGain,
    });
    this.numberFit = options.numberFit ?? true;
    this.decoderBeam = options.decoderBeam ?? 5;
    if (!Number.isInteger(this.decoderBeam) || this.decoderBeam < 1 || this.decoderBeam > 64) throw new ModelOptionError(`DagNN: decoderBeam must be an integer in [1, 64], got ${this.decoderBeam}`);
    const points = options.quadraturePoints ?? 16;
    if (!Number.isInteger(points) || points < 0 || points > 256) throw new ModelOptionError(`DagNN: quadraturePoints must be an integer in [0, 256], got ${points}`);
    this.integration = points === 0 ? null : new IntegrationHead(zeros('quadrature.weights', [points, 1]), zeros('quadrature.type', [2, NUMERIC_TYPES.length]), (p) => this.t(p));
    const steps = options.rootSteps ?? 10;
    if (!Number.isInteger(steps) || steps < 0 || steps > 1000) throw new ModelOptionError(`DagNN: rootSteps must be an integer in [0, 1000], got ${steps}`);
    this.root = steps === 0 ? null : new RootHead(zeros('root.start', [1, 1]), zeros('root.steps', [steps, 1]), zeros('root.type', [2, NUMERIC_TYPES.length]), (p) => this.t(p));
  }

  private add(name: string, shape: number[], init?: Float32Array): Parameter {
    const p = new Parameter(this.backend, shape, name, init);
    this.params.push(p);
    return p;
  }

  /** A state-path weight as forward uses it: stateGain · t(p). */
  private st(tape: Tape, p: Parameter): TensorLike {
    return this.stateGain === 1 ? this.t(p) : ops.scale(tape, this.t(p), this.stateGain);
  }

  /** The tensor standing for `p` in forward: p itself, or its stand-in inside withParameters. */
  private t(p: Parameter): TensorLike {
    return this.standIns?.get(p) ?? p;
  }

  /**
   * Runs `body` with `standIns[i]` in place of parameters()[i] in every forward pass (same
   * shapes): e.g. gradCheck's own Parameters, so the WHOLE model can be gradient-checked.
   */
  withParameters<T>(standIns: readonly TensorLike[], body: () => T): T {
    if (standIns.length !== this.params.length) throw new ModelStateError(`withParameters: ${standIns.length} tensors for ${this.params.length} parameters`);
    const map = new Map<Parameter, TensorLike>();
    this.params.forEach((p, i) => {
      const s = standIns[i];
      if (s.rows !== p.rows || s.cols !== p.cols) throw new ModelStateError(`withParameters: '${p.name}' is ${p.rows}×${p.cols}, its stand-in ${s.rows}×${s.cols}`);
      map.set(p, s);
    });
    const previous = this.standIns;
    this.standIns = map;
    try {
      return body();
    } finally {
      this.standIns = previous;
    }
  }

  /** Every trainable parameter, in a fixed order (the optimizer's and the state dict's). */
  parameters(): Parameter[] {
    return [...this.params];
  }

  /** Values by parameter name, copied. */
  stateDict(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const p of this.params) out[p.name] = p.readData().slice();
    return out;
  }

  /** Loads every parameter by name; names and sizes must match exactly (nothing is half-loaded). */
  loadStateDict(state: Readonly<Record<string, ArrayLike<number>>>): void {
    const known = new Set(this.params.map((p) => p.name));
    for (const name of Object.keys(state)) {
      if (!known.has(name)) throw new ModelStateError(`loadStateDict: unknown parameter '${name}'`);
    }
    for (const p of this.params) {
      const values = state[p.name];
      if (values === undefined) throw new ModelStateError(`loadStateDict: parameter '${p.name}' is missing`);
      if (values.length !== p.size) throw new ModelStateError(`loadStateDict: '${p.name}' has ${values.length} values, its shape [${p.shape.join(', ')}] needs ${p.size}`);
    }
    for (const p of this.params) p.writeData().set(state[p.name]);
  }

  /** The encoder and the numeric head over a plan, on `tape`. */
  /**
   * The encoder, the numeric head and the task heads over a plan, on `tape`. `targets` (training:
   * each graph's numeric answer, NaN for none) lets the task heads add their own objectives
   * (headLoss).
   */
  forward(tape: Tape, plan: BatchPlan, targets?: readonly number[]): DagNNOutput {
    return this.withHeads(tape, this.numericForward(tape, plan), targets);
  }

  /** The value stream's weights as the value-stream functions take them (no floatness stream). */
  streamInputs(): ValueStreamInputs {
    return {
      kinds: this.kinds.map((k, kind) => (k === null ? null : { add: this.t(k.add), units: k.units === null ? null : this.t(k.units), unitFn: this.unitsOf(kind) })),
      exact: null,
      precision: this.valuePrecision,
    };
  }

  /**
   * The task heads' answers in place of the numeric head's for the inputs they route
   * (routeOf, ./heads.ts): values, values64 and type logits of those graphs are replaced.
   */
  private withHeads(tape: Tape, out: DagNNOutput, targets?: readonly number[]): DagNNOutput {
    const routes = out.plan.inputs.map(routeOf);
    const parts: { graphs: number[]; head: HeadOutput }[] = [];
    for (const [name, head] of [['integrate', this.integration], ['solve', this.root]] as const) {
      if (head === null) continue;
      const graphs = routes.flatMap((r, g) => (r.route === name ? [g] : []));
      const inputs = graphs.map((g) => out.plan.inputs[g]);
      if (graphs.length > 0) parts.push({ graphs, head: head.forward(tape, inputs, this.streamInputs(), targets === undefined ? undefined : graphs.map((g) => targets[g])) });
    }
    if (parts.length === 0) return out;
    // each head's objective weighs like its share of the batch
    let headLoss: Tensor | undefined;
    for (const { graphs, head } of parts) {
      if (head.loss === undefined) continue;
      const weighted = ops.scale(tape, head.loss, graphs.length / out.plan.graphCount);
      headLoss = headLoss === undefined ? weighted : ops.add(tape, headLoss, weighted);
    }
    const B = out.plan.graphCount;
    const index = Int32Array.from({ length: B }, (_, g) => g);
    const values64 = out.values64 === undefined ? Float64Array.from(tape.values(out.values)) : out.values64.slice();
    let offset = B;
    for (const { graphs, head } of parts) {
      graphs.forEach((g, j) => {
        index[g] = offset + j;
        values64[g] = head.values64[j];
      });
      offset += graphs.length;
    }
    const merge = (base: Tensor, pieces: Tensor[]) => ops.gatherRows(tape, ops.concatRows(tape, [base, ...pieces]), index);
    return {
      ...out,
      values: merge(out.values, parts.map((p) => p.head.values)),
      typeLogits: merge(out.typeLogits, parts.map((p) => p.head.typeLogits)),
      values64,
      headLoss,
    };
  }

  /** The encoder and the numeric head, before the task heads. */
  private numericForward(tape: Tape, plan: BatchPlan): DagNNOutput {
    const { states, nodeValues } = this.encode(tape, plan);
    const rootStates = ops.gatherRows(tape, states, plan.rootRows);
    const values = ops.gatherRows(tape, nodeValues, plan.rootRows);
    const values64 = this.lastValues64 === null ? undefined : Float64Array.from(plan.rootRows, (r) => this.lastValues64![r]);
    let typeInput: Tensor;
    if (this.typeHead === 'exact') {
      const typeLogits = floatTypeLogits(tape, ops.gatherRows(tape, this.lastFloatness!, plan.rootRows), Float64Array.from(values64!, nonIntegrality));
      return { plan, typeLogits, values, values64, rootStates, states, nodeValues };
    } else if (this.typeHead === 'exact-linear') {
      const n = Float32Array.from(values64!, nonIntegrality);
      typeInput = ops.concatCols(tape, [ops.constant(tape, n, n.length, 1), ops.gatherRows(tape, this.lastFloatness!, plan.rootRows)]);
    } else {
      typeInput =
        this.typeHead === 'state' ? rootStates
        : this.typeHead === 'value' ? integrality(tape, values)
        : ops.concatCols(tape, [rootStates, integrality(tape, values)]);
    }
    const typeLogits = ops.linear(tape, typeInput, this.t(this.typeW), this.t(this.typeB));
    return { plan, typeLogits, values, values64, rootStates, states, nodeValues };
  }

  /** the float64 node values and the floatness tensor of the last host-path encode */
  private lastValues64: Float64Array | null = null;
  private lastFloatness: Tensor | null = null;

  /**
   * Named parameter groups that partition parameters(): `units:<kind>` (a kind's additive and
   * primitive-unit weights), `exact` (floatness logits), `head` (numeric type head), `state`
   * (encoder state path), `decoder` — for per-group learning rates and freezing
   * (optimizer parameter groups; ../optim/constraints.ts setGroupLrs, FreezeMask).
   */
  parameterGroups(): { name: string; params: Parameter[] }[] {
    const roles = this.parameterRoles();
    const units = KIND_NAMES.flatMap((name, k) => {
      const p = this.kinds[k];
      return p === null ? [] : [{ name: `units:${name}`, params: p.units === null ? [p.add] : [p.add, p.units] }];
    });
    return [...units, { name: 'exact', params: roles.exact }, { name: 'head', params: roles.head }, { name: 'state', params: roles.state }, { name: 'decoder', params: roles.decoder }, { name: 'quadrature', params: roles.quadrature }, { name: 'root', params: roles.root }].filter((g) => g.params.length > 0);
  }

  /** Parameters by role, for per-group learning rates, constraints and freezing (../optim/constraints.ts). */
  parameterRoles(): { values: Parameter[]; exact: Parameter[]; head: Parameter[]; state: Parameter[]; decoder: Parameter[]; quadrature: Parameter[]; root: Parameter[] } {
    const values = this.kinds.flatMap((k) => (k === null ? [] : k.units === null ? [k.add] : [k.add, k.units]));
    const exact = this.exact === null ? [] : [this.exact];
    const head = [this.typeW, this.typeB];
    const decoder = this.params.filter((p) => p.name.startsWith('decoder.'));
    const quadrature = this.params.filter((p) => p.name.startsWith('quadrature.'));
    const root = this.params.filter((p) => p.name.startsWith('root.'));
    const taken = new Set([...values, ...exact, ...head, ...decoder, ...quadrature, ...root]);
    return { values, exact, head, state: this.params.filter((p) => !taken.has(p)), decoder, quadrature, root };
  }

  /**
   * The primitive units of a kind at its bound: unitBounds' entry for the kind, else
   * unitBound (the unit functions are cached per bound).
   */
  private unitsOf(kind: number): RowFunction | null {
    const bound = this.unitBounds[KIND_NAMES[kind]] ?? this.unitBound;
    let fns = this.unitFns.get(bound);
    if (!fns) this.unitFns.set(bound, (fns = { binary: binaryUnits(this.binaryNames, bound), unary: unaryUnits(bound) }));
    return unitsFor(KIND_ARITY[kind], fns.binary, fns.unary);
  }

  /**
   * The learned kind → unit assignment: per inner kind, its non-zero value weights by name
   * (slot s of the additive unit as `v{s+1}`, then the primitive units), for reports.
   */
  unitAssignment(): { kind: string; terms: { name: string; weight: number }[] }[] {
    return this.kinds.flatMap((k, kind) => {
      if (k === null) return [];
      const a = KIND_ARITY[kind];
      const unitNames = a === 1 ? ['sin', 'cos', 'tan', 'log', 'exp', 'sqrt'] : a === 2 ? [...this.binaryNames] : [];
      const terms = [
        ...Array.from(k.add.readData(), (w, s) => ({ name: `v${s + 1}`, weight: w })),
        ...(k.units === null ? [] : Array.from(k.units.readData(), (w, j) => ({ name: unitNames[j] ?? `unit${j}`, weight: w }))),
      ].filter((t) => Math.abs(t.weight) > 1e-6);
      return [{ kind: KIND_NAMES[kind], terms }];
    });
  }

  /** Node states and the value stream of every node of a plan. */
  private encode(tape: Tape, plan: BatchPlan): { states: Tensor; nodeValues: Tensor } {
    const host = this.valueStreamMode === 'host';
    const states = blockMatrix(tape, plan.nodeCount, this.hidden);
    const nodeValues = host ? null : blockMatrix(tape, plan.nodeCount, 1);
    for (const group of plan.groups) {
      const { h, v } =
        group.kind === KIND_NUMBER ? this.numberLeaves(tape, group)
        : group.kind === KIND_SYMBOL ? this.symbolLeaves(tape, group)
        : this.innerNodes(tape, group, states, nodeValues);
      writeRows(tape, states, group.start, h);
      if (nodeValues !== null) writeRows(tape, nodeValues, group.start, v!);
    }
    if (nodeValues !== null) {
      this.lastValues64 = null;
      this.lastFloatness = null;
      return { states, nodeValues };
    }
    const stream = valueStream(tape, plan, { ...this.streamInputs(), exact: this.exact === null ? null : this.t(this.exact), propagation: this.floatPropagation });
    this.lastValues64 = stream.values64;
    this.lastFloatness = stream.floatness;
    return { states, nodeValues: stream.values };
  }

  private numberLeaves(tape: Tape, group: PlanGroup): { h: Tensor; v: Tensor } {
    const n = group.count;
    const features = new Float32Array(n * NUMBER_FEATURES);
    for (let i = 0; i < n; i++) {
      const x = group.leafValues[i];
      features.set([Math.sign(x), Math.log1p(Math.abs(x)) / 4, x / this.valueScale, Number.isInteger(x) ? 1 : 0], i * NUMBER_FEATURES);
    }
    const h = ops.tanh(tape, ops.linear(tape, ops.constant(tape, features, n, NUMBER_FEATURES), this.st(tape, this.numberW), this.st(tape, this.numberB)));
    return { h, v: ops.constant(tape, group.leafValues, n, 1) };
  }

  private symbolLeaves(tape: Tape, group: PlanGroup): { h: Tensor; v: Tensor } {
    const n = group.count;
    const features = new Float32Array(n * SYMBOL_FEATURES);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = group.leafValues[i];
      const bound = !Number.isNaN(x);
      values[i] = bound ? x : 0;
      features.set(bound ? [1, Math.sign(x) * Math.log1p(Math.abs(x)) / 4, x / this.valueScale] : [0, 0, 0], i * SYMBOL_FEATURES);
    }
    const embedded = ops.gatherRows(tape, this.st(tape, this.symbolEmbed), group.symbolRows);
    const fromValue = ops.linear(tape, ops.constant(tape, features, n, SYMBOL_FEATURES), this.st(tape, this.symbolW), this.st(tape, this.symbolB));
    return { h: ops.tanh(tape, ops.add(tape, embedded, fromValue)), v: ops.constant(tape, values, n, 1) };
  }

  private innerNodes(tape: Tape, group: PlanGroup, states: Tensor, nodeValues: Tensor | null): { h: Tensor; v: Tensor | null } {
    const p = this.kinds[group.kind]!;
    const n = group.count;
    const a = group.arity;
    const childRows = tape.heap.stepI32(group.childRows);
    const rows = { ptr: childRows, length: group.childRows.length };
    // one gather lays the children out as n × (a·hidden): the slots side by side
    const children = reshape(tape, ops.gatherRows(tape, states, rows), n, a * this.hidden);
    const h = ops.tanh(tape, ops.linear(tape, children, this.st(tape, p.W), this.st(tape, p.b)));
    if (nodeValues === null) return { h, v: null };
    const childValues = reshape(tape, ops.gatherRows(tape, nodeValues, rows), n, a);
    // v = Σ_s w_s·v_s + Σ_j u_j·unit_j(children)
    const additive = ops.linear(tape, childValues, this.t(p.add));
    const units = this.unitsOf(group.kind);
    let v = additive;
    if (p.units !== null && units !== null) v = ops.add(tape, v, ops.linear(tape, rowMap(tape, childValues, units), this.t(p.units)));
    return { h, v };
  }

  /** Greedy decoding of the numeric head for every graph of a forward pass. */
  decodeNumeric(tape: Tape, out: DagNNOutput): NumericPrediction[] {
    const logits = tape.values(out.typeLogits);
    const values = out.values64 ?? tape.values(out.values);
    return Array.from(values, (v, g) => {
      const type = logits[2 * g + 1] > logits[2 * g] ? 'float' : 'int';
      return { type, value: v } as NumericPrediction;
    });
  }

  /**
   * The model's answer for one input (Polish text or a graph), as a MathGraph. Uses the
   * backend's step arena: call it between training steps, not inside one.
   */
  predict(input: string | MathGraph | CompactGraph, bindings?: Readonly<Record<string, number>>): MathGraph {
    const graph = typeof input === 'string' ? MathGraph.fromPolish(input) : input;
    return this.predictBatch([{ graph, bindings }])[0];
  }

  /**
   * f(1) − f(0) of each `derive` input's expression f, from the value stream: one probe pass
   * (./probe.ts, value path only, float64) with the variable bound to 0 and to 1 (the SLOPE
   * label, ./decoder.ts).
   */
  private slopes(tape: Tape, inputs: readonly PlanInput[]): number[] {
    const parts = inputs.map(exprAndVariable);
    const k = inputs.length;
    const probe = new ValueProbe(inputs, parts.map((p) => ({ exprs: [p.expr], variable: p.variable })), 2);
    probe.bind(Float64Array.from({ length: 2 * k }, (_, p) => (p < k ? 0 : 1)));
    const { values64 } = hostValueStream(tape, probe.plan, this.streamInputs());
    const rows = probe.rows(0);
    return inputs.map((_, i) => values64[rows[k + i]] - values64[rows[i]]);
  }

  /**
   * predict for a batch of inputs in one forward pass: `derive` inputs through the tree
   * decoder (greedy, ≤ decoderBudget nodes), the others through the numeric head
   * (answersSymbolically, ./decoder.ts).
   */
  predictBatch(inputs: readonly PlanInput[]): MathGraph[] {
    this.inferenceTape ??= new Tape(this.backend);
    const tape = this.inferenceTape;
    tape.reset();
    try {
      const out = this.forward(tape, buildPlan(inputs));
      const answers = this.decodeNumeric(tape, out).map(numericGraph);
      const symbolic = inputs.flatMap((input, g) => (answersSymbolically(input) ? [g] : []));
      if (symbolic.length > 0) {
        const view = encoderView(out, symbolic);
        const beams = this.decoderBeam > 1 ? this.decoder.beam(tape, view, this.decoderBudget, this.decoderBeam) : this.decoder.greedy(tape, view, this.decoderBudget).map((t) => [t]);
        // rank by rank, for the inputs not yet verified: SLOPE values, then the number fit; an
        // input's answer is its best-ranked candidate that matches the slope, else its top one
        const chosen = beams.map((list) => list[0]);
        const open = new Set(symbolic.keys());
        for (let rank = 0; rank < this.decoderBeam && open.size > 0; rank++) {
          const batch = [...open].filter((j) => rank < beams[j].length);
          if (batch.length === 0) break;
          const trees = batch.map((j) => beams[j][rank]);
          const slopes = batch.flatMap((j, k) => (trees[k][0].label === SLOPE ? [k] : []));
          if (slopes.length > 0) {
            const values = this.slopes(tape, slopes.map((k) => inputs[symbolic[batch[k]]]));
            slopes.forEach((k, m) => (trees[k][0].value = values[m]));
          }
          if (!this.numberFit) break;
          const derive = batch.map((j) => inputs[symbolic[j]]);
          const verified = fitNumbers(tape, this.streamInputs(), derive, derive.map(exprAndVariable), trees);
          batch.forEach((j, k) => {
            if (!verified[k]) return;
            chosen[j] = trees[k];
            open.delete(j);
          });
        }
        const trees = chosen;
        symbolic.forEach((g, j) => (answers[g] = treeGraph(trees[j])));
      }
      return answers;
    } finally {
      tape.reset();
    }
  }
}

/** The decoder's view of the encoder for the graphs `graphs` of a forward pass. */
export function encoderView(out: DagNNOutput, graphs: readonly number[]): EncoderView {
  return { states: out.states, rootRows: Int32Array.from(graphs, (g) => out.plan.rootRows[g]), inputRows: graphs.map((g) => out.plan.rowOf[g]) };
}

/**
 * The one-node answer graph (DESIGN evaluation protocol: ints exact, floats to 3 decimals).
 * A non-finite value decodes to the symbol `nan`, which is at GED > 0 from any number.
 */
export function numericGraph(p: NumericPrediction): MathGraph {
  if (!Number.isFinite(p.value) || Math.abs(p.value) > Number.MAX_SAFE_INTEGER) {
    return MathGraph.fromJSON({ nodes: [{ id: 0, type: 'symbol', value: 'nan' }], edges: [] });
  }
  // a float first to 12 significant digits: float64 noise must not decide a 3-decimal tie
  // (27/80 = 0.3375 computed as 0.5625·0.6 = 0.33749999999999997 would round down)
  const value = p.type === 'int' ? Math.round(p.value) : roundTo3(Number(p.value.toPrecision(12)));
  return MathGraph.fromJSON({ nodes: [{ id: 0, type: p.type, value: value === 0 ? 0 : value }], edges: [] });
}

/**
 * The root value's distance to the nearest integer d, as log10(d + 1e-6)/6 + 1 ∈ [0, 1):
 * ≈ 0 for integers (d within float32 noise), ≥ 0.5 for d ≥ 1e-3. A constant for the
 * gradient: int vs float is decided from the value, not trained into it.
 */
function integrality(tape: Tape, values: Tensor): Tensor {
  const v = tape.values(values);
  const feature = Float32Array.from(v, (x) => {
    const d = Math.abs(x - Math.round(x));
    return Number.isFinite(d) ? Math.log10(d + 1e-6) / 6 + 1 : 1;
  });
  return ops.constant(tape, feature, v.length, 1);
}
