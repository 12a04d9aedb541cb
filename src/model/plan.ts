/**
 * The level-batched plan of a batch of graphs (DESIGN principle 3).
 *
 * Every node of every graph gets one global row. Rows are ordered by (depth, kind), so each
 * (depth, kind) group is one contiguous block [start, start + count): the encoder computes
 * a whole group with one kernel call per step, and the number of calls per batch grows with
 * depth × kinds present, never with the node count.
 *
 * For a group of arity a, `childRows` lists the children interleaved, node by node:
 * [c1, c2, …, ca] of its first node, then of its second, … One gatherRows of count·a rows
 * then lays the children's states out as a (count) × (a·hidden) matrix in the same memory
 * (a free reshape), and ONE linear with a per-kind (a·hidden) × hidden weight handles every
 * child slot at once: slot s meets rows [s·hidden, (s+1)·hidden) of the weight, which is
 * exactly "parameters per node kind and per ordered child slot".
 */
import { CONSTANTS, FN_ARITY, OP_ARITY } from '../engine/index';
import { GraphemeError } from '../errors';
import { MathGraph, TOKEN_VOCABULARY, TYPE_CODE, type CompactGraph } from '../graph/index';

export class PlanError extends GraphemeError {}

/** Leaf kinds first, then one kind per operator and function token. */
export const KIND_NUMBER = 0;
export const KIND_SYMBOL = 1;
export const INNER_KIND_TOKENS: readonly string[] = [...Object.keys(OP_ARITY), ...Object.keys(FN_ARITY)];
export const KIND_NAMES: readonly string[] = ['number', 'symbol', ...INNER_KIND_TOKENS];
/** arity of each kind (0 for the leaf kinds) */
export const KIND_ARITY: readonly number[] = [
  0,
  0,
  ...INNER_KIND_TOKENS.map((t) => (t in OP_ARITY ? OP_ARITY[t as keyof typeof OP_ARITY] : FN_ARITY[t as keyof typeof FN_ARITY])),
];
const KIND_OF_TOKEN = new Map(INNER_KIND_TOKENS.map((t, i) => [t, i + 2]));

/** Symbols with their own embedding row; every other name shares the last row. */
export const SYMBOL_TOKENS: readonly string[] = TOKEN_VOCABULARY.filter((t) => /^[a-z]+$/.test(t) && !KIND_OF_TOKEN.has(t));
export const SYMBOL_ROWS = SYMBOL_TOKENS.length + 1;
const SYMBOL_ROW = new Map(SYMBOL_TOKENS.map((t, i) => [t, i]));

export interface PlanGroup {
  depth: number;
  kind: number;
  arity: number;
  /** first global row of the group; rows start … start + count − 1 */
  start: number;
  count: number;
  /** count · arity global rows of the children, interleaved per node (inner kinds only) */
  childRows: Int32Array;
  /**
   * Leaf kinds only, one entry per node: the number itself, or a symbol's bound value (a
   * constant's value for e and pi; NaN when unbound).
   */
  leafValues: Float64Array;
  /** symbol groups only: embedding row per node */
  symbolRows: Int32Array;
}

export interface BatchPlan {
  graphCount: number;
  nodeCount: number;
  /** groups in (depth, kind) order: a group's children are all in earlier groups */
  groups: PlanGroup[];
  /** global row of each graph's root */
  rootRows: Int32Array;
  /** rowOf[g][id] = global row of node id of graph g */
  rowOf: Int32Array[];
  /** depth of the deepest root + 1 */
  levels: number;
  /** the inputs the plan was built from (task heads route by them: ./heads.ts) */
  inputs: readonly PlanInput[];
}

/** One input graph: a MathGraph (or its compact arrays) with the values bound to its symbols. */
export interface PlanInput {
  graph: MathGraph | CompactGraph;
  bindings?: Readonly<Record<string, number>>;
  /** root node id (default 0, the MathGraph convention) */
  root?: number;
}

/** The compact arrays of an input graph (a MathGraph is converted; compact arrays pass through). */
export function compactOf(graph: MathGraph | CompactGraph): CompactGraph {
  return graph instanceof MathGraph ? graph.toArrays() : graph;
}

/** The kind of node `id`; typed errors name the graph and node. */
function kindOf(c: CompactGraph, id: number, where: string): number {
  const type = c.typeCode[id];
  if (type === TYPE_CODE.int || type === TYPE_CODE.float) return KIND_NUMBER;
  if (type === TYPE_CODE.symbol) return KIND_SYMBOL;
  const token = c.labels[id];
  const kind = KIND_OF_TOKEN.get(token);
  if (kind === undefined) throw new PlanError(`${where}: '${token}' is not an operator or function the model knows`);
  const arity = c.childStart[id + 1] - c.childStart[id];
  if (arity !== KIND_ARITY[kind]) throw new PlanError(`${where}: '${token}' has ${arity} children, the model's '${token}' takes ${KIND_ARITY[kind]}`);
  return kind;
}

/** Builds the plan in O(nodes): two counting passes, no sorting. */
export function buildPlan(inputs: readonly PlanInput[]): BatchPlan {
  if (inputs.length === 0) throw new PlanError('buildPlan: the batch is empty');
  const K = KIND_NAMES.length;
  const compacts = inputs.map((input) => compactOf(input.graph));
  const kinds: Uint8Array[] = [];
  let maxDepth = 0;
  let nodeCount = 0;
  compacts.forEach((c, g) => {
    if (c.size === 0) throw new PlanError(`graphs[${g}]: the graph has no nodes`);
    const k = new Uint8Array(c.size);
    for (let id = 0; id < c.size; id++) {
      k[id] = kindOf(c, id, `graphs[${g}].nodes[${id}]`);
      if (c.depth[id] > maxDepth) maxDepth = c.depth[id];
    }
    kinds.push(k);
    nodeCount += c.size;
  });
  // counting pass: nodes per (depth, kind) key, then each key's first row
  const levels = maxDepth + 1;
  const counts = new Int32Array(levels * K);
  compacts.forEach((c, g) => {
    for (let id = 0; id < c.size; id++) counts[c.depth[id] * K + kinds[g][id]]++;
  });
  const starts = new Int32Array(levels * K);
  const groups: PlanGroup[] = [];
  const groupOfKey = new Int32Array(levels * K).fill(-1);
  for (let key = 0, row = 0; key < levels * K; key++) {
    starts[key] = row;
    const count = counts[key];
    if (count === 0) continue;
    const kind = key % K;
    const arity = KIND_ARITY[kind];
    groupOfKey[key] = groups.length;
    groups.push({
      depth: Math.floor(key / K),
      kind,
      arity,
      start: row,
      count,
      childRows: new Int32Array(count * arity),
      leafValues: new Float64Array(arity === 0 ? count : 0),
      symbolRows: new Int32Array(kind === KIND_SYMBOL ? count : 0),
    });
    row += count;
  }
  // assign rows (graph order, then node id order, within each group)
  const fill = new Int32Array(levels * K);
  const rowOf = compacts.map((c, g) => {
    const rows = new Int32Array(c.size);
    for (let id = 0; id < c.size; id++) {
      const key = c.depth[id] * K + kinds[g][id];
      rows[id] = starts[key] + fill[key]++;
    }
    return rows;
  });
  compacts.forEach((c, g) => {
    const bindings = inputs[g].bindings ?? {};
    const rows = rowOf[g];
    for (let id = 0; id < c.size; id++) {
      const kind = kinds[g][id];
      const group = groups[groupOfKey[c.depth[id] * K + kind]];
      const local = rows[id] - group.start;
      if (kind === KIND_NUMBER) {
        group.leafValues[local] = c.numericValue[id];
      } else if (kind === KIND_SYMBOL) {
        const name = c.labels[id];
        group.symbolRows[local] = SYMBOL_ROW.get(name) ?? SYMBOL_ROWS - 1;
        const bound = Object.prototype.hasOwnProperty.call(CONSTANTS, name) ? CONSTANTS[name] : bindings[name];
        group.leafValues[local] = typeof bound === 'number' && Number.isFinite(bound) ? bound : NaN;
      } else {
        const first = c.childStart[id];
        for (let s = 0; s < group.arity; s++) group.childRows[local * group.arity + s] = rows[c.childIndex[first + s]];
      }
    }
  });
  const rootRows = Int32Array.from(inputs, (input, g) => {
    const root = input.root ?? 0;
    if (!Number.isInteger(root) || root < 0 || root >= compacts[g].size) throw new PlanError(`graphs[${g}].root = ${root} is not a node`);
    return rowOf[g][root];
  });
  return { graphCount: inputs.length, nodeCount, groups, rootRows, rowOf, levels, inputs };
}

/** The root token of an input: an operator or function name, a symbol, or a number's text. */
export function rootToken(input: PlanInput): string {
  const g = input.graph;
  const root = input.root ?? 0;
  return g instanceof MathGraph ? String(g.values[root]) : g.labels[root];
}

/**
 * The two operands of `(derive f x)` / `(solve eq x)` inputs: the node id of the expression
 * (child 0) and the variable's name (child 1).
 */
export function exprAndVariable(input: PlanInput): { expr: number; variable: string } {
  const g = input.graph;
  const root = input.root ?? 0;
  if (g instanceof MathGraph) {
    const [expr, v] = g.children[root];
    return { expr, variable: String(g.values[v]) };
  }
  const first = g.childStart[root];
  return { expr: g.childIndex[first], variable: g.labels[g.childIndex[first + 1]] };
}

/**
 * The plan of `copies` copies of a plan's graphs (copy c of graph g is graph c·G + g), equal
 * to buildPlan of the repeated inputs, without revisiting a node. Every (depth, kind) count
 * scales by `copies`, so a group's start does too, and within a group copy c's nodes follow
 * copy c − 1's in the same order:
 *     row'(c, g, id) = copies·start + c·count + (row(g, id) − start)      (the node's group)
 * childRows map each child row the same way (through the child's own group); leafValues and
 * symbolRows repeat. The probes (./probe.ts) replicate a batch K times on every forward.
 */
export function replicatePlan(plan: BatchPlan, copies: number): BatchPlan {
  if (!Number.isInteger(copies) || copies < 1) throw new PlanError(`replicatePlan: copies must be a positive integer, got ${copies}`);
  const { groups, nodeCount, graphCount } = plan;
  // per row of the plan: its group's start and count (a child's group is needed by its parent)
  const startOfRow = new Int32Array(nodeCount);
  const countOfRow = new Int32Array(nodeCount);
  for (const g of groups) {
    startOfRow.fill(g.start, g.start, g.start + g.count);
    countOfRow.fill(g.count, g.start, g.start + g.count);
  }
  const map = (row: number, c: number) => copies * startOfRow[row] + c * countOfRow[row] + (row - startOfRow[row]);
  const out: PlanGroup[] = groups.map((g) => {
    const childRows = new Int32Array(copies * g.childRows.length);
    for (let c = 0, at = 0; c < copies; c++) for (let k = 0; k < g.childRows.length; k++) childRows[at++] = map(g.childRows[k], c);
    const leafValues = new Float64Array(copies * g.leafValues.length);
    const symbolRows = new Int32Array(copies * g.symbolRows.length);
    for (let c = 0; c < copies; c++) {
      leafValues.set(g.leafValues, c * g.leafValues.length);
      symbolRows.set(g.symbolRows, c * g.symbolRows.length);
    }
    return { depth: g.depth, kind: g.kind, arity: g.arity, start: copies * g.start, count: copies * g.count, childRows, leafValues, symbolRows };
  });
  const rowOf: Int32Array[] = [];
  const rootRows = new Int32Array(copies * graphCount);
  for (let c = 0; c < copies; c++) {
    for (let g = 0; g < graphCount; g++) {
      rowOf.push(plan.rowOf[g].map((row) => map(row, c)));
      rootRows[c * graphCount + g] = map(plan.rootRows[g], c);
    }
  }
  const inputs: PlanInput[] = [];
  for (let c = 0; c < copies; c++) inputs.push(...plan.inputs);
  return { graphCount: copies * graphCount, nodeCount: copies * nodeCount, groups: out, rootRows, rowOf, levels: plan.levels, inputs };
}
