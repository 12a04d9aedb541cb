/**
 * The symbolic tree decoder: top-down, arity-driven, level-batched (DESIGN principle 3).
 *
 * STATES. Every output node has a decoder state (a row of one M × hidden matrix D):
 *   root      d = tanh(h_root · W_root + b_root)         h_root: the encoder state of the
 *                                                       input's root, e.g. the derive node
 *   child s   d = tanh(d_parent · W_{k,s} + b_{k,s})     k: the parent's label (an operator
 *                                                       or function), s: the child slot
 * so a node's children exist because of its label (arity-driven: KIND_ARITY[k] of them), and
 * each child state is a per-(parent kind, slot) transformation of the parent's state. All
 * nodes at the same output depth with the same (parent kind, slot) across the batch are ONE
 * gather + linear + tanh (a DecoderGroup): kernel calls grow with the output depth, not with
 * the node count. The heads then read every state at once:
 *   type logits (5: int float symbol op fn), label logits (LABEL_CLASSES), value (1).
 * ATTENTION (option, default on): after the transforms of a depth, each state reads the
 * input: c = Σ_r softmax_r(d·Wq·h_r/√hidden)·h_r over the encoder states h_r of its input's
 * nodes, and d ← tanh([d | c]·W_mix + b_mix) — one batched read per output depth.
 * Every decoder weight enters forward as gain · stored value (DagNN's stateGain).
 *
 * LABELS. One class space for every node type: the token vocabulary (ops, functions,
 * symbols; src/graph TOKEN_VOCABULARY) and the integers INT_MIN…INT_MAX (derivatives of the
 * level-5 polynomials and quotients have small integer coefficients), plus OTHER_NUMBER for
 * numbers outside that range or fractional: their value comes from the value head, which
 * predicts sign(v)·log1p|v| (trained by an auxiliary squared error on those nodes only).
 * Decoding takes the argmax label among the classes of the argmax type.
 *
 * TRAINING: teacher forcing. The target tree's shape fixes the decoder's nodes (pre-order
 * slot i = target node i), so the GED loss (src/ged/loss.ts) gets the identity mapping and,
 * with type and label targets only, is exactly the expected node-substitution cost
 * Σ_i [nodeType·(1 − π_i[t_i]) + π_i[t_i]·nodeValue·(1 − λ_i[l_i])] — no type escape here:
 * a wrong type costs as much as a wrong label. Structure needs no edge term: it follows from
 * the labels. See ./loss.ts decoderLoss for the cross-entropy terms added to it.
 *
 * INFERENCE: greedy, depth by depth, batched like training; a node takes an operator or
 * function label only while the graph's node budget can hold its children (otherwise its
 * best leaf label), so every decoded tree is complete and has ≤ budget nodes. Or beam search
 * (TreeDecoder.beam): node by node, breadth-first, every beam entry of every input in one
 * batched step, candidates scored log p(type) + log p(label | type), finished trees ranked by
 * length-normalised log-probability; DagNN.predictBatch then answers with the best-ranked tree
 * whose coefficients fit the value stream's slope (./numberfit.ts).
 */
import { ops, type Parameter, type Tape, type Tensor, type TensorLike } from '../autograd/index';
import { ELEMENTARY_FNS, float, fn, int, op, sym, type Expr, type FnName, type OpName } from '../engine/index';
import { MathGraph, TOKEN_VOCABULARY, TYPE_CODE, type MathGraphJSON } from '../graph/index';
import { GraphemeError } from '../errors';
import { blockMatrix, reshape, writeRows } from './ops';
import { KIND_ARITY, KIND_NAMES, rootToken, type PlanInput } from './plan';

export class DecoderTargetError extends GraphemeError {}

/** Integer labels with their own class. */
export const INT_MIN = -20;
export const INT_MAX = 40;
const TOKENS = TOKEN_VOCABULARY.length;
/** label classes: tokens, then INT_MIN … INT_MAX, then OTHER_NUMBER, then SLOPE */
export const OTHER_NUMBER = TOKENS + (INT_MAX - INT_MIN + 1);
/**
 * The label of a ONE-NODE numeric answer (root only): "the slope of the differentiated
 * expression", whose value the model reads from its own value stream as f(1) − f(0)
 * (DagNN.predictBatch). A derivative that is a single number is constant, so f is linear
 * in the variable and f(1) − f(0) is exactly that number.
 */
export const SLOPE = OTHER_NUMBER + 1;
export const LABEL_CLASSES = SLOPE + 1;
const OUTPUT_TYPES = 5;

/** Operators and functions the decoder can emit (they expand KIND_ARITY children). */
export const DECODER_TOKENS: readonly string[] = ['+', '-', '*', '/', '^', ...ELEMENTARY_FNS];
const KIND_OF = new Map(KIND_NAMES.map((name, k) => [name, k]));

const TOKEN_CLASS = new Map(TOKEN_VOCABULARY.map((t, i) => [t, i]));
/** the label classes a node of each type may take when decoding */
const CLASSES_OF_TYPE: readonly (readonly number[])[] = [
  /* int */ [...Array.from({ length: INT_MAX - INT_MIN + 1 }, (_, i) => TOKENS + i), OTHER_NUMBER, SLOPE],
  /* float */ [OTHER_NUMBER, SLOPE],
  /* symbol */ TOKEN_VOCABULARY.flatMap((t, i) => (/^[a-z]+$/.test(t) && !KIND_OF.has(t) ? [i] : [])),
  /* op */ DECODER_TOKENS.filter((t) => !ELEMENTARY_FNS.includes(t as never)).map((t) => TOKEN_CLASS.get(t)!),
  /* fn */ ELEMENTARY_FNS.map((t) => TOKEN_CLASS.get(t)!),
];

/** CLASSES_OF_TYPE without SLOPE: below the root (SLOPE is a whole answer only) */
const INNER_CLASSES_OF_TYPE: readonly (readonly number[])[] = CLASSES_OF_TYPE.map((classes) => classes.filter((c) => c !== SLOPE));

/** One node of a target (or decoded) tree in the decoder's terms. */
export interface DecoderNode {
  type: number;
  label: number;
  /** the number (OTHER_NUMBER and SLOPE nodes; for the others the label says it) */
  value: number;
  children: number[];
}

/** The label class of a graph node; a node the decoder cannot emit is a typed error. */
export function labelClass(type: string, value: number | string, where: string): number {
  if (type === 'int' || type === 'float') {
    const v = Number(value);
    return type === 'int' && Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX ? TOKENS + v - INT_MIN : OTHER_NUMBER;
  }
  const c = TOKEN_CLASS.get(String(value));
  const ok = c !== undefined && CLASSES_OF_TYPE[TYPE_CODE[type as keyof typeof TYPE_CODE]]?.includes(c);
  if (!ok) throw new DecoderTargetError(`${where}: the decoder cannot emit the ${type} '${String(value)}'`);
  return c!;
}

/**
 * A target graph as decoder nodes in pre-order (node 0 the root). With `slope` (default
 * true), a one-node numeric answer gets the label SLOPE.
 */
export function decoderTree(json: MathGraphJSON, where: string, slope = true): DecoderNode[] {
  const g = MathGraph.fromJSON(json);
  const order: number[] = [];
  const stack = [g.root];
  while (stack.length > 0) {
    const id = stack.pop()!;
    order.push(id);
    for (let i = g.children[id].length - 1; i >= 0; i--) stack.push(g.children[id][i]);
  }
  const position = new Map(order.map((id, i) => [id, i]));
  const slopeAnswer = slope && g.size === 1 && (g.types[0] === 'int' || g.types[0] === 'float');
  return order.map((id) => {
    const type = TYPE_CODE[g.types[id]];
    const label = slopeAnswer ? SLOPE : labelClass(g.types[id], g.values[id], `${where}.nodes[${id}]`);
    const kids = g.children[id];
    if ((type === TYPE_CODE.op || type === TYPE_CODE.fn) && kids.length !== KIND_ARITY[KIND_OF.get(TOKEN_VOCABULARY[label])!]) {
      throw new DecoderTargetError(`${where}.nodes[${id}]: '${TOKEN_VOCABULARY[label]}' has ${kids.length} children`);
    }
    return { type, label, value: Number(g.values[id]) || 0, children: kids.map((k) => position.get(k)!) };
  });
}

/** The value head's target: sign(v)·log1p|v|, and its inverse. */
export const signedLog = (v: number) => Math.sign(v) * Math.log1p(Math.abs(v));
export const signedExp = (u: number) => Math.sign(u) * Math.expm1(Math.abs(u));

/** Decoder nodes → MathGraph (pre-order ids). */
export function treeGraph(nodes: readonly DecoderNode[]): MathGraph {
  const build = (i: number): Expr => {
    const n = nodes[i];
    if (n.type === TYPE_CODE.int) return int(n.label === OTHER_NUMBER || n.label === SLOPE ? Math.round(n.value) : n.label - TOKENS + INT_MIN);
    if (n.type === TYPE_CODE.float) return float(Math.round(n.value * 1000) / 1000);
    const token = TOKEN_VOCABULARY[n.label];
    if (n.type === TYPE_CODE.symbol) return sym(token);
    const kids = n.children.map(build);
    return n.type === TYPE_CODE.op ? op(token as OpName, kids[0], kids[1]) : fn(token as FnName, ...kids);
  };
  return MathGraph.fromExpr(build(0));
}

/**
 * A batch of decoder nodes sharing (output depth, parent kind, slot): one gather + linear +
 * tanh. Roots have parentKind −1 and read encoder rows; the others read rows of D.
 */
interface DecoderGroup {
  parentKind: number;
  slot: number;
  /** rows of D (or of the encoder states, for roots) */
  sourceRows: Int32Array;
  /** first row of D this group writes */
  start: number;
}

interface Transform {
  W: Parameter;
  b: Parameter;
}

interface Pending {
  tree: number;
  parentKind: number;
  slot: number;
  /** row of the parent's state in D (of the input root's state in the encoder, for roots) */
  source: number;
}

/**
 * One output depth of the batch as DecoderGroups: its nodes ordered by (parent kind, slot),
 * each key one group, rows assigned from `start` in that order.
 */
function groupDepth<P extends Pending>(frontier: readonly P[], start: number): { ordered: P[]; groups: DecoderGroup[] } {
  const byKey = new Map<number, P[]>();
  for (const p of frontier) {
    const key = (p.parentKind + 1) * 8 + p.slot;
    const list = byKey.get(key);
    if (list) list.push(p);
    else byKey.set(key, [p]);
  }
  const ordered: P[] = [];
  const groups: DecoderGroup[] = [];
  for (const key of [...byKey.keys()].sort((a, b) => a - b)) {
    const members = byKey.get(key)!;
    groups.push({ parentKind: members[0].parentKind, slot: members[0].slot, sourceRows: Int32Array.from(members, (m) => m.source), start: start + ordered.length });
    ordered.push(...members);
  }
  return { ordered, groups };
}

/** What the decoder reads from the encoder, per output tree j. */
export interface EncoderView {
  /** all node states of the batch (plan rows × hidden) */
  states: Tensor;
  /** rootRows[j]: the row of tree j's input root */
  rootRows: Int32Array;
  /** inputRows[j]: the rows of every node of tree j's input (the attention's keys) */
  inputRows: readonly Int32Array[];
}

type Resolve = (p: Parameter) => TensorLike;
type Make = (name: string, shape: number[], std: number) => Parameter;

export class TreeDecoder {
  private readonly root: Transform;
  /** per plan kind: one transform per child slot (empty for kinds the decoder does not emit) */
  private readonly children: Transform[][];
  private readonly typeW: Parameter;
  private readonly typeB: Parameter;
  private readonly labelW: Parameter;
  private readonly labelB: Parameter;
  private readonly valueW: Parameter;
  private readonly valueB: Parameter;
  /** the attention read over the input's node states (null without attention) */
  private readonly attention: { query: Parameter; mix: Transform } | null;

  private readonly gain: number;

  constructor(
    readonly hidden: number,
    store: Make,
    private readonly resolve: Resolve,
    options: { attention: boolean; gain: number },
  ) {
    // the gain reparametrisation (see DagNNOptions.decoderGain): forward uses gain·p, stored
    // values start at init/gain
    const gain = options.gain;
    if (!(gain > 0) || !Number.isFinite(gain)) throw new DecoderTargetError(`decoder gain must be a finite number > 0, got ${gain}`);
    this.gain = gain;
    const make: Make = (name, shape, std) => store(name, shape, std / gain);
    const glorot = (a: number, b: number) => Math.sqrt(2 / (a + b));
    const transform = (name: string): Transform => ({ W: make(`${name}.W`, [hidden, hidden], glorot(hidden, hidden)), b: make(`${name}.b`, [hidden], 0) });
    this.root = transform('decoder.root');
    this.children = KIND_NAMES.map((name, k) => (DECODER_TOKENS.includes(name) ? Array.from({ length: KIND_ARITY[k] }, (_, s) => transform(`decoder.${name}.${s}`)) : []));
    this.typeW = make('decoder.type.W', [hidden, OUTPUT_TYPES], glorot(hidden, OUTPUT_TYPES));
    this.typeB = make('decoder.type.b', [OUTPUT_TYPES], 0);
    this.labelW = make('decoder.label.W', [hidden, LABEL_CLASSES], glorot(hidden, LABEL_CLASSES));
    this.labelB = make('decoder.label.b', [LABEL_CLASSES], 0);
    this.valueW = make('decoder.value.W', [hidden, 1], glorot(hidden, 1));
    this.valueB = make('decoder.value.b', [1], 0);
    this.attention = options.attention
      ? {
          query: make('decoder.attention.query', [hidden, hidden], glorot(hidden, hidden)),
          mix: { W: make('decoder.attention.mix.W', [2 * hidden, hidden], glorot(2 * hidden, hidden)), b: make('decoder.attention.mix.b', [hidden], 0) },
        }
      : null;
  }

  /** The weight `p` as forward uses it: gain · p (or p's stand-in, inside withParameters). */
  private w(tape: Tape, p: Parameter): TensorLike {
    const value = this.resolve(p);
    return this.gain === 1 ? value : ops.scale(tape, value, this.gain);
  }

  /**
   * The states of one output depth (`groups`, rows depthStart … depthStart + count − 1,
   * `trees[i]` the tree of row depthStart + i) into D: per group the (parent kind, slot)
   * transform, then, for the whole depth at once, the attention read.
   */
  private depthStates(tape: Tape, D: Tensor, encoder: EncoderView, groups: readonly DecoderGroup[], depthStart: number, trees: readonly number[]): void {
    const count = trees.length;
    const pre = this.attention === null ? D : blockMatrix(tape, count, this.hidden);
    const offset = this.attention === null ? 0 : depthStart;
    for (const g of groups) {
      const tr = g.parentKind < 0 ? this.root : this.children[g.parentKind][g.slot];
      const source = ops.gatherRows(tape, g.parentKind < 0 ? encoder.states : D, g.sourceRows);
      writeRows(tape, pre, g.start - offset, ops.tanh(tape, ops.linear(tape, source, this.w(tape, tr.W), this.w(tape, tr.b))));
    }
    if (this.attention === null) return;
    const context = this.attend(tape, pre, encoder, trees);
    const mixed = ops.tanh(tape, ops.linear(tape, ops.concatCols(tape, [pre, context]), this.w(tape, this.attention.mix.W), this.w(tape, this.attention.mix.b)));
    writeRows(tape, D, depthStart, mixed);
  }

  /**
   * Dot-product attention of each row of `query` over the encoder states of its tree's
   * input nodes: context_i = Σ_r softmax_r(q_i·Wq·h_r / √hidden) h_r. Level-batched: the
   * inputs are padded to the longest (padding masked out), so a whole depth is one gather,
   * one product, one softmax and one segment sum.
   */
  private attend(tape: Tape, query: Tensor, encoder: EncoderView, trees: readonly number[]): Tensor {
    const n = trees.length;
    const H = this.hidden;
    let M = 0;
    for (const j of trees) M = Math.max(M, encoder.inputRows[j].length);
    const keyRows = new Int32Array(n * M);
    const repeat = new Int32Array(n * M);
    const mask = new Float32Array(n * M);
    trees.forEach((j, i) => {
      const rows = encoder.inputRows[j];
      for (let m = 0; m < M; m++) {
        keyRows[i * M + m] = rows[Math.min(m, rows.length - 1)];
        repeat[i * M + m] = i;
        mask[i * M + m] = m < rows.length ? 0 : -1e4;
      }
    });
    const keys = ops.gatherRows(tape, encoder.states, keyRows);
    const q = ops.gatherRows(tape, ops.linear(tape, query, this.w(tape, this.attention!.query)), repeat);
    const dots = ops.linear(tape, ops.mul(tape, keys, q), ops.constant(tape, new Float32Array(H).fill(1 / Math.sqrt(H)), H, 1));
    const weights = ops.softmaxRows(tape, ops.add(tape, reshape(tape, dots, n, M), ops.constant(tape, mask, n, M)));
    const weighted = ops.scaleRows(tape, keys, reshape(tape, weights, n * M, 1));
    return ops.segmentSum(tape, weighted, Int32Array.from({ length: n + 1 }, (_, i) => i * M));
  }

  private heads(tape: Tape, states: Tensor): { typeLogits: Tensor; labelLogits: Tensor; values: Tensor } {
    return {
      typeLogits: ops.linear(tape, states, this.w(tape, this.typeW), this.w(tape, this.typeB)),
      labelLogits: ops.linear(tape, states, this.w(tape, this.labelW), this.w(tape, this.labelB)),
      values: ops.linear(tape, states, this.w(tape, this.valueW), this.w(tape, this.valueB)),
    };
  }

  /**
   * Teacher-forced pass over target trees: the heads of every target node, rows in
   * (tree, pre-order) order — slot i of tree j is row Σ_{j' < j} size_j' + i.
   * `rootRows[j]` = the encoder row of tree j's input root.
   */
  teacherForced(tape: Tape, encoder: EncoderView, trees: readonly (readonly DecoderNode[])[]): { typeLogits: Tensor; labelLogits: Tensor; values: Tensor } {
    const total = trees.reduce((a, t) => a + t.length, 0);
    const D = blockMatrix(tape, total, this.hidden);
    // breadth-first over all trees at once: one groupDepth per output depth
    type Target = Pending & { node: number };
    let frontier: Target[] = trees.map((_, j) => ({ tree: j, node: 0, parentKind: -1, slot: 0, source: encoder.rootRows[j] }));
    const rowOf = trees.map((tree) => new Int32Array(tree.length));
    let row = 0;
    while (frontier.length > 0) {
      const depthStart = row;
      const { ordered, groups } = groupDepth(frontier, row);
      const next: Target[] = [];
      for (const m of ordered) {
        rowOf[m.tree][m.node] = row++;
        const n = trees[m.tree][m.node];
        const kind = n.type === TYPE_CODE.op || n.type === TYPE_CODE.fn ? KIND_OF.get(TOKEN_VOCABULARY[n.label])! : -1;
        n.children.forEach((c, s) => next.push({ tree: m.tree, node: c, parentKind: kind, slot: s, source: rowOf[m.tree][m.node] }));
      }
      this.depthStates(tape, D, encoder, groups, depthStart, ordered.map((m) => m.tree));
      frontier = next;
    }
    const slotOrder = new Int32Array(row);
    let k = 0;
    for (const rows of rowOf) for (const r of rows) slotOrder[k++] = r;
    return this.heads(tape, ops.gatherRows(tape, D, slotOrder));
  }

  /**
   * One decoding step: the states of `frontier` (rows from `start` of D, grouped by (parent kind,
   * slot)) and the heads read back to the host — what greedy and beam share.
   */
  private step<P extends Pending>(tape: Tape, D: Tensor, encoder: EncoderView, frontier: readonly P[], start: number): { ordered: P[]; typeLogits: Float32Array; labelLogits: Float32Array; values: Float32Array } {
    const { ordered, groups } = groupDepth(frontier, start);
    this.depthStates(tape, D, encoder, groups, start, ordered.map((m) => m.tree));
    const h = this.heads(tape, ops.sliceRows(tape, D, start, ordered.length));
    return { ordered, typeLogits: tape.values(h.typeLogits), labelLogits: tape.values(h.labelLogits), values: tape.values(h.values) };
  }

  /** Greedy decoding of one tree per root row, each with at most `budget` nodes. */
  greedy(tape: Tape, encoder: EncoderView, budget: number): DecoderNode[][] {
    const rootRows = encoder.rootRows;
    const trees: DecoderNode[][] = Array.from(rootRows, () => []);
    const D = blockMatrix(tape, rootRows.length * budget, this.hidden);
    type Open = Pending & { parent: number };
    let frontier: Open[] = Array.from(rootRows, (r, j) => ({ tree: j, parent: -1, parentKind: -1, slot: 0, source: r }));
    // nodes each tree has committed to (decoded or waiting in the frontier)
    const committed = new Int32Array(rootRows.length).fill(1);
    let row = 0;
    while (frontier.length > 0) {
      const depthStart = row;
      const { ordered, typeLogits, labelLogits, values } = this.step(tape, D, encoder, frontier, row);
      row += ordered.length;
      const next: Open[] = [];
      ordered.forEach((m, i) => {
        const tree = trees[m.tree];
        const best = (classes: readonly number[]) => classes.reduce((a, c) => (labelLogits[i * LABEL_CLASSES + c] > labelLogits[i * LABEL_CLASSES + a] ? c : a), classes[0]);
        // types by descending logit; an inner type only while the budget holds its children
        const types = [0, 1, 2, 3, 4].sort((a, b) => typeLogits[i * OUTPUT_TYPES + b] - typeLogits[i * OUTPUT_TYPES + a]);
        let type = -1;
        let label = -1;
        for (const t of types) {
          // SLOPE only as a whole answer: at the root
          label = best(m.parent < 0 ? CLASSES_OF_TYPE[t] : INNER_CLASSES_OF_TYPE[t]);
          const arity = t === TYPE_CODE.op || t === TYPE_CODE.fn ? KIND_ARITY[KIND_OF.get(TOKEN_VOCABULARY[label])!] : 0;
          if (committed[m.tree] + arity <= budget) {
            type = t;
            committed[m.tree] += arity;
            break;
          }
        }
        const index = tree.length;
        tree.push({ type, label, value: signedExp(values[i]), children: [] });
        if (m.parent >= 0) tree[m.parent].children[m.slot] = index;
        if (type === TYPE_CODE.op || type === TYPE_CODE.fn) {
          const kind = KIND_OF.get(TOKEN_VOCABULARY[label])!;
          for (let s = 0; s < KIND_ARITY[kind]; s++) next.push({ tree: m.tree, parent: index, parentKind: kind, slot: s, source: depthStart + i });
        }
      });
      frontier = next;
    }
    return trees;
  }

  /**
   * Beam search: `width` trees per root row, node by node in breadth-first order, every beam
   * entry of every input advanced in one batched step (the states of one step grouped by
   * (parent kind, slot) as in greedy). A node's candidates are (type, label) pairs scored
   * log p(type) + log p(label | type) (the label softmax restricted to the type's classes);
   * an inner label only while the budget holds its children. Finished trees are ranked by
   * their log-probability divided by their node count (length-normalised); returns them best
   * first, at most `width` per input.
   */
  beam(tape: Tape, encoder: EncoderView, budget: number, width: number): DecoderNode[][][] {
    const rootRows = encoder.rootRows;
    const B = rootRows.length;
    const D = blockMatrix(tape, B * width * budget, this.hidden);
    let live: Hypothesis[] = Array.from(rootRows, (_, j) => ({ tree: j, nodes: [], rows: [], pending: [{ parent: -1, parentKind: -1, slot: 0 }], score: 0, committed: 1 }));
    const finished: Hypothesis[][] = Array.from(rootRows, () => []);
    let row = 0;
    const best = new TopCandidates(width);
    while (live.length > 0) {
      const start = row;
      const frontier = live.map((h) => {
        const p = h.pending[0];
        return { tree: h.tree, parentKind: p.parentKind, slot: p.slot, source: p.parent < 0 ? rootRows[h.tree] : h.rows[p.parent], h };
      });
      const { ordered, typeLogits, labelLogits, values } = this.step(tape, D, encoder, frontier, row);
      row += ordered.length;
      const children: Hypothesis[][] = Array.from(rootRows, () => []);
      ordered.forEach((m, i) => {
        const h = m.h;
        const p = h.pending[0];
        const types = logSoftmaxOver(typeLogits, i * OUTPUT_TYPES, ALL_TYPES);
        best.clear();
        for (let t = 0; t < OUTPUT_TYPES; t++) {
          const classes = p.parent < 0 ? CLASSES_OF_TYPE[t] : INNER_CLASSES_OF_TYPE[t];
          const labels = logSoftmaxOver(labelLogits, i * LABEL_CLASSES, classes);
          for (let c = 0; c < classes.length; c++) {
            const label = classes[c];
            const arity = t === TYPE_CODE.op || t === TYPE_CODE.fn ? KIND_ARITY[KIND_OF.get(TOKEN_VOCABULARY[label])!] : 0;
            if (h.committed + arity <= budget) best.offer(t, label, h.score + types[t] + labels[c]);
          }
        }
        for (const c of best.list()) {
          const index = h.nodes.length;
          const nodes = [...h.nodes.map((n) => ({ ...n, children: [...n.children] })), { type: c.type, label: c.label, value: signedExp(values[i]), children: [] as number[] }];
          if (p.parent >= 0) nodes[p.parent].children[p.slot] = index;
          const pending = h.pending.slice(1);
          let committed = h.committed;
          if (c.type === TYPE_CODE.op || c.type === TYPE_CODE.fn) {
            const kind = KIND_OF.get(TOKEN_VOCABULARY[c.label])!;
            for (let s = 0; s < KIND_ARITY[kind]; s++) pending.push({ parent: index, parentKind: kind, slot: s });
            committed += KIND_ARITY[kind];
          }
          children[h.tree].push({ tree: h.tree, nodes, rows: [...h.rows, start + i], pending, score: c.score, committed });
        }
      });
      live = [];
      children.forEach((list, j) => {
        list.sort((a, b) => b.score - a.score);
        for (const h of list.slice(0, width)) (h.pending.length === 0 ? finished[j] : live).push(h);
      });
      // an input stops once `width` trees are finished and no live one can beat the worst of them
      live = live.filter((h) => finished[h.tree].length < width || h.score > Math.min(...finished[h.tree].map((f) => f.score)));
    }
    // best first; two derivations of the same tree (an int label and OTHER_NUMBER rounding to it) count once
    return finished.map((list) => {
      const seen = new Set<string>();
      return list
        .sort((a, b) => b.score / b.nodes.length - a.score / a.nodes.length)
        .filter((h) => {
          const key = treeGraph(h.nodes).toPolish();
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        })
        .slice(0, width)
        .map((h) => h.nodes);
    });
  }
}

const ALL_TYPES: readonly number[] = [0, 1, 2, 3, 4];

/**
 * The `width` best (type, label) candidates of a beam node, best first; of equal scores the
 * one offered first ranks first: what a stable sort of all candidates by descending score,
 * cut to `width`, gives — without an object per candidate (~100 per node).
 */
export class TopCandidates {
  private readonly types: Int32Array;
  private readonly labels: Int32Array;
  private readonly scores: Float64Array;
  private count = 0;

  constructor(private readonly width: number) {
    this.types = new Int32Array(width);
    this.labels = new Int32Array(width);
    this.scores = new Float64Array(width);
  }

  clear(): void {
    this.count = 0;
  }

  offer(type: number, label: number, score: number): void {
    const { width, types, labels, scores } = this;
    // after every kept score ≥ this one (equal: the earlier offer stays ahead)
    let at = this.count;
    while (at > 0 && scores[at - 1] < score) at--;
    if (at >= width) return;
    for (let k = Math.min(this.count, width - 1); k > at; k--) {
      types[k] = types[k - 1];
      labels[k] = labels[k - 1];
      scores[k] = scores[k - 1];
    }
    types[at] = type;
    labels[at] = label;
    scores[at] = score;
    if (this.count < width) this.count++;
  }

  list(): { type: number; label: number; score: number }[] {
    return Array.from({ length: this.count }, (_, k) => ({ type: this.types[k], label: this.labels[k], score: this.scores[k] }));
  }
}

/** One partial tree of a beam: its nodes, the nodes still to decode (breadth-first), its log-probability. */
interface Hypothesis {
  tree: number;
  nodes: DecoderNode[];
  /** D row of each node's state */
  rows: number[];
  pending: { parent: number; parentKind: number; slot: number }[];
  score: number;
  committed: number;
}

/** log-softmax of logits[offset + c] over the classes `classes` */
function logSoftmaxOver(logits: Float32Array, offset: number, classes: readonly number[]): Float64Array {
  let max = -Infinity;
  for (const c of classes) max = Math.max(max, logits[offset + c]);
  let sum = 0;
  for (const c of classes) sum += Math.exp(logits[offset + c] - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(classes, (c) => logits[offset + c] - lse);
}

/**
 * THE ROUTING RULE, the same in training and prediction: an input whose root is `derive`
 * is answered by the tree decoder (even when its answer is a single number, which the
 * decoder emits as a one-node tree); every other input by the numeric head.
 */
export function answersSymbolically(input: PlanInput): boolean {
  return rootToken(input) === 'derive';
}
